/**
 * GPU timestamps of dispatches for `engine.profile` (devices with 'timestamp-query'). Loaded only when a profile runs,
 * so that applications that never profile do not load it. A Profiling collects the timings of one `profile` call; each
 * batch recorded meanwhile gets a BatchTimer, which opens its compute passes between two timestamps.
 */
import type { DispatchTiming } from './context.js';
import { BufferUsage, MapMode } from './flags.js';

/** Most passes one batch records while profiling (two timestamps each). */
const PROFILE_QUERIES_PER_BATCH = 512;

export class Profiling {
  readonly timings: DispatchTiming[] = [];
  /** Timestamp reads still running (awaited before `profile` returns). */
  readonly pending: Promise<void>[] = [];

  /** perPass: a batch's dispatches share their pass and each pass is one entry; else one pass per dispatch. */
  constructor(readonly perPass: boolean) {}

  timer(device: GPUDevice, label: string): BatchTimer {
    return new BatchTimer(this, device, label);
  }
}

export class BatchTimer {
  private set: GPUQuerySet | null = null;
  private readonly labels: Omit<DispatchTiming, 'ms'>[] = [];

  constructor(
    private readonly profiling: Profiling,
    private readonly device: GPUDevice,
    private readonly label: string,
  ) {}

  /** Each dispatch has a pass of its own (ended after it), unless perPass. */
  get passPerDispatch(): boolean {
    return !this.profiling.perPass;
  }

  /**
   * The pass for the next dispatch of `kernel`: with perPass, the open one (`current`, the dispatch joins its entry);
   * else a new pass between two timestamps, after `endPass()` closed the current one.
   */
  pass(
    encoder: GPUCommandEncoder,
    current: GPUComputePassEncoder | null,
    endPass: () => void,
    kernel: string,
    groups: number,
  ): GPUComputePassEncoder {
    if (this.profiling.perPass && current && this.labels.length > 0) {
      const entry = this.labels[this.labels.length - 1]!;
      entry.kernel += ` + ${kernel}`;
      entry.groups += groups;
      return current;
    }
    endPass();
    this.set ??= this.device.createQuerySet({ type: 'timestamp', count: 2 * PROFILE_QUERIES_PER_BATCH });
    const index = this.labels.length;
    if (index >= PROFILE_QUERIES_PER_BATCH) throw new Error(`${this.label}: too many passes to profile in one batch`);
    this.labels.push({ op: this.label, kernel, groups });
    return encoder.beginComputePass({
      label: `xentropy:${this.label}`,
      timestampWrites: { querySet: this.set, beginningOfPassWriteIndex: 2 * index, endOfPassWriteIndex: 2 * index + 1 },
    });
  }

  /** Record copying the timestamps out; returns the read to run once submitted (null when nothing was timed). */
  resolve(encoder: GPUCommandEncoder): (() => Promise<void>) | null {
    const set = this.set;
    if (!set) return null;
    this.set = null;
    const labels = this.labels.splice(0);
    const count = 2 * labels.length;
    const size = count * 8;
    const resolved = this.device.createBuffer({ size, usage: BufferUsage.QUERY_RESOLVE | BufferUsage.COPY_SRC });
    const staging = this.device.createBuffer({ size, usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    encoder.resolveQuerySet(set, 0, count, resolved, 0);
    encoder.copyBufferToBuffer(resolved, 0, staging, 0, size);
    return async () => {
      try {
        await staging.mapAsync(MapMode.READ);
        const ticks = new BigInt64Array(staging.getMappedRange().slice(0));
        labels.forEach((label, i) => {
          this.profiling.timings.push({ ...label, ms: Number(ticks[2 * i + 1]! - ticks[2 * i]!) / 1e6 });
        });
      } finally {
        staging.destroy();
        resolved.destroy();
        set.destroy();
      }
    };
  }

  /** Drop the recording (its query set) after an exception. */
  destroy(): void {
    this.set?.destroy();
    this.set = null;
  }
}
