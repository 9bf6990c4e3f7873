// The engine on a device the caller made, in a fresh Node process where nobody installed Dawn's globals
// (GPUBufferUsage, GPUMapMode, ...): the library must use plain numbers for WebGPU's flags, and createEngine must not
// install the globals itself, with the caller's device or with one it requested. The library is built (as dist/ is)
// into a folder under node_modules, so that the child resolves the `webgpu` package as an application would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../../src/reference/crossEntropy.js';
import { expectClose } from '../helpers/compare.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../helpers/ownDeviceChild.mjs', import.meta.url));
const ADAPTER = process.env.XENTROPY_ADAPTER ?? 'swiftshader';
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
let work = '';

interface ChildResult {
  adapter: string | null;
  hadGlobals: boolean;
  hasGlobalsAfter: boolean;
  envChanged: boolean;
  loss: number;
  grad: number[];
  residentLoss: number;
  encodedLoss: number;
}

beforeAll(async () => {
  mkdirSync(join(REPO, 'node_modules', '.cache'), { recursive: true });
  work = mkdtempSync(join(REPO, 'node_modules', '.cache', 'xentropy-own-device-'));
  const config = { configFile: join(REPO, 'vite.lib.config.ts'), root: REPO, logLevel: 'silent' as const };
  await build({ ...config, build: { outDir: work, emptyOutDir: true, sourcemap: false } });
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

function runChild(mode: 'own' | 'engine'): ChildResult {
  // A clean environment for Dawn: only the driver choice of the adapter under test.
  const library = pathToFileURL(join(work, 'index.js')).href;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, XENTROPY_LIBRARY: library };
  if (ADAPTER === 'swiftshader') env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const options = { cwd: REPO, env, encoding: 'utf8' as const, timeout: 90_000 };
  const stdout = execFileSync(process.execPath, [CHILD, mode, ADAPTER], options);
  return JSON.parse(stdout.trim().split('\n').pop()!) as ChildResult;
}

const logits = new Float32Array([2, 1, 0.1, -1, 0.5, 2.5, -1, 0, 3, -2, 0.25, 1]);
const target = new Int32Array([0, 1, 3]);
const expected = crossEntropy(logits, target, 3, 4, { reduction: 'mean', ignoreIndex: -100, grad: true });
const expectedLoss = expected.loss as number;

describe.each(['own', 'engine'] as const)('a fresh Node process, no WebGPU globals (%s device)', (mode) => {
  it('computes the reference loss and gradient; leaves globalThis and process.env as they were', (context) => {
    const result = runChild(mode);
    if (result.adapter === null) {
      if (process.env.CI) throw new Error(`no WebGPU adapter '${ADAPTER}' in the child process`);
      context.skip(`no WebGPU adapter '${ADAPTER}' here`);
    }
    expect(result.hadGlobals, 'nobody installed the globals before').toBe(false);
    expect(result.hasGlobalsAfter, 'the engine installed no WebGPU global').toBe(false);
    expect(result.envChanged, "createEngine() leaves process.env as it was (the drivers' variables put back)").toBe(false);
    const losses = [result.loss, result.residentLoss, result.encodedLoss];
    expectClose(losses, [expectedLoss, expectedLoss, expectedLoss], 'host, GPU-resident and encoder forms');
    expectClose(result.grad, expected.grad!, 'gradient');
  });
});
