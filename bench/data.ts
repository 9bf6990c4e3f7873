/**
 * Seeded data for the benches and the tests (the tests re-export it from their helpers): the same inputs on every
 * run, so a result or a failure can be reproduced from its seed. No GPU or Node-only code here: the browser bench
 * page uses it too.
 */

/** mulberry32: a small, fast, well-distributed 32-bit PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n samples of N(mean, std) (Box-Muller) as f32. */
export function normal(n: number, std: number, seed: number, mean = 0): Float32Array<ArrayBuffer> {
  const next = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(next(), 1e-12);
    out[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  }
  return out;
}

/** One class index per row in [0, cols), with `ignoredEvery` > 0 marking every k-th row as ignoreIndex. */
export function classTargets(
  rows: number,
  cols: number,
  seed: number,
  ignoredEvery = 0,
  ignoreIndex = -100,
): Int32Array<ArrayBuffer> {
  const next = rng(seed);
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++)
    out[r] = ignoredEvery > 0 && r % ignoredEvery === ignoredEvery - 1 ? ignoreIndex : Math.floor(next() * cols);
  return out;
}
