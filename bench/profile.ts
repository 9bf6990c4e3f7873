// Per-dispatch GPU times of the engine's ops (engine.profile: timestamp queries around each dispatch), for tuning.
// Usage: npm run build && npm run bench:build && node bench/dist/profile.mjs [--adapter=vulkan] [--wg=256,1024] [--cases=4096x1000,65537x10] [--vec4-io]
// Prints, for each case and op, every dispatch of one call with its kernel variant, workgroups and GPU time.
import { createEngine, type NodeAdapter } from 'xentropy';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const vec4Io = args.has('vec4-io'); // createEngine({ vec4Io: true }): f32 rows as vec4 where aligned
const adapter = (args.get('adapter') ?? 'auto') as NodeAdapter;
const sizes = (args.get('wg') ?? '256').split(',').map(Number);
const cases: [number, number][] = (args.get('cases') ?? '4096x1000,1024x32000,256x128256,64x262144,65537x10').split(',').map((c) => c.split('x').map(Number) as [number, number]);

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
