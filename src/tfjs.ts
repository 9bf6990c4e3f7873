/**
 * xentropy/tfjs: the fused losses as TensorFlow.js ops, with tfjs's own signatures and semantics.
 *
 * ```ts
 * import { categoricalCrossentropyFromLogits, ready } from 'xentropy/tfjs';
 * await ready(); // once, after tf.setBackend('webgpu'): xentropy joins that backend's GPUDevice
 * model.compile({ optimizer: 'adam', loss: categoricalCrossentropyFromLogits });
 * ```
 *
 * On tfjs's WebGPU backend each call is one tfjs op (tf.customGrad): xentropy's fused kernel reads the logits from the
 * backend's own buffer (no copy), writes per-row losses and their gradient in the same pass, and both come back as tfjs
 * tensors over xentropy's buffers (tf.tensor({ buffer, zeroCopy: true })): nothing is read back and nothing waits.
 * Weights and reductions are then tfjs's own ops on the per-row losses (tf.losses.computeWeightedLoss), so they mean
 * exactly what they mean in tfjs. On any other backend (webgl, wasm, cpu) the calls are tfjs's own ops, with a one-time
 * console note saying why.
 *
 * Labels are constants: no gradient flows into them. (tfjs's softmaxCrossEntropy gives its labels dy * (labels -
 * softmax), which is not the derivative of the loss; model.fit and optimizer.minimize never ask for it.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { createEngine, type Engine } from './engine.js';
import type { GpuTensor } from './gpu/tensor.js';

/** What xentropy uses of tfjs-backend-webgpu's WebGPUBackend (all public members of its 4.x class). */
interface WebGpuBackend {
  device: GPUDevice;
  /** The backend's data: `resource` is the GPUBuffer holding a tensor's values once they are on the GPU. */
  tensorMap: { get(dataId: object): { resource?: unknown } | undefined };
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  refCount(dataId: object): number;
}

/** xentropy on one tfjs WebGPU backend: its engine, and the buffers lent to tfjs tensors. */
interface Session {
  engine: Engine;
  backend: WebGpuBackend;
  /** Engine buffers under tfjs tensors: back to the engine's pool once tfjs has dropped the tensor. */
  lent: { dataId: object; tensor: GpuTensor }[];
  /** An error reported after a call returned (its recording failed validation): thrown by the next call. */
  failure: unknown;
}

const sessions = new WeakMap<object, Session | Promise<Session>>();
const noted = new Set<string>();

/** A one-time console note (per reason) that a call used tfjs's own ops. */
function note(key: string, why: string): void {
  if (noted.has(key)) return;
  noted.add(key);
  console.info(`xentropy/tfjs: ${why}; using tfjs's own ops.`);
}

/** tfjs's current backend when it is tfjs-backend-webgpu, else null. */
function webgpuBackend(): WebGpuBackend | null {
  const backend = tf.backend() as unknown as Partial<WebGpuBackend>;
  const methods = [backend?.uploadToGPU, backend?.submitQueue, backend?.refCount];
  const fits = typeof backend?.device === 'object' && methods.every((method) => typeof method === 'function');
  return fits ? (backend as WebGpuBackend) : null;
}

function startSession(backend: WebGpuBackend): Promise<Session> {
  const pending = createEngine({ device: backend.device }).then((engine) => {
    const session: Session = { engine, backend, lent: [], failure: undefined };
    sessions.set(backend, session);
    return session;
  });
  pending.catch(() => sessions.delete(backend));
  sessions.set(backend, pending);
  return pending;
}

/**
 * Set xentropy up on tfjs's current backend: with tfjs-backend-webgpu, an engine on that backend's own GPUDevice
 * (resolves to it); with any other backend, null (the ops then are tfjs's). Await it once before training: calls made
 * before it resolved use tfjs's own ops.
 */
export async function ready(): Promise<Engine | null> {
  await tf.ready();
  const backend = webgpuBackend();
  if (!backend) return null;
  return (await (sessions.get(backend) ?? startSession(backend))).engine;
}

/**
 * Destroy the engine set up on tfjs's current backend (its buffers, including those under tfjs tensors: dispose those
 * first). The next `ready()` makes a new one.
 */
export function release(): void {
  const backend = webgpuBackend();
  const session = backend && sessions.get(backend);
  if (!session || session instanceof Promise) return;
  sessions.delete(backend);
  session.engine.destroy();
}

