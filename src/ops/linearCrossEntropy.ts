/**
 * Host side of the fused linear cross-entropy: the loss of `crossEntropy(hidden @ weight^T + bias, target)` and its
 * gradients with respect to hidden [N, D], weight [V, D] and bias [V], without the N x V logits ever existing in GPU
 * memory (CPU reference: src/reference/linearCrossEntropy.ts).
 *
 * Design: chunks of rows, as Liger-Kernel's fused linear cross-entropy does (it materializes the logits of one chunk
 * of rows at a time and turns them into their gradient in place before the next chunk). Per chunk of B rows:
 *   1. logits[B, V] = hidden[chunk] @ weight^T + bias: a tiled f32 matmul, by vocabulary segments that fit one
 *      binding. On GPUs (tuning 'gpu'), shaders/linear_cross_entropy_matmul128.wgsl: 128 x 128 tiles of 256 threads
 *      computing 8 x 8 outputs each from 16-deep K slices staged in 16 KiB of workgroup memory (coalesced loads, a
 *      swizzled bank-conflict-free layout, the next slice loaded while the current one is multiplied); B is then a
 *      multiple of 128 rows when there are several chunks, so no tile is wasted. An engine limited to smaller
 *      workgroups gets shaders/linear_cross_entropy_matmul.wgsl's staged 32 x 32 tiles (64 threads), CPU adapters
 *      its direct storage reads (no barriers). All accumulate in f32 in a fixed k order (bitwise reproducible);
 *   2. the row losses and d loss / d logits of the chunk by the fused cross-entropy kernel itself (encodeCrossEntropy
 *      with reduction 'none', so the gradient is unscaled): every option (class weights, label smoothing, ignoreIndex,
 *      zLoss, softcap) has exactly crossEntropy's semantics because it is the same code;
 *   3. gradHidden[chunk] = dlogits @ weight and gradWeight += dlogits^T @ hidden[chunk] (and gradBias += column sums),
 *      each scaled by 1 / weightSum for 'mean' (weightSum: of the whole batch, computed first on the GPU from the
 *      targets), gradWeight and gradBias accumulated in f32 across chunks in row order: deterministic, and f32 whatever
 *      the inputs (low-precision accumulation of the weight gradient across chunks is the bug Liger-Kernel and axolotl
 *      hit).
 * f16 inputs: hidden, weight and bias may be f16 tensors. Only the matmuls read them, each operand through its own
 * snippet (src/shaders.ts MatmulIo: f32, array<f16> with shader-f16, or packed pairs), widened to f32 exactly as it is
 * loaded; dlogits, every product and sum, and all results stay f32. So the result is the f32 op's on the f16-rounded
 * inputs, and an all-f32 call runs the kernels (and pipeline keys) it always did.
 * Cut Cross-Entropy (Wijmans et al., 2024) instead never writes a logit tile to global memory (blockwise matmul with
 * the log-sum-exp kept on chip, then a recomputing backward); the chunked form was chosen here because it reuses the
 * cross-entropy kernel unchanged, costs one matmul fewer than recomputing, and its extra memory is still bounded.
 *
 * Memory beyond the inputs and the results: two chunk buffers of B x V floats (logits and their gradient) with
 * B = max(1, floor(logitsChunkBytes / (4 V))), so at most 2 * max(logitsChunkBytes, 4 V) bytes; gradHidden's
 * split-K slabs, at most logitsChunkBytes more (splits * B * D floats: 84 KB for B = 41, D = 8); plus O(N) (row
 * losses, row z-losses) and O(1): O(N + V) in all, never N x V. Tested in test/gpu/linearCrossEntropy.test.ts against
 * engine.stats() (21 MiB for N = 300, D = 8, V = 50257, whose logits would be 58 MiB).
 */
