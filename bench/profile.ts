// Per-dispatch GPU times of the engine's ops (engine.profile: timestamp queries around each dispatch), for tuning.
// Prints, for each case and op, every dispatch of one call with its kernel variant, workgroups and GPU time.
// Flags: bench/cli.ts (COMMON) and --wg, `--help`.
import { createEngine } from 'xentropy';
import { cases as caseList, COMMON, commandLine, type Option } from './cli.js';

const { values } = commandLine(
  'npm run build && npm run bench:build && node bench/dist/profile.mjs [options]',
  "Every dispatch of one call of the engine's row ops per case, on the GPU clock (needs timestamp-query).",
  {
    adapter: COMMON.adapter,
    wg: {
      arg: 'LIST',
      help: 'createEngine({ maxWorkgroupSize }) values to profile in turn',
      default: [256],
      parse(value: string, name: string) {
        const sizes = value.split(',').map(Number);
        if (sizes.some((v) => !Number.isInteger(v) || v < 1))
          throw new Error(`--${name}: expected whole numbers, e.g. 256,1024 (got '${value}')`);
        return sizes;
      },
    } satisfies Option<number[]>,
    cases: caseList('ROWSxCOLS cases', '4096x1000,1024x32000,256x128256,64x262144,65537x10', true),
    'vec4-io': COMMON['vec4-io'],
  },
);
const { adapter, wg: sizes } = values;
const vec4Io = values['vec4-io'];
const cases = values.cases.map((c) => ('n' in c ? [1, c.n] : [c.rows, c.cols]) as [number, number]); // rows only

// Timestamp queries at full resolution: Dawn rounds them to ~65 us by default (its timestamp_quantization toggle),
// which made single dispatches read as 0 or multiples of 65.5 us. Read by the library's Node adapter code.
process.env.XENTROPY_DAWN_OPTIONS ??= 'disable-dawn-features=timestamp_quantization';
for (const maxWorkgroupSize of sizes) {
  const engine = await createEngine({ backend: 'webgpu', adapter, maxWorkgroupSize, vec4Io });
  console.log(`\n## ${engine.adapterInfo?.source} ${engine.adapterInfo?.description}: tuning ${engine.tuning}, workgroup <= ${engine.workgroupSize}, subgroups ${engine.subgroups}`);
  for (const [rows, cols] of cases) {
    const x = engine.gpu.upload(new Float32Array(rows * cols).map((_, i) => Math.sin(i) * 3));
    const t = engine.gpu.upload(Int32Array.from({ length: rows }, (_, r) => (r * 7919) % cols));
    const ops: [string, () => Promise<() => void>][] = [
      ['log-softmax', async () => { const y = await engine.gpu.logSoftmax(x, { shape: [rows, cols] }); return () => y.release(); }],
      ['ce-fwd', async () => { const r = await engine.gpu.crossEntropy(x, t, { shape: [rows, cols], grad: false }); return () => { r.loss.release(); r.weightSum.release(); }; }],
      ['ce-fwd-bwd', async () => { const r = await engine.gpu.crossEntropy(x, t, { shape: [rows, cols] }); return () => { r.loss.release(); r.grad!.release(); r.weightSum.release(); }; }],
    ];
    for (const [name, call] of ops) {
      (await call())(); // warm: pipelines and buffers
      let best: Awaited<ReturnType<typeof engine.profile<() => void>>> | null = null;
      for (let i = 0; i < 5; i++) {
        const run = await engine.profile(call);
        run.result();
        const total = run.timings.reduce((a, d) => a + d.ms, 0);
        if (!best || total < best.timings.reduce((a, d) => a + d.ms, 0)) best = run;
      }
      const total = best!.timings.reduce((a, d) => a + d.ms, 0);
      const gbps = (rows * cols * 4 * (name === 'ce-fwd' ? 1 : 2)) / (total * 1e6);
      const parts = best!.timings.map((d) => `${d.kernel}[${d.groups}] ${(d.ms * 1000).toFixed(1)}us`).join(' + ');
      console.log(`${name} ${rows}x${cols}: ${(total * 1000).toFixed(1)} us (${gbps.toFixed(1)} GB/s) = ${parts}`);
    }
    x.release();
    t.release();
  }
  engine.destroy();
}
process.exit(0);
