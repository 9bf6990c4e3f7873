// Zero-copy interop in headless Chromium: xentropy on the device of TensorFlow.js' WebGPU backend
// and of ONNX Runtime Web's WebGPU execution provider, with logits and gradients passed as GPU buffers. The pages live in
// test/browser/pages/ and are served by Vite from localhost (WebGPU needs a secure context).
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, servePage, type PageServer } from '../../bench/chromium.js';

const ROOT = fileURLToPath(new URL('./pages/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** ORT's wasm files, served by Vite under /@fs/ (the page sets ort.env.wasm.wasmPaths to this). */
const ORT_DIST = `/@fs${realpathSync(`${REPO}node_modules/onnxruntime-web/dist`)}/`;

let browser: Browser;
let server: PageServer['server'];
let url: string;

beforeAll(async () => {
  // node_modules may be a link to another checkout: let Vite serve files from its real location too.
  ({ url, server } = await servePage(ROOT, {
    server: { host: '127.0.0.1', port: 0, fs: { allow: [REPO, realpathSync(`${REPO}node_modules`)] } },
    // tfjs's packages bundled up front, so that the pages and xentropy/tfjs share one tfjs-core (and no late
    // dependency discovery reloads a page mid-test).
    optimizeDeps: {
      exclude: ['onnxruntime-web'],
      include: [
        '@tensorflow/tfjs-core',
        '@tensorflow/tfjs-core/dist/register_all_gradients',
        '@tensorflow/tfjs-backend-webgpu',
        '@tensorflow/tfjs-layers',
      ],
    },
    resolve: { alias: { 'interop-tfjs/core': '@tensorflow/tfjs-core', 'interop-tfjs/gradients': '@tensorflow/tfjs-core/dist/register_all_gradients', 'interop-tfjs/webgpu': '@tensorflow/tfjs-backend-webgpu' } },
  }));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Open a test page and wait for what its module's run() returned. */
async function runPage<T>(name: string, query = ''): Promise<{ result: T; page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`uncaught: ${error instanceof Error ? error.message : String(error)}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  await page.goto(`${url}?page=${name}${query}`);
  await page.waitForFunction('window.__result !== undefined || window.__error !== undefined', { timeout: 240_000 });
  const error = await page.evaluate('window.__error');
  if (error) throw new Error(`${name} page failed: ${error}`);
  return { result: (await page.evaluate('window.__result')) as T, page, problems };
}

describe('TensorFlow.js WebGPU backend', () => {
  it('shares its device: logits from dataToGPU(), the gradient back as a tfjs tensor, in a training loop', async () => {
    const { result, problems } = await runPage<{ backend: string; sharedDevice: boolean; losses: number[]; gradientError: number; accuracy: number; liveBuffers: number }>('tfjs');
    expect(result.backend).toBe('webgpu');
    expect(result.sharedDevice).toBe(true);
    expect(result.losses[0], 'zero weights: loss ln 3').toBeCloseTo(Math.log(3), 5);
    expect(result.gradientError, "dL/dW from xentropy's gradient equals tfjs' autodiff").toBeLessThan(1e-5);
    expect(result.losses.at(-1)!, 'training lowers the loss').toBeLessThan(result.losses[0]! / 4);
    expect(result.accuracy).toBe(1);
    expect(result.liveBuffers, 'every engine buffer released').toBe(0);
    expect(problems).toEqual([]);
  });
});

describe('xentropy/tfjs on the TensorFlow.js WebGPU backend', () => {
  it("model.fit trains the same LayersModel the same with tfjs's loss and xentropy's; memory stays flat", async () => {
    type Memory = { tensors: number; bytes: number; engineCreated: number; engineLive: number };
    type Result = {
      backend: string;
      sharedDevice: boolean;
      steps: number;
      firstLoss: number;
      lastLoss: number;
      curveError: number;
      weightError: number;
      early: Memory;
      late: Memory;
    };
    const { result, problems } = await runPage<Result>('tfjsTraining');
    const [curve, weights] = [result.curveError.toExponential(2), result.weightError.toExponential(2)];
    console.log(`headless Chromium, model.fit 200 steps: loss curves within ${curve}, final weights within ${weights}`);
    expect(result.backend).toBe('webgpu');
    expect(result.sharedDevice, "xentropy runs on the tfjs backend's own device").toBe(true);
    expect(result.steps).toBe(200);
    expect(result.lastLoss, 'the model learns').toBeLessThan(result.firstLoss);
    // Tolerance: the same f32 math summed in another order, compounded over 200 SGD steps (Node: 3e-7).
    expect(result.curveError, 'loss curves').toBeLessThan(1e-5);
    expect(result.weightError, 'final weights').toBeLessThan(1e-5);
    expect(result.late.tensors, 'tf.memory().numTensors over 1000 steps').toBe(result.early.tensors);
    expect(result.late.bytes, 'tf.memory().numBytes over 1000 steps').toBe(result.early.bytes);
    expect(result.late.engineCreated, 'engine buffers created after step 10').toBe(result.early.engineCreated);
    expect(result.late.engineLive).toBeLessThanOrEqual(result.early.engineLive);
    expect(problems).toEqual([]);
  });
});

describe('ONNX Runtime Web WebGPU execution provider', () => {
  it("shares ort.env.webgpu.device and takes a model output's GPU buffer as logits, in place", async () => {
    const { result, problems } = await runPage<{ location: string; sharedDevice: boolean; loss: number; expectedLoss: number; maxGradError: number; maxLogitError: number; liveBuffers: number }>('ort', `&ortDist=${encodeURIComponent(ORT_DIST)}`);
    expect(result.location, 'the output stayed on the GPU').toBe('gpu-buffer');
    expect(result.maxLogitError, 'the ONNX model computed x @ w').toBeLessThan(1e-4);
    expect(result.sharedDevice).toBe(true);
    expect(Math.abs(result.loss - result.expectedLoss)).toBeLessThan(1e-5 + 1e-5 * Math.abs(result.expectedLoss));
    expect(result.maxGradError).toBeLessThan(1e-6);
    expect(result.liveBuffers).toBe(0);
    expect(problems).toEqual([]);
  });
});