import type { Batch, BoundRange, GpuContext, Tuning } from '../gpu/context.js';
import type { DType, GpuTensor } from '../gpu/tensor.js';
import biasSource from '../../shaders/linear_cross_entropy_bias.wgsl?raw';
import matmulSource from '../../shaders/linear_cross_entropy_matmul.wgsl?raw';
import matmul128Source from '../../shaders/linear_cross_entropy_matmul128.wgsl?raw';
import operandF16 from '../../shaders/matmul_operand_f16.wgsl?raw';
import operandF16Packed from '../../shaders/matmul_operand_f16_packed.wgsl?raw';
import operandF32 from '../../shaders/matmul_operand_f32.wgsl?raw';
import { hoistDirectives, registerKernel, type KernelIo, type MatmulIo, type OperandIo } from '../shaders.js';
import { explainInvalid, gpuRechecks } from '../gpuChecks.js';
import type { LinearCrossEntropyGpuResult, LinearCrossEntropyOptions, LinearCrossEntropyResult, Reduction } from '../types.js';
import {
  XentropyArgumentError,
  checkBoolean,
  checkClassTargets,
  checkFloatInput,
  checkFloatTensor,
  checkInteger,
  checkNumber,
  checkOptions,
  checkReduction,
  checkShape,
  checkWeights,
} from '../validate.js';
import { encodeCrossEntropy, encodeTargetWeightSum } from './crossEntropy.js';
import { encodeSum } from './sum.js';

const OPERAND_IO: Record<OperandIo, string> = { f32: operandF32, f16: operandF16, 'f16-packed': operandF16Packed };

/** The MatmulIo of operands stored as `a`, `b` and `bias`. */
export function matmulIo(a: OperandIo, b: OperandIo, bias: OperandIo): MatmulIo {
  return a === 'f32' && b === 'f32' && bias === 'f32' ? 'f32' : `${a}:${b}:${bias}`;
}

/** A matmul kernel with the operand snippets of its variant (bindings 1, 2, 3: a, b, bias). */
function matmulKernel(source: string): (subgroups: boolean, io: KernelIo) => string {
  return (_subgroups, io) => {
    const types = (io === 'f32' ? 'f32:f32:f32' : io).split(':') as OperandIo[];
    if (types.length !== 3 || !types.every((t) => t in OPERAND_IO)) throw new Error(`xentropy: internal error: matmul operand variant '${io}'`);
    const operands = (['a', 'b', 'bias'] as const).map((name, i) => OPERAND_IO[types[i]!].replaceAll('{{NAME}}', name).replaceAll('{{BINDING}}', String(i + 1)));
    return hoistDirectives([...operands, source]);
  };
}

// This module is loaded when linearCrossEntropy is first called (the engine imports it dynamically): its kernels
// become available then, and applications that never call it do not ship them (see src/shaders.ts).
registerKernel('linear_cross_entropy_matmul', matmulKernel(matmulSource));
registerKernel('linear_cross_entropy_matmul128', matmulKernel(matmul128Source));
registerKernel('linear_cross_entropy_bias', () => biasSource);

/**
 * Bytes of one chunk of logits (and of its gradient). 8 MiB on CPU-emulated adapters (about 42 rows of a 50257-class
 * vocabulary); 128 MiB on GPUs, where 42-row chunks left the H200 mostly idle (N=4096, D=768, V=50257: 291 ms fused
 * against 77 ms unfused). A constant either way, so the memory beyond inputs and gradients stays O(N + V).
 */
export function logitsChunkBytes(tuning: Tuning): number {
  return tuning === 'cpu' ? 8 * 1024 * 1024 : 128 * 1024 * 1024;
}
/**
 * The most K (inner dimension) one matmul dispatch walks, and the most rows in a chunk: keeps every thread's loops
 * below llvmpipe's 65535 iterations per invocation (see the matmul shader's header).
 */
export const MAX_INNER = 4096;
/** linear_cross_entropy_matmul.wgsl's workgroup size (fixed by the shader: 64 threads of 4 x 4 outputs). */
const MATMUL_WG = 64;

/** Threads of the large-tile matmul (linear_cross_entropy_matmul128.wgsl) and the edge of its square C tile. */
const LARGE_WG = 256;
const LARGE_TILE = 128;

/**
 * Whether the matmuls run the large-tile kernel (linear_cross_entropy_matmul128.wgsl: 128 x 128 tiles, 256 threads of
 * 8 x 8 outputs, 16 KiB of workgroup memory): on GPUs (tuning 'gpu') whose engine allows 256-thread workgroups.
 * Otherwise linear_cross_entropy_matmul.wgsl: staged 32 x 32 tiles on a GPU with smaller workgroups, direct storage
 * reads on CPU adapters.
 */
