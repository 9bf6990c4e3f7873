/**
 * The engine's buffer pool: every GPUBuffer the engine creates comes from here and goes back here, so steady-state
 * calls allocate nothing and `destroy()` can free everything. Sizes are rounded up to one of 8 buckets per power of
 * two (at most 12.5% waste, unlike power-of-two rounding that can double a 4 GB logits buffer).
 */

/** What the pool holds, for leak checks and memory accounting. */
export interface PoolStats {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  /** Bytes in buffers handed out and not yet released. */
  liveBytes: number;
  /** Buffers kept for reuse. */
  pooledBuffers: number;
  /** Bytes in buffers kept for reuse. */
  pooledBytes: number;
  /** Buffers created since the engine started (grows only while the pool warms up). */
  created: number;
}

/** Round a byte size up to its pool bucket: at least 256, then 8 buckets per power of two. */
export function bucketSize(bytes: number): number {
  const size = Math.max(256, Math.ceil(bytes));
  const step = Math.max(256, 2 ** (Math.floor(Math.log2(size)) - 3));
  return Math.ceil(size / step) * step;
}

export class BufferPool {
  /** Free buffers per bucket, oldest (lowest serial) last, so reuse is deterministic: see `acquire`. */
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly serials = new WeakMap<GPUBuffer, number>();
  private readonly live = new Set<GPUBuffer>();
  private pooledBytes = 0;
  private created = 0;

  constructor(private readonly device: GPUDevice) {}

  /**
   * A buffer of at least `bytes` bytes with exactly `usage`; release it with `release` when done. Always the oldest
   * free buffer of the bucket: a call that repeats the same acquire/release sequence gets the same buffers, so the
   * engine's cached bind groups keep matching in steady state.
   */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const limit = this.device.limits.maxBufferSize;
    if (bytes > limit) {
      throw new Error(`xentropy ${label}: needs one buffer of ${formatBytes(bytes)}, more than this device's maxBufferSize (${formatBytes(limit)})`);
    }
    const size = Math.min(bucketSize(bytes), Math.max(Math.ceil(bytes / 4) * 4, Math.floor(limit / 4) * 4));
    const list = this.free.get(key(size, usage));
    let buffer = list?.pop();
    if (buffer) {
      this.pooledBytes -= buffer.size;
    } else {
      buffer = this.device.createBuffer({ size, usage, label: `xentropy:${label}` });
      this.serials.set(buffer, this.created++);
    }
    this.live.add(buffer);
    return buffer;
  }

  /** Give a buffer back for reuse. Safe right after `queue.submit`: later uses are ordered after it on the queue. */
  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const k = key(buffer.size, buffer.usage);
    let list = this.free.get(k);
    if (!list) this.free.set(k, (list = []));
    list.push(buffer);
    const serial = (b: GPUBuffer) => this.serials.get(b)!;
    list.sort((a, b) => serial(b) - serial(a));
    this.pooledBytes += buffer.size;
  }

  /** Destroy the buffers kept for reuse (live ones stay valid). */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }

  /** Destroy everything, live buffers included. */
  destroy(): void {
    this.trim();
    for (const buffer of this.live) buffer.destroy();
    this.live.clear();
  }

  stats(): PoolStats {
    let liveBytes = 0;
    for (const buffer of this.live) liveBytes += buffer.size;
    let pooledBuffers = 0;
    for (const list of this.free.values()) pooledBuffers += list.length;
    return { liveBuffers: this.live.size, liveBytes, pooledBuffers, pooledBytes: this.pooledBytes, created: this.created };
  }
}

function key(size: number, usage: number): string {
  return `${usage}:${size}`;
}

function formatBytes(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(2)} GiB` : bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${bytes} bytes`;
}
