/**
 * GpuTensor: a typed view of data that lives in a GPUBuffer, the currency of the GPU-resident API (`engine.gpu`).
 * Either the engine owns the buffer (results, uploads: `release()` returns it to the engine's pool) or the caller does
 * (`engine.gpu.wrap(buffer, ...)`: `release()` does nothing and the caller keeps destroying it).
 */

export type DType = 'f32' | 'i32';

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

  /** Bytes covered by the tensor. */
  get byteLength(): number {
    return this.length * 4;
  }

  /** True once `release()` was called. */
  get isReleased(): boolean {
    return this.released;
  }

  /** Copy the data back to the CPU. */
  async read(): Promise<Float32Array | Int32Array> {
    if (this.released) throw new Error('GpuTensor.read: the tensor was released');
    if (!this.onRead) throw new Error('GpuTensor.read: this tensor has no engine to read it');
    return this.onRead(this);
  }

  /** Return an engine-owned buffer to the engine's pool (no-op for caller-owned buffers). Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.onRelease?.(this.buffer);
  }
}