export function largeTiles(ctx: GpuContext): boolean {
  return ctx.tuning === 'gpu' && ctx.workgroupSize >= LARGE_WG && ctx.limits.maxComputeWorkgroupStorageSize >= 16384;
}

function nextPow2(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, x)));
}

export interface LinearCrossEntropyEncodeOptions {
  rows: number;
  dim: number;
  vocab: number;
  reduction: Reduction;
  ignoreIndex: number;
  grad: boolean;
  bias: GpuTensor | undefined;
  classWeight: GpuTensor | undefined;
  /** Sum of the class weights (V without them; unused when classWeightOnGpu). */
  allWeights: number;
  /** classWeight was given as a GpuTensor: checked and summed on the GPU (see src/ops/weightCheck.ts). */
  classWeightOnGpu?: boolean;
  labelSmoothing: number;
  zLoss: number;
  softcap: number | undefined;
}

/** The GPU results (weightSum: 2 elements, the mean's denominator and the count of out-of-range targets). */
export type LinearCrossEntropyEncoded = LinearCrossEntropyGpuResult;

/**
 * Rows per chunk, and classes per vocabulary segment (the most rows of the weight one binding holds; the matmul
 * splits its own K), for a problem, or a clear error if one row cannot be bound.
 */
export function planLinearCrossEntropy(ctx: GpuContext, rows: number, dim: number, vocab: number): { chunkRows: number; segment: number } {
  const maxElements = ctx.maxBindingElements;
  if (vocab > maxElements) {
    throw new Error(`linearCrossEntropy: one row of ${vocab} logits (${vocab * 4} bytes) exceeds this device's maxStorageBufferBindingSize (${ctx.limits.maxStorageBufferBindingSize} bytes)`);
  }
  if (dim > maxElements) {
    throw new Error(`linearCrossEntropy: one row of ${dim} hidden values exceeds this device's maxStorageBufferBindingSize (${ctx.limits.maxStorageBufferBindingSize} bytes)`);
  }
  let chunkRows = Math.max(1, Math.min(rows, MAX_INNER, Math.floor(logitsChunkBytes(ctx.tuning) / (4 * vocab)), Math.floor(maxElements / vocab), Math.floor(maxElements / dim)));
  // Large tiles: chunks of whole 128-row tiles when there are several (667 rows, the 128 MiB chunk of a 50257-class
  // vocabulary, would compute 768 rows' worth of tiles in the logits and gradHidden products; 640 compute 640).
  if (largeTiles(ctx) && chunkRows < rows && chunkRows > LARGE_TILE) chunkRows -= chunkRows % LARGE_TILE;
  const segment = Math.max(1, Math.min(vocab, Math.floor(maxElements / dim)));
  return { chunkRows, segment };
}

export interface MatmulArgs {
  m: number;
  n: number;
  k: number;
  a: BoundRange;
  lda: number;
  aOffset: number;
  b: BoundRange;
  ldb: number;
  bOffset: number;
  c: BoundRange;
  ldc: number;
  cOffset: number;
  transA: boolean;
  transB: boolean;
  accumulate: boolean;
  bias?: BoundRange | undefined;
  /** Split-K: K in this many pieces in one dispatch, piece s written at cOffset + s * splitStride (default 1). */
  splits?: number;
  splitStride?: number;
  /** The weight sum binding (always bound); `scaled` divides the product by its element 0. */
  weightSum: GPUBufferBinding;
  scaled: boolean;
  /** Element types of a, b and bias (default f32): f16 operands are widened to f32 as they are read. */
  aType?: DType;
  bType?: DType;
  biasType?: DType;
}

