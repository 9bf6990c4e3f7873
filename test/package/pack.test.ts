// The published package: `npm pack` (which builds first: prepack), then the tarball installed into
// empty projects: a Node project that runs the ops on the CPU reference and, with the optional `webgpu` peer, on a
// GPU adapter (the kernels' WGSL must be inside dist); its type declarations checked by tsc; and a Vite app built
// with the package. Also: the API docs build from the source comments without warnings.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The most JavaScript (minified bytes) an app that calls createEngine and crossEntropy loads at start. */
const START_BUDGET_BYTES = 100_000;
const MODULES = realpathSync(join(REPO, 'node_modules'));
let work: string;
let tarball: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' } });
}

/** An empty project with the tarball installed (offline: the package has no dependencies) and `links` from ours. */
function project(name: string, links: string[]): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-package-lock', tarball], dir);
  for (const link of links) {
    mkdirSync(join(dir, 'node_modules', link, '..'), { recursive: true });
    symlinkSync(join(MODULES, link), join(dir, 'node_modules', link));
  }
  return dir;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'xentropy-pack-'));
  run('npm', ['run', 'build'], REPO); // what prepack does; run apart so that pack's stdout is only its JSON
  const out = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], REPO)) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, out[0]!.filename);
  const entries = ['dist/index.js', 'dist/index.d.ts', 'dist/tfjs.js', 'dist/tfjs.d.ts']; // '.' and './tfjs'
  const files = out[0]!.files.map((f) => f.path);
  expect(files).toEqual(expect.arrayContaining([...entries, 'README.md', 'CHANGELOG.md', 'package.json']));
  expect(out[0]!.files.filter((f) => /^(src|test|bench|demo)\//.test(f.path)), 'sources and tests stay out').toEqual([]);
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('works in an empty Node project: ESM entry on the CPU, and on a GPU adapter with the optional webgpu peer', () => {
    const dir = project('node-app', ['webgpu']);
    writeFileSync(
      join(dir, 'main.js'),
      `import { createEngine, reference } from 'xentropy';
const logits = new Float32Array([2, 1, 0.1, 0.5, 2.5, -1]);
const target = new Int32Array([0, 1]);
const out = {};
for (const backend of ['cpu', 'webgpu']) {
  const engine = await createEngine({ backend, adapter: 'swiftshader' });
  const { loss, grad } = await engine.crossEntropy(logits, target, { shape: [2, 3] });
  out[backend] = { backend: engine.backend, loss, grad: Array.from(grad) };
  engine.destroy();
}
console.log(JSON.stringify(out));
`,
    );
    const out = JSON.parse(run('node', ['main.js'], dir)) as Record<string, { backend: string; loss: number; grad: number[] }>;
    const expected = -(Math.log(Math.exp(2) / (Math.exp(2) + Math.exp(1) + Math.exp(0.1))) + Math.log(Math.exp(2.5) / (Math.exp(0.5) + Math.exp(2.5) + Math.exp(-1)))) / 2;
    expect(out.cpu!.backend).toBe('cpu');
    expect(out.webgpu!.backend, 'the webgpu peer gives a device, and the WGSL shipped in dist compiles').toBe('webgpu');
    for (const r of Object.values(out)) expect(r.loss).toBeCloseTo(expected, 5);
    out.webgpu!.grad.forEach((g, i) => expect(g).toBeCloseTo(out.cpu!.grad[i]!, 6));
  });

  it("exposes xentropy/tfjs: with @tensorflow/tfjs-core installed its ops run (on tfjs's CPU: tfjs's ops)", () => {
    const dir = project('tfjs-app', ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu']);
    writeFileSync(
      join(dir, 'main.js'),
      `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { ready, sparseSoftmaxCrossEntropy } from 'xentropy/tfjs';
await tf.setBackend('cpu');
const loss = sparseSoftmaxCrossEntropy(tf.tensor1d([0, 1], 'int32'), tf.tensor2d([2, 1, 0.1, 0.5, 2.5, -1], [2, 3]));
console.log(JSON.stringify({ engine: await ready(), loss: (await loss.data())[0] }));
`,
    );
    const lines = run('node', ['main.js'], dir).trim().split('\n');
    const out = JSON.parse(lines.at(-1)!) as { engine: unknown; loss: number };
    const logSoftmax = (row: number[], k: number) => row[k]! - Math.log(row.reduce((sum, v) => sum + Math.exp(v), 0));
    const expected = -(logSoftmax([2, 1, 0.1], 0) + logSoftmax([0.5, 2.5, -1], 1)) / 2;
    expect(out.engine, 'no engine off the WebGPU backend').toBeNull();
    expect(out.loss).toBeCloseTo(expected, 5);
    expect(lines.join('\n'), 'the one-time note').toMatch(/xentropy\/tfjs: tfjs's backend is 'cpu', not 'webgpu'/);
  });

  it("its type declarations check in a strict TypeScript project (with @webgpu/types, as WebGPU code needs)", () => {
    const dir = project('ts-app', ['@webgpu/types']);
    writeFileSync(
      join(dir, 'main.ts'),
      `import { createEngine, DeviceLostEvent, type CrossEntropyResult, type GpuTensor } from 'xentropy';
const engine = await createEngine({ backend: 'auto' });
engine.addEventListener('devicelost', (event) => console.warn((event as DeviceLostEvent).backend));
const result: CrossEntropyResult = await engine.crossEntropy(new Float32Array(6), new Int32Array(2), { shape: [2, 3], labelSmoothing: 0.1 });
const loss: number | Float32Array = result.loss;
export async function onGpu(logits: GpuTensor, encoder: GPUCommandEncoder): Promise<GpuTensor | undefined> {
  const encoding = engine.gpu.encodeInto(encoder);
  const { grad } = encoding.crossEntropy(logits, new Int32Array(2), { shape: [2, 3] });
  await encoding.submitted();
  return grad;
}
// @ts-expect-error: an unknown reduction is a type error
await engine.crossEntropy(new Float32Array(6), new Int32Array(2), { shape: [2, 3], reduction: 'avg' });
export { loss };
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: false, types: ['@webgpu/types'], lib: ['ES2022', 'DOM'] }, files: ['main.ts'] }),
    );
    expect(() => run('node', [join(MODULES, 'typescript/bin/tsc'), '-p', dir], dir)).not.toThrow();
  });

  it('builds into an empty Vite app: the kernels inside, minified, and the ones it does not use left out of its start', async () => {
    const dir = project('vite-app', []);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
    writeFileSync(
      join(dir, 'main.js'),
      `import { createEngine } from 'xentropy';
const engine = await createEngine();
const { loss } = await engine.crossEntropy(new Float32Array([2, 1, 0.1, 0.5, 2.5, -1]), new Int32Array([0, 1]), { shape: [2, 3] });
document.title = engine.backend + ' ' + loss;
`,
    );
    await build({ root: dir, logLevel: 'silent', build: { outDir: join(dir, 'dist'), target: 'es2022' } });
    const assets = join(dir, 'dist', 'assets');
    const chunks = new Map(readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(join(assets, f), 'utf8')]));
    // What the page loads before it runs: the entry chunk and the chunks it imports statically, transitively (the
    // linear cross-entropy, the CPU reference, Dawn's Node lookup and optional snippets are separate, lazy chunks).
    const entry = [...chunks.keys()].find((f) => f.startsWith('index-'))!;
    const loaded = new Set<string>();
    const visit = (name: string): void => {
      if (loaded.has(name)) return;
      loaded.add(name);
      for (const [, imported] of chunks.get(name)!.matchAll(/(?:^|[;}\s])import\s*(?:[\w{}\s,*$]+from\s*)?["']\.\/([^"']+)["']/g)) visit(imported!);
    };
    visit(entry);
    const startBytes = [...loaded].reduce((total, f) => total + Buffer.byteLength(chunks.get(f)!), 0);
    const allBytes = [...chunks.values()].reduce((total, code) => total + Buffer.byteLength(code), 0);
    console.log(`[package] minimal crossEntropy app (minified): ${startBytes} bytes loaded at start (${loaded.size} chunks), ${allBytes} in all`);
    const start = [...loaded].map((f) => chunks.get(f)!).join('\n');
    expect(start).toMatch(/@compute\s*@workgroup_size/);
    expect(start, 'WGSL comments stripped at build time').not.toMatch(/deterministic parallel sum/);
    expect(start, 'the linear cross-entropy matmuls load with their op only').not.toMatch(/override ACCUMULATE/);
    expect([...chunks.values()].join('\n'), '... and are in the build').toMatch(/override ACCUMULATE/);
    expect(startBytes, 'the JavaScript a minimal crossEntropy app loads').toBeLessThanOrEqual(START_BUDGET_BYTES);
    expect([...chunks.values()].join('\n'), 'no Node built-in pulled into the browser bundle').not.toMatch(/from\s*["']node:/);
  });
});

describe('API documentation', () => {
  it('typedoc builds docs/api from the source comments without warnings', () => {
    expect(() => run('node', [join(MODULES, 'typedoc/bin/typedoc'), '--out', join(work, 'api')], REPO)).not.toThrow();
    expect(readFileSync(join(work, 'api', 'classes', 'Engine.html'), 'utf8')).toMatch(/devicelost/);
  });
});
