/**
 * GpuTensor: a typed view of data that lives in a GPUBuffer, the currency of the GPU-resident API (`engine.gpu`).
 * Either the engine owns the buffer (results, uploads: `release()` returns it to the engine's pool) or the caller does
 * (`engine.gpu.wrap(buffer, ...)`: `release()` does nothing and the caller keeps destroying it).
 */
import { XentropyArgumentError } from '../errors.js';

/**
 * Element type. 'f16' (IEEE binary16) packs two elements per 32-bit word, element 2k in the low half; its `read()`
 * gives f32 values. Which ops take f16: see README (cross-entropy's logits and gradient, log-softmax).
 */
export type DType = 'f32' | 'i32' | 'f16';

/** Bytes per element. */
export function elementBytes(dtype: DType): number {
  return dtype === 'f16' ? 2 : 4;
}

/** Bytes `length` elements of `dtype` cover: whole 32-bit words (an odd-length f16 tensor includes 2 padding bytes). */
export function byteLengthOf(dtype: DType, length: number): number {
  return Math.ceil((length * elementBytes(dtype)) / 4) * 4;
}

export class GpuTensor {
  private released = false;

  constructor(
    /** The buffer holding the data (possibly larger than the tensor). */
    readonly buffer: GPUBuffer,
    /** Element type. */
    readonly dtype: DType,
    /** Number of elements. */
    readonly length: number,
    /** Byte offset of element 0 in `buffer` (a multiple of 4). */
    readonly byteOffset = 0,
    private readonly onRelease?: (buffer: GPUBuffer) => void,
    private readonly onRead?: (tensor: GpuTensor) => Promise<Float32Array | Int32Array>,
  ) {}

  /** Bytes covered by the tensor: 4 per element, f16 2 per element rounded up to a multiple of 4. */
  get byteLength(): number {
    return byteLengthOf(this.dtype, this.length);
  }

  /** True once `release()` was called. */
  get isReleased(): boolean {
    return this.released;
  }

  /**
   * Encodings (engine.gpu.encodeInto) that returned this tensor and were not yet reported submitted: until then its
   * values are not computed, so `read()` rejects. @internal
   */
  unsubmitted: { op: string; count: number } | null = null;

  /**
   * Copy the data back to the CPU (f16 tensors as f32 values, exactly). Rejects with an XentropyArgumentError for a
   * released tensor, and for a result of the encoder form until its encoding's `submitted()` was called.
   */
  async read(): Promise<Float32Array | Int32Array> {
    const op = 'GpuTensor.read';
    if (this.released) {
      throw new XentropyArgumentError(op, 'tensor', 'was released (its buffer may hold other data now): read before release()');
    }
    if (this.unsubmitted) {
      const pending = `is a result of ${this.unsubmitted.op}, recorded into your command encoder and not computed yet`;
      throw new XentropyArgumentError(op, 'tensor', `${pending}: submit the encoder, call encoding.submitted(), then read`);
    }
    if (!this.onRead) {
      throw new XentropyArgumentError(op, 'tensor', 'has no engine to read it (make tensors with engine.gpu.upload or engine.gpu.wrap)');
    }
    return this.onRead(this);
  }

  /** Return an engine-owned buffer to the engine's pool (no-op for caller-owned buffers). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease?.(this.buffer);
  }
}