/** Record C (+)= s A B (+ bias), splitting K into accumulating dispatches of at most MAX_INNER. */
export function encodeMatmul(ctx: GpuContext, batch: Batch, p: MatmulArgs, noBias: GPUBufferBinding): void {
  const large = largeTiles(ctx);
  // Large tiles: 128 x 128. Staged (GPUs with smaller workgroups): 8 x 8 threads, 32 x 32 tiles. Unstaged (CPU
  // adapters): the 64 threads' shape follows C's, so a thin C (N = D = 2, or M = 7 rows) does not leave most threads
  // of every workgroup idle.
  const stage = ctx.tuning === 'gpu';
  let tn = 8;
  if (!stage) {
    tn = Math.min(MATMUL_WG, nextPow2(Math.ceil(p.n / 4)));
    const needM = nextPow2(Math.ceil(p.m / 4));
    if (needM < MATMUL_WG / tn) tn = Math.min(MATMUL_WG, MATMUL_WG / needM);
  }
  const tm = MATMUL_WG / tn;
  const tileM = large ? LARGE_TILE : 4 * tm;
  const tileN = large ? LARGE_TILE : 4 * tn;
  const tilesN = Math.ceil(p.n / tileN);
  const tiles = Math.ceil(p.m / tileM) * tilesN;
  const splits = p.splits ?? 1;
  const kSplit = Math.ceil(p.k / splits);
  if (splits > 1 && (kSplit > MAX_INNER || Math.ceil(p.k / kSplit) !== splits)) throw new Error('linearCrossEntropy: internal error: split-K pieces');
  const step = splits > 1 ? p.k : MAX_INNER;
  for (let k0 = 0; k0 < p.k; k0 += step) {
    const depth = Math.min(step, p.k - k0);
    const first = k0 === 0;
    const withBias = first && p.bias !== undefined;
    const io = matmulIo(ctx.operandIo(p.aType ?? 'f32'), ctx.operandIo(p.bType ?? 'f32'), withBias ? ctx.operandIo(p.biasType ?? 'f32') : 'f32');
    const flags = { TRANS_A: p.transA, TRANS_B: p.transB, ACCUMULATE: p.accumulate || !first, BIAS: withBias, SCALED: p.scaled };
    batch.dispatch(
      large ? 'linear_cross_entropy_matmul128' : 'linear_cross_entropy_matmul',
      large ? { WG: LARGE_WG, ...flags } : { WG: MATMUL_WG, STAGE: stage, TM: tm, TN: tn, ...flags },
      [
        p.m, p.n, depth, p.lda, p.ldb, p.ldc,
        p.a.shift + p.aOffset + (p.transA ? k0 * p.lda : k0),
        p.b.shift + p.bOffset + (p.transB ? k0 : k0 * p.ldb),
        p.c.shift + p.cOffset,
        withBias ? p.bias!.shift : 0,
        tilesN, tiles, splits > 1 ? kSplit : depth, splits > 1 ? p.splitStride! : 0,
      ],
      [p.a.binding, p.b.binding, withBias ? p.bias!.binding : noBias, p.weightSum, p.c.binding],
      tiles * splits,
      true,
      io,
    );
  }
}

/**
 * Pieces of gradHidden's K (a vocabulary segment of `k` classes) for an output of `outputs` floats: enough for about
 * 256 classes each, at most 64, and at most what keeps the partial slabs within the chunk bytes; but always pieces of
 * at most MAX_INNER (one dispatch), else 1 (the plain accumulating dispatches).
 */
function splitCount(k: number, outputs: number, chunkBytes: number): number {
  const byMemory = Math.floor(chunkBytes / (4 * outputs));
  const wanted = Math.min(64, Math.ceil(k / 256), byMemory);
  if (wanted <= 1) return 1;
  // The pieces actually formed (every slab the column sums add must have been written).
  const piece = Math.ceil(k / wanted);
  return piece <= MAX_INNER ? Math.ceil(k / piece) : 1;
}

/** out (+)= s * column sums of g [rows, cols] (linear_cross_entropy_bias.wgsl): gradBias, and split-K slabs. */
function encodeColumnSums(ctx: GpuContext, batch: Batch, g: BoundRange, rows: number, cols: number, out: BoundRange, accumulate: boolean, weightSum: GPUBufferBinding, scaled: boolean): void {
  const wg = Math.min(64, ctx.workgroupSize);
  batch.dispatch(
    'linear_cross_entropy_bias',
    { WG: wg, ACCUMULATE: accumulate, SCALED: scaled },
    [rows, cols, g.shift, out.shift],
    [g.binding, weightSum, out.binding],
    Math.ceil(cols / wg),
  );
}