/** The session for tfjs's current backend, or null (with the note that says why) when tfjs's ops must do the work. */
function sessionFor(logits: tf.Tensor, labels: tf.Tensor): Session | null {
  const backend = webgpuBackend();
  if (!backend) return note(`backend:${tf.getBackend()}`, `tfjs's backend is '${tf.getBackend()}', not 'webgpu'`), null;
  const session = sessions.get(backend);
  if (!session || session instanceof Promise) {
    const failed = (error: unknown) => note('engine', `no engine on the WebGPU backend's device (${String(error)})`);
    if (!session) startSession(backend).catch(failed);
    note('pending', 'the engine on the WebGPU backend is not ready yet (await ready() before training)');
    return null;
  }
  if (session.engine.device !== backend.device) {
    return note('lost', 'the engine no longer runs on the WebGPU backend\'s device (it was lost)'), null;
  }
  if (logits.dtype !== 'float32') {
    return note(`dtype:${logits.dtype}`, `the logits are ${logits.dtype}, not float32`), null;
  }
  if (logits.size === 0 || labels.size === 0) return null; // nothing to compute: tfjs's ops give tfjs's empty results
  if (session.failure !== undefined) {
    const failure = session.failure;
    session.failure = undefined;
    throw failure;
  }
  return session;
}

/** The GPUBuffer holding a tensor's values (uploaded first when they are still on the CPU). */
function bufferOf(backend: WebGpuBackend, tensor: tf.Tensor): GPUBuffer {
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource as GPUBuffer | undefined;
  if (typeof resource?.usage !== 'number') {
    throw new Error("xentropy/tfjs: this tensor's values are not in a GPUBuffer of the WebGPU backend");
  }
  return resource;
}

type Kind = 'softmax' | 'sparse' | 'sigmoid';

/**
 * Run xentropy's kernel for per-row (softmax, sparse) or per-element (sigmoid) losses and their gradient, in order
 * after the work tfjs has recorded so far; return both as tfjs tensors over the engine's buffers.
 */
function runKernel(
  session: Session,
  kind: Kind,
  logits: tf.Tensor,
  labels: tf.Tensor,
  labelSmoothing: number,
): { loss: tf.Tensor; grad: tf.Tensor } {
  const { engine, backend } = session;
  const classes = logits.shape[logits.rank - 1] ?? 1;
  const rows = logits.size / classes;
  const logitsBuffer = bufferOf(backend, logits);
  const labelsBuffer = bufferOf(backend, labels);
  // Submit what tfjs has recorded (the logits' producer among it), as its own dataToGPU does: the kernel then runs
  // after it on the queue. Everything tfjs recorded that reads a lent buffer is submitted too, so buffers whose tfjs
  // tensors are gone can go back to the engine's pool now.
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  backend.submitQueue();
  reclaim(session);
  const encoder = backend.device.createCommandEncoder({ label: `xentropy/tfjs ${kind}` });
  const encoding = engine.gpu.encodeInto(encoder);
  const x = engine.gpu.wrap(logitsBuffer, { dtype: 'f32', length: logits.size });
  const t = engine.gpu.wrap(labelsBuffer, { dtype: kind === 'sparse' ? 'i32' : 'f32', length: labels.size });
  let result;
  try {
    result =
      kind === 'sigmoid'
        ? encoding.binaryCrossEntropyWithLogits(x, t, { shape: [logits.size], reduction: 'none' })
        : encoding.crossEntropy(x, t, { shape: [rows, classes], reduction: 'none', labelSmoothing });
  } finally {
    backend.device.queue.submit([encoder.finish()]);
    encoding.submitted().catch((error: unknown) => (session.failure = error));
  }
  (result as { weightSum?: GpuTensor }).weightSum?.release(); // read by the kernels just submitted, by nothing else
  const lossShape = kind === 'sigmoid' ? logits.shape : logits.shape.slice(0, -1);
  return { loss: lend(session, result.loss, lossShape), grad: lend(session, result.grad!, logits.shape) };
}

/** A tfjs tensor over an engine buffer (no copy); the buffer returns to the engine once tfjs has dropped it. */
function lend(session: Session, tensor: GpuTensor, shape: number[]): tf.Tensor {
  const lent = tf.tensor({ buffer: tensor.buffer, zeroCopy: true }, shape, 'float32');
  session.lent.push({ dataId: lent.dataId, tensor });
  return lent;
}

/** Release the engine buffers whose tfjs tensors are disposed (call right after tfjs's queue was submitted). */
function reclaim(session: Session): void {
  session.lent = session.lent.filter(({ dataId, tensor }) => {
    if (session.backend.refCount(dataId) > 0) return true;
    tensor.release();
    return false;
  });
}

/**
 * The per-row (per-element for sigmoid) losses as one tfjs op: the forward pass computes the gradient too, and the
 * backward pass scales it by dy. Labels are constants (captured, not an input of the op).
 */
