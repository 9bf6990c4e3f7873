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

/** What the pool knows of a buffer it made (read from here, not from the GPUBuffer: its getters are native calls). */
interface Entry {
  key: string;
  size: number;
  /** Creation order: free lists hand out the oldest first. */
  serial: number;
}

export class BufferPool {
  /** Free buffers per bucket, oldest (lowest serial) last, so reuse is deterministic: see `acquire`. */
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly entries = new WeakMap<GPUBuffer, Entry>();
  private readonly live = new Set<GPUBuffer>();
  private pooledBytes = 0;
  private created = 0;
  private readonly maxBufferSize: number;

  constructor(private readonly device: GPUDevice) {
    this.maxBufferSize = device.limits.maxBufferSize;
  }

  /**
   * A buffer of at least `bytes` bytes with exactly `usage`; release it with `release` when done. Always the oldest
   * free buffer of the bucket: a call that repeats the same acquire/release sequence gets the same buffers, so the
   * engine's cached bind groups keep matching in steady state.
   */
  acquire(bytes: number, usage: GPUBufferUsageFlags, label: string): GPUBuffer {
    const limit = this.maxBufferSize;
    if (bytes > limit) {
      throw new Error(`xentropy ${label}: needs one buffer of ${formatBytes(bytes)}, more than this device's maxBufferSize (${formatBytes(limit)})`);
    }
    const size = Math.min(bucketSize(bytes), Math.max(Math.ceil(bytes / 4) * 4, Math.floor(limit / 4) * 4));
    const k = key(size, usage);
    let buffer = this.free.get(k)?.pop();
    if (buffer) {
      this.pooledBytes -= size;
    } else {
      buffer = this.device.createBuffer({ size, usage, label: `xentropy:${label}` });
      this.entries.set(buffer, { key: k, size, serial: this.created++ });
    }
    this.live.add(buffer);
    return buffer;
  }

  /** Give a buffer back for reuse. Safe right after `queue.submit`: later uses are ordered after it on the queue. */
  release(buffer: GPUBuffer): void {
    if (!this.live.delete(buffer)) return;
    const entry = this.entries.get(buffer)!;
    let list = this.free.get(entry.key);
    if (!list) this.free.set(entry.key, (list = []));
    // Keep the list in decreasing serial order (oldest last): insert in place, usually at the end.
    let i = list.length;
    while (i > 0 && this.entries.get(list[i - 1]!)!.serial < entry.serial) i--;
    list.splice(i, 0, buffer);
    this.pooledBytes += entry.size;
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
    for (const buffer of this.live) liveBytes += this.entries.get(buffer)!.size;
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