/**
 * Run the fused linear cross-entropy: one submission for the weight sum, one per chunk of rows (each records a
 * bounded number of dispatches), one for the reductions. Resolves once everything is submitted; the results are
 * engine-owned tensors the caller releases.
 */
export async function runLinearCrossEntropy(ctx: GpuContext, op: string, hidden: GpuTensor, weight: GpuTensor, target: GpuTensor, o: LinearCrossEntropyEncodeOptions): Promise<LinearCrossEntropyEncoded> {
  const { rows, dim, vocab } = o;
  const { chunkRows, segment } = planLinearCrossEntropy(ctx, rows, dim, vocab);
  const withZ = o.zLoss !== 0;
  const scaled = o.reduction === 'mean';
  const owned: GpuTensor[] = [];
  const allocate = (length: number, label: string): GpuTensor => {
    const t = ctx.allocate(length, 'f32', label);
    owned.push(t);
    return t;
  };
  // Placeholders bound where a kernel's optional input is absent (1 float each, engine-owned until the end).
  const placeholder = allocate(1, 'linear-cross-entropy-placeholder');
  const rowLoss = allocate(rows, 'linear-cross-entropy-row-loss');
  const rowZ = withZ ? allocate(rows, 'linear-cross-entropy-row-z') : undefined;
  const gradHidden = o.grad ? allocate(rows * dim, 'linear-cross-entropy-grad-hidden') : undefined;
  const gradWeight = o.grad ? allocate(vocab * dim, 'linear-cross-entropy-grad-weight') : undefined;
  const gradBias = o.grad && o.bias ? allocate(vocab, 'linear-cross-entropy-grad-bias') : undefined;
  const noBias = ctx.bind(placeholder, 0, 1).binding;
  try {
    const weightSum = await ctx.submit(op, (batch) => encodeTargetWeightSum(ctx, batch, target, o.classWeight ?? placeholder, { rows: o.rows, cols: o.vocab, ignoreIndex: o.ignoreIndex, weighted: o.classWeight !== undefined, softTarget: false, weightsOnGpu: o.classWeightOnGpu }));
    owned.push(weightSum);
    const ws = ctx.bind(weightSum, 0, 2).binding;
    const view = (t: GpuTensor, dtype: 'f32' | 'i32', start: number, length: number): GpuTensor => ctx.own(t.buffer, dtype, length, t.byteOffset + start * 4, false);

    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const b = Math.min(chunkRows, rows - r0);
      await ctx.submit(op, (batch) => {
        const logits = batch.scratchTensor(b * vocab, 'f32', 'linear-cross-entropy-logits');
        const logitsRange = ctx.bind(logits, 0, b * vocab);
        const hiddenRange = ctx.bind(hidden, r0 * dim, b * dim);
        // 1. The chunk's logits, by vocabulary segments (each segment of the weight fits one binding).
        for (let v0 = 0; v0 < vocab; v0 += segment) {
          const n = Math.min(segment, vocab - v0);
          encodeMatmul(ctx, batch, {
            m: b, n, k: dim,
            a: hiddenRange, lda: dim, aOffset: 0,
            b: ctx.bind(weight, v0 * dim, n * dim), ldb: dim, bOffset: 0, transB: true,
            c: logitsRange, ldc: vocab, cOffset: v0,
            transA: false, accumulate: false,
            bias: o.bias ? ctx.bind(o.bias, v0, n) : undefined,
            weightSum: ws, scaled: false,
            aType: hidden.dtype, bType: weight.dtype, biasType: o.bias?.dtype ?? 'f32',
          }, noBias);
        }
        // 2. Row losses and unscaled d loss / d logits: the cross-entropy kernel, unchanged.
        const ce = encodeCrossEntropy(ctx, batch, logits, view(target, 'i32', r0, b), {
          rows: b, cols: vocab, inner: 1, reduction: 'none', ignoreIndex: o.ignoreIndex, grad: o.grad, softTarget: false,
          inputs: 'logits', weight: o.classWeight, allWeights: o.allWeights, weightsOnGpu: o.classWeightOnGpu, labelSmoothing: o.labelSmoothing, zLoss: o.zLoss,
          softcap: o.softcap,
        });
        batch.copy(ce.loss, view(rowLoss, 'f32', r0, b));
        if (rowZ && ce.zLoss) batch.copy(ce.zLoss, view(rowZ, 'f32', r0, b));
        // 3. Gradients of this chunk's rows (gradHidden) and their contribution to gradWeight and gradBias.
        if (ce.grad && gradHidden && gradWeight) {
          const g = ctx.bind(ce.grad, 0, b * vocab);
          const gh = ctx.bind(gradHidden, r0 * dim, b * dim);
          for (let v0 = 0; v0 < vocab; v0 += segment) {
            const n = Math.min(segment, vocab - v0);
            const w = ctx.bind(weight, v0 * dim, n * dim);
            // gradHidden's K is the vocabulary: long, while the chunk's [b, D] output may be a handful of tiles. Split
            // K in one dispatch into partial slabs (more workgroups at work), then add the slabs in order.
            const splits = splitCount(n, b * dim, logitsChunkBytes(ctx.tuning));
            if (splits === 1) {
              encodeMatmul(ctx, batch, {
                m: b, n: dim, k: n,
                a: g, lda: vocab, aOffset: v0, transA: false,
                b: w, ldb: dim, bOffset: 0, transB: false,
                c: gh, ldc: dim, cOffset: 0, accumulate: v0 > 0,
                weightSum: ws, scaled, bType: weight.dtype,
              }, noBias);
            } else {
              const partials = batch.scratchTensor(splits * b * dim, 'f32', 'linear-cross-entropy-partials');
              encodeMatmul(ctx, batch, {
                m: b, n: dim, k: n,
                a: g, lda: vocab, aOffset: v0, transA: false,
                b: w, ldb: dim, bOffset: 0, transB: false,
                c: ctx.bind(partials, 0, splits * b * dim), ldc: dim, cOffset: 0, accumulate: false,
                splits, splitStride: b * dim,
                weightSum: ws, scaled, bType: weight.dtype,
              }, noBias);
              encodeColumnSums(ctx, batch, ctx.bind(partials, 0, splits * b * dim), splits, b * dim, gh, v0 > 0, ws, false);
            }
            encodeMatmul(ctx, batch, {
              m: n, n: dim, k: b,
              a: g, lda: vocab, aOffset: v0, transA: true,
              b: hiddenRange, ldb: dim, bOffset: 0, transB: false,
              c: ctx.bind(gradWeight, v0 * dim, n * dim), ldc: dim, cOffset: 0, accumulate: r0 > 0,
              weightSum: ws, scaled, bType: hidden.dtype,
            }, noBias);
          }
          if (gradBias) encodeColumnSums(ctx, batch, g, b, vocab, ctx.bind(gradBias, 0, vocab), r0 > 0, ws, scaled);
        }
        // Back to the pool: later dispatches of this batch that reuse them run after these (queue order).
        for (const t of [ce.loss, ce.weightSum, ce.grad, ce.zLoss]) t?.release();
      });
    }

    return await ctx.submit(op, (batch) => {
      const result: LinearCrossEntropyEncoded = { loss: rowLoss, weightSum };
      if (o.reduction !== 'none') {
        const divideBy = scaled ? weightSum : undefined;
        result.loss = allocate(1, 'linear-cross-entropy-loss');
        encodeSum(ctx, batch, rowLoss, rows, result.loss, divideBy);
        if (rowZ) {
          result.zLoss = allocate(1, 'linear-cross-entropy-z-loss');
          encodeSum(ctx, batch, rowZ, rows, result.zLoss, divideBy);
        }
      } else if (rowZ) {
        result.zLoss = rowZ;
      }
      if (gradHidden) result.gradHidden = gradHidden;
      if (gradWeight) result.gradWeight = gradWeight;
      if (gradBias) result.gradBias = gradBias;
      // Release what is not handed to the caller (the row sums once reduced, the placeholder) after recording.
      const kept = new Set<GpuTensor>([result.loss, result.weightSum, ...[result.zLoss, gradHidden, gradWeight, gradBias].filter((t): t is GpuTensor => t !== undefined)]);
      for (const t of owned) if (!kept.has(t)) t.release();
      owned.length = 0;
      for (const t of kept) owned.push(t); // released by the catch below if this submission fails
      return result;
    });
  } catch (error) {
    for (const t of owned) t.release();
    throw error;
  }
}