function fusedLosses(session: Session, kind: Kind, labels: tf.Tensor, logits: tf.Tensor, smoothing: number): tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const { loss, grad } = runKernel(session, kind, x, labels, smoothing);
    save([grad]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const g = saved[0]!;
      return tf.mul(kind === 'sigmoid' ? dy : tf.reshape(dy, [...dy.shape, 1]), g);
    };
    return { value: loss, gradFunc };
  });
  return op(logits);
}

function asTensor(value: tf.Tensor | tf.TensorLike, name: string, op: string): tf.Tensor {
  if (value instanceof tf.Tensor) return value;
  try {
    return tf.tensor(value as tf.TensorLike);
  } catch (error) {
    throw new Error(`Argument '${name}' passed to '${op}' must be a Tensor or TensorLike (${String(error)})`, {
      cause: error,
    });
  }
}

function checkShapesMatch(a: tf.Tensor, b: tf.Tensor, op: string): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`Error in ${op}: Shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} must match`);
  }
}

function checkLabelSmoothing(labelSmoothing: unknown, op: string): number {
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new Error(`Error in ${op}: labelSmoothing must be a number in [0, 1] (got ${String(labelSmoothing)})`);
  }
  return labelSmoothing;
}

/**
 * tf.losses.softmaxCrossEntropy, fused: softmax cross-entropy of `logits` ([..., classes]) against `onehotLabels` (the
 * same shape: one-hot or any probability rows), label smoothing towards 1 / classes
 * (`labels * (1 - labelSmoothing) + labelSmoothing / classes`), then `weights` and `reduction` as tfjs applies them
 * (default Reduction.SUM_BY_NONZERO_WEIGHTS: the mean over rows without weights).
 */
export function softmaxCrossEntropy<T extends tf.Tensor, O extends tf.Tensor>(
  onehotLabels: T | tf.TensorLike,
  logits: T | tf.TensorLike,
  weights?: tf.Tensor | tf.TensorLike,
  labelSmoothing = 0,
  reduction: tf.Reduction = tf.Reduction.SUM_BY_NONZERO_WEIGHTS,
): O {
  const op = 'softmaxCrossEntropy';
  return tf.tidy(() => {
    const $labels = asTensor(onehotLabels, 'onehotLabels', op);
    const $logits = asTensor(logits, 'logits', op);
    checkShapesMatch($labels, $logits, op);
    const smoothing = checkLabelSmoothing(labelSmoothing, op);
    const session = sessionFor($logits, $labels);
    // tfjs divides the smoothing by shape[1] (the class count for rank 2, which the kernel uses); other ranks keep
    // tfjs's own formula.
    if (!session || $logits.rank !== 2) {
      return tf.losses.softmaxCrossEntropy($labels, $logits, weights, smoothing, reduction);
    }
    const labels32 = $labels.dtype === 'float32' ? $labels : tf.cast($labels, 'float32');
    const losses = fusedLosses(session, 'softmax', labels32, $logits, smoothing);
    return tf.losses.computeWeightedLoss(losses, weights, reduction);
  }) as O;
}

/** Options of sparseSoftmaxCrossEntropy: those of tf.losses.softmaxCrossEntropy after its two tensors. */
export interface SparseSoftmaxCrossEntropyOptions {
  /** Broadcastable to the per-row losses (shape `labels.shape`), as tfjs's `weights`. */
  weights?: tf.Tensor | tf.TensorLike;
  /** Smooth the one-hot rows towards 1 / classes, as tfjs's `labelSmoothing` (default 0). */
  labelSmoothing?: number;
  /** tfjs's Reduction (default SUM_BY_NONZERO_WEIGHTS: the mean over rows without weights). */
  reduction?: tf.Reduction;
}

/**
 * Softmax cross-entropy against class indices: `softmaxCrossEntropy(tf.oneHot(labels, classes), logits, ...)` without
 * the one-hot tensor, as Keras's sparseCategoricalCrossentropy(fromLogits: true). `labels` holds one class index per
 * row of `logits`: shape `logits.shape` without the last dimension, or with a last dimension of 1 (as Keras takes
 * them); int32, or float32 holding whole numbers (floored, as tfjs-layers does). A label outside [0, classes) makes
 * its row's loss NaN (tfjs's oneHot would give a row of zeros, a loss of 0, silently), except -100, whose row counts
 * as a loss of 0 with a zero gradient (as an all-zero one-hot row does in tfjs without label smoothing).
 */
