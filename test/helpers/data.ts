/** Seeded test data: the same inputs on every run, so a failure can be reproduced from its label. */

import { normal, rng } from '../../bench/data.js';

// rng, normal and classTargets are the benches' (one copy, bench/data.ts); re-exported for the tests.
export { classTargets, normal, rng } from '../../bench/data.js';

/** Probability targets: |N(0, 1)| values normalized so each row of `cols` sums to 1. */
export function softTargets(rows: number, cols: number, seed: number): Float32Array<ArrayBuffer> {
  const y = normal(rows * cols, 1, seed).map(Math.abs);
  for (let r = 0; r < rows; r++) {
    let total = 0;
    for (let c = 0; c < cols; c++) total += y[r * cols + c]!;
    for (let c = 0; c < cols; c++) y[r * cols + c]! /= total;
  }
  return y;
}

/** The value families the GPU tests sweep, applied to N(0, 3) logits. */
export type ValueFamily = 'normal' | 'shift+1e4' | 'shift-1e4' | 'scale1e3' | 'masked' | 'equal' | 'nan-row';

export function logitsFor(family: ValueFamily, rows: number, cols: number, seed: number, target?: Int32Array): Float32Array<ArrayBuffer> {
  const x = normal(rows * cols, 3, seed);
  const next = rng(seed ^ 0x9e3779b9);
  switch (family) {
    case 'normal':
      break;
    case 'shift+1e4':
    case 'shift-1e4': {
      const shift = family === 'shift+1e4' ? 1e4 : -1e4;
      for (let i = 0; i < x.length; i++) x[i] = x[i]! + shift;
      break;
    }
    case 'scale1e3':
      for (let i = 0; i < x.length; i++) x[i] = x[i]! * 1e3;
      break;
    case 'masked':
      // About half of each row masked with -Inf, never the target (so every row stays finite).
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) if (next() < 0.5 && c !== (target?.[r] ?? 0)) x[r * cols + c] = -Infinity;
      }
      break;
    case 'equal':
      for (let r = 0; r < rows; r++) x.fill(x[r * cols]!, r * cols, (r + 1) * cols);
      break;
    case 'nan-row':
      // A NaN in row 1 (or row 0 when there is one row) must stay in that row.
      x[Math.min(1, rows - 1) * cols + Math.floor(cols / 2)] = NaN;
      break;
  }
  return x;
}

/**
 * Rows of `cols` f32 values just past one storage binding of `device` (llvmpipe: 128 MiB), capped at 300 so the test
 * stays small where bindings are larger (the default limit without a device).
 */
export function rowsPastOneBinding(device: GPUDevice | null, cols: number): number {
  const limit = device?.limits.maxStorageBufferBindingSize ?? 128 * 2 ** 20;
  return Math.min(Math.floor(limit / (cols * 4)) + 3, 300);
}

/**
 * rowsPastOneBinding, for a test whose point is chunking: skips the test (saying why) where those rows still fit one
 * binding (SwiftShader binds 1 GiB, past the 300-row cap); the llvmpipe project (128 MiB bindings) runs it.
 */
export function rowsPastOneBindingOrSkip(
  ctx: { skip: (note?: string) => never },
  device: GPUDevice | null,
  cols: number,
): number {
  const rows = rowsPastOneBinding(device, cols);
  const limit = device?.limits.maxStorageBufferBindingSize ?? 128 * 2 ** 20;
  if (rows * cols * 4 <= limit) {
    const mib = limit / 2 ** 20;
    ctx.skip(
      `${rows} rows of ${cols} values fit one ${mib} MiB storage binding here: nothing is chunked; an adapter with ` +
        'smaller bindings (llvmpipe) runs this',
    );
  }
  return rows;
}