const LINEAR_CE_OPTIONS = ['shape', 'bias', 'reduction', 'ignoreIndex', 'grad', 'classWeight', 'labelSmoothing', 'zLoss', 'softcap'];

/** Validate linearCrossEntropy's arguments (host and GPU-resident forms; the engine checks it is alive first). */
export function linearCrossEntropyArgs(op: string, hidden: unknown, weight: unknown, target: unknown, options: LinearCrossEntropyOptions) {
  checkOptions(op, options, LINEAR_CE_OPTIONS);
  // hidden, weight and bias may be f16 GpuTensors (read exactly, widened to f32; the results stay f32).
  const { rows, cols: dim } = checkShape(op, options.shape, checkFloatInput(op, 'hidden', hidden, true), 'hidden');
  const weightLength = checkFloatInput(op, 'weight', weight, true);
  if (weightLength === 0 || weightLength % dim !== 0) {
    throw new XentropyArgumentError(op, 'weight', `has ${weightLength} elements, not a positive multiple of hidden's last dimension (${dim}): it must be [V, ${dim}]`);
  }
  const vocab = weightLength / dim;
  const reduction = checkReduction(op, options.reduction);
  const grad = checkBoolean(op, 'grad', options.grad, true);
  const ignoreIndex = checkInteger(op, 'ignoreIndex', options.ignoreIndex, -100);
  const labelSmoothing = checkNumber(op, 'labelSmoothing', options.labelSmoothing, 0, 0, 1);
  const zLoss = checkNumber(op, 'zLoss', options.zLoss, 0, 0, Infinity);
  const softcap = options.softcap === undefined ? undefined : checkNumber(op, 'softcap', options.softcap, 0, 0, Infinity, true);
  const bias = options.bias === undefined ? undefined : checkFloatTensor(op, 'bias', options.bias, vocab, 'the weight has V =', true);
  const classWeight = options.classWeight === undefined ? undefined : checkWeights(op, 'classWeight', options.classWeight, [vocab], `one per class (V = ${vocab})`);
  const allWeights = classWeight instanceof Float32Array ? classWeight.reduce((a, b) => a + b, 0) : vocab;
  const checkedTarget = checkClassTargets(op, target, rows, vocab, ignoreIndex, 'hidden has');
  const recheck = gpuRechecks(
    [checkedTarget, (v) => checkClassTargets(op, v, rows, vocab, ignoreIndex, 'hidden has')],
    [classWeight, (v) => checkWeights(op, 'classWeight', v, [vocab], `one per class (V = ${vocab})`)],
  );
  return { rows, dim, vocab, reduction, grad, ignoreIndex, labelSmoothing, zLoss, softcap, bias, classWeight, allWeights, target: checkedTarget, recheck };
}