export function sparseSoftmaxCrossEntropy<O extends tf.Tensor>(
  labels: tf.Tensor | tf.TensorLike,
  logits: tf.Tensor | tf.TensorLike,
  options: SparseSoftmaxCrossEntropyOptions = {},
): O {
  const op = 'sparseSoftmaxCrossEntropy';
  const known = ['weights', 'labelSmoothing', 'reduction'];
  const unknown = Object.keys(options ?? {}).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new Error(`Error in ${op}: unknown option ${unknown.join(', ')} (options: ${known.join(', ')})`);
  }
  const { weights, labelSmoothing = 0, reduction = tf.Reduction.SUM_BY_NONZERO_WEIGHTS } = options ?? {};
  const smoothing = checkLabelSmoothing(labelSmoothing, op);
  return tf.tidy(() => {
    const $logits = asTensor(logits, 'logits', op);
    const $labels = asTensor(labels, 'labels', op);
    const rowShape = $logits.shape.slice(0, -1);
    const withUnitDim = $labels.rank === $logits.rank && $labels.shape[$labels.rank - 1] === 1;
    const labelRows = withUnitDim ? $labels.shape.slice(0, -1) : $labels.shape;
    if ($logits.rank < 1 || labelRows.length !== rowShape.length || labelRows.some((d, i) => d !== rowShape[i])) {
      throw new Error(
        `Error in ${op}: labels of shape ${JSON.stringify($labels.shape)} do not index the rows of logits of shape ` +
          `${JSON.stringify($logits.shape)} (labels must have shape ${JSON.stringify(rowShape)}, ` +
          'or that with a last dimension of 1)',
      );
    }
    const rows = withUnitDim ? tf.reshape($labels, rowShape) : $labels;
    const indices = rows.dtype === 'int32' ? rows : tf.cast(tf.floor(rows), 'int32');
    const session = sessionFor($logits, indices);
    if (!session) {
      const classes = $logits.shape[$logits.rank - 1]!;
      const onehot = tf.reshape(tf.oneHot(tf.reshape(indices, [-1]), classes), $logits.shape);
      return tf.losses.softmaxCrossEntropy(onehot, $logits, weights, smoothing, reduction);
    }
    const losses = fusedLosses(session, 'sparse', indices, $logits, smoothing);
    return tf.losses.computeWeightedLoss(losses, weights, reduction);
  }) as O;
}

/**
 * tf.losses.sigmoidCrossEntropy, fused: element-wise binary cross-entropy of `logits` against `multiClassLabels`
 * (the same shape), label smoothing towards 1/2 (`labels * (1 - labelSmoothing) + 0.5 * labelSmoothing`, applied by
 * tfjs's ops), then `weights` and `reduction` as tfjs applies them.
 */
export function sigmoidCrossEntropy<T extends tf.Tensor, O extends tf.Tensor>(
  multiClassLabels: T | tf.TensorLike,
  logits: T | tf.TensorLike,
  weights?: tf.Tensor | tf.TensorLike,
  labelSmoothing = 0,
  reduction: tf.Reduction = tf.Reduction.SUM_BY_NONZERO_WEIGHTS,
): O {
  const op = 'sigmoidCrossEntropy';
  return tf.tidy(() => {
    const $labels = asTensor(multiClassLabels, 'multiClassLabels', op);
    const $logits = asTensor(logits, 'logits', op);
    checkShapesMatch($labels, $logits, op);
    const smoothing = checkLabelSmoothing(labelSmoothing, op);
    const session = sessionFor($logits, $labels);
    if (!session) return tf.losses.sigmoidCrossEntropy($labels, $logits, weights, smoothing, reduction);
    let labels32 = $labels.dtype === 'float32' ? $labels : tf.cast($labels, 'float32');
    if (smoothing > 0) labels32 = tf.add(tf.mul(labels32, tf.scalar(1 - smoothing)), tf.scalar(0.5 * smoothing));
    const losses = fusedLosses(session, 'sigmoid', labels32, $logits, 0);
    return tf.losses.computeWeightedLoss(losses, weights, reduction);
  }) as O;
}

/**
 * A tfjs-layers loss (`model.compile({ loss: categoricalCrossentropyFromLogits })`) for a model whose last layer
 * outputs logits (no softmax): one-hot (or probability) targets, one loss per sample; the model averages them.
 * (model.fit checks that targets have the output's shape, exempting only tfjs-layers' own sparse loss, so class-index
 * targets need a training loop of your own: sparseSoftmaxCrossEntropy with optimizer.minimize.)
 */
export function categoricalCrossentropyFromLogits(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  return softmaxCrossEntropy(yTrue, yPred, undefined, 0, tf.Reduction.NONE);
}