export type LinearArgs = ReturnType<typeof linearCrossEntropyArgs>;

/** The host form's result: a GPU result read back and released; invalid GPU targets or weights throw here. */
export async function readLinearCrossEntropy(op: string, o: LinearArgs, result: LinearCrossEntropyGpuResult): Promise<LinearCrossEntropyResult> {
  const none = o.reduction === 'none';
  const tensors = [result.loss, result.weightSum, result.gradHidden, result.gradWeight, result.gradBias, result.zLoss].filter((t): t is GpuTensor => t !== undefined);
  try {
    const [loss, ws, gradHidden, gradWeight, gradBias, z] = await Promise.all(
      [result.loss, result.weightSum, result.gradHidden, result.gradWeight, result.gradBias, result.zLoss].map((t) => t?.read() as Promise<Float32Array> | undefined),
    );
    if (ws![1]! > 0) await explainInvalid(op, ws![1]!, o.recheck);
    const out: LinearCrossEntropyResult = {
      loss: none ? loss! : loss![0]!,
      gradHidden,
      gradWeight,
      gradBias,
      weightSum: ws![0]!,
      zLoss: z === undefined ? undefined : none ? z : z[0]!,
    };
    for (const key of Object.keys(out) as (keyof LinearCrossEntropyResult)[]) if (out[key] === undefined) delete out[key];
    return out;
  } finally {
    for (const t of tensors) t.release();
  }
}
