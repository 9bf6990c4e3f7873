// End-to-end test of the demo page: builds demo/ with Vite, serves the static build from localhost (WebGPU
// needs a secure context), and drives Debian's headless Chromium: once with WebGPU on SwiftShader, once with WebGPU
// turned off. Screenshots of every view go to test/artifacts/ for a person to look at.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'puppeteer';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../bench/chromium.js';

const DEMO_CONFIG = fileURLToPath(new URL('../../demo/vite.config.ts', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** The printed values of the user's worked examples (demo/src/seedExamples.ts); 7 and 8 do not follow from their vectors. */
const SEED_TABLE: Record<string, number> = { 1: 0.223, 2: 0.916, 3: 2.996, 4: 0.01, 5: 1.099, 6: 0.829, 7: 0.891, 8: 0.021 };
const CONSISTENT = ['1', '2', '3', '4', '5', '6'];
/** -sum y log y_hat of the vectors printed for samples 7 and 8, from the f64 formula. */
const TRUE_VALUES: Record<string, number> = { 7: 1.471, 8: 0.236 };

/** What the code view's snippets printed when test/fixtures/generate_demo_snippets.ts ran them. */
interface SnippetFixture {
  seed: number;
  cases: { id: string; snippets: Record<string, { sha256: string; printed: string }> }[];
}
const SNIPPETS_FILE = new URL('../fixtures/demo_snippets.json', import.meta.url);
const SNIPPETS: SnippetFixture = JSON.parse(readFileSync(SNIPPETS_FILE, 'utf8'));
const printedBy = (id: string) => Object.values(SNIPPETS.cases.find((c) => c.id === id)!.snippets)[0]!.printed;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** The tabs of the code view; 'keras' is shown but not run by the generator (no TensorFlow for Python there). */
const CODE_TABS = ['numpy', 'pytorch', 'tfjs', 'keras', 'xentropy'];
/** The demo's workers view splits a batch of this many rows (demo/src/views/workers.ts). */
const WORKER_ROWS = 12;

/** The training check: a fixed number of full-batch Adam steps on the 300-point spiral (demo/src/views/train.ts). */
const TRAIN_STEPS = 200;
const LOSS_FACTOR = 5;
const MIN_ACCURACY = 0.95;

interface TrainStats {
  steps: number;
  initialLoss: number;
  finalLoss: number;
  accuracy: number;
  stepsPerSecond: number;
}

/** Run the train view's `kind` trainer to `steps` and read its statistics. */
async function trainFor(page: Page, kind: string, steps: number): Promise<TrainStats> {
  await page.$eval('#train-steps', (input, value) => ((input as HTMLInputElement).value = String(value)), steps);
  await page.click(`#train-start-${kind}`);
  await page.waitForSelector(`#view-train[data-${kind}-state="done"], #view-train[data-${kind}-state="failed"]`, { timeout: 150_000 });
  const stats: Record<string, string | undefined> = await page.$eval(`#train-stats-${kind}`, (node) => ({ ...(node as HTMLElement).dataset, text: node.textContent ?? "" }));
  if (!stats.finalLoss) throw new Error(`${kind} training did not finish: ${stats.text}`);
  return { steps: Number(stats.steps), initialLoss: Number(stats.initialLoss), finalLoss: Number(stats.finalLoss), accuracy: Number(stats.accuracy), stepsPerSecond: Number(stats.stepsPerSecond) };
}

/** Run the benchmark view's small case and read its results table. */
async function runSmallBench(page: Page): Promise<{ implementation: string; gbps: number; note: string }[]> {
  await openView(page, 'bench');
  await page.$eval('#view-bench', (view) => delete (view as HTMLElement).dataset.state); // a previous run's 'done'
  await page.click('#bench-run-small');
  await page.waitForSelector('#view-bench[data-state="done"], #view-bench[data-state="failed"]', { timeout: 120_000 });
  expect(await page.$eval('#bench-status', (n) => n.textContent)).toMatch(/^Done/);
  expect(await page.$eval('#bench-progress', (p) => (p as HTMLProgressElement).value === (p as HTMLProgressElement).max)).toBe(true);
  return page.$$eval('#bench-table tbody tr', (rows) =>
    rows.map((row) => ({ implementation: row.getAttribute('data-implementation')!, gbps: Number(row.getAttribute('data-gbps')), note: row.lastElementChild!.textContent ?? '' })),
  );
}

let server: PreviewServer;
let url: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  await build({ configFile: DEMO_CONFIG, logLevel: 'error' });
  server = await preview({ configFile: DEMO_CONFIG, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const address = server.httpServer.address();
  if (!address || typeof address === 'string') throw new Error('vite preview has no port');
  url = `http://localhost:${address.port}/`;
});

afterAll(async () => {
  await server?.close();
});

/** A page that records console errors and uncaught errors, so a test can assert there were none. */
async function openDemo(browser: Browser, hash = ''): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console.error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error instanceof Error ? error.message : String(error)}`));
  await page.evaluateOnNewDocument(() => {
    window.addEventListener('unhandledrejection', (event) => console.error(`unhandled rejection: ${String(event.reason)}`));
  });
  await page.goto(`${url}${hash}`, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  return { page, problems };
}

async function openView(page: Page, view: string): Promise<void> {
  await page.click(`#tabs button[data-view="${view}"]`);
  await page.waitForSelector(`#view-${view}[data-loaded="true"]`, { timeout: 120_000 });
}

async function examplesTable(page: Page): Promise<Record<string, { gpu: number; cpu: number; flagged: boolean; table: string | null }>> {
  await page.waitForSelector('#view-examples[data-loaded="true"][data-state="ready"]', { timeout: 60_000 });
  return page.$$eval('#examples-table tbody tr[data-row]', (rows) =>
    Object.fromEntries(
      rows.map((row) => [
        row.getAttribute('data-row')!,
        {
          gpu: Number(row.querySelector<HTMLElement>('td[data-col="gpu"]')!.dataset.value),
          cpu: Number(row.querySelector<HTMLElement>('td[data-col="cpu"]')!.dataset.value),
          flagged: row.querySelector('[data-flag="mismatch"]') !== null,
          table: row.querySelector('[data-table-value]')?.getAttribute('data-table-value') ?? null,
        },
      ]),
    ),
  );
}

/** The worked examples: checked the same way with and without WebGPU. */
async function checkWorkedExamples(page: Page): Promise<void> {
  const table = await examplesTable(page);
  expect(Object.keys(table).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);
  for (const sample of Object.keys(table)) {
    const row = table[sample]!;
    expect(row.gpu.toFixed(3), `sample ${sample}: library result vs CPU reference column`).toBe(row.cpu.toFixed(3));
    expect(Math.abs(row.gpu - row.cpu), `sample ${sample}: f32 kernel vs f64 reference`).toBeLessThan(1e-5 + 1e-5 * Math.abs(row.cpu));
    expect(Number(row.table), `sample ${sample}: the seed's printed value is shown`).toBe(SEED_TABLE[sample]);
  }
  for (const sample of CONSISTENT) {
    expect(table[sample]!.gpu.toFixed(3), `sample ${sample} equals the seed table`).toBe(SEED_TABLE[sample]!.toFixed(3));
    expect(table[sample]!.flagged, `sample ${sample} is consistent and must not be flagged`).toBe(false);
  }
  for (const sample of ['7', '8']) {
    expect(table[sample]!.gpu.toFixed(3), `sample ${sample}: the true value of its printed vectors`).toBe(TRUE_VALUES[sample]!.toFixed(3));
    expect(table[sample]!.flagged, `sample ${sample}: the mismatch with the seed's printed value is flagged`).toBe(true);
  }
}

async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector, { count: 3 });
  await page.keyboard.press('Backspace');
  await page.type(selector, text);
}

/** Set a range input and fire its input event, as dragging the slider does. */
async function slide(page: Page, selector: string, value: number): Promise<void> {
  await page.$eval(selector, (input, v) => {
    (input as HTMLInputElement).value = String(v);
    input.dispatchEvent(new Event('input'));
  }, value);
}

async function exerciseAnswers(page: Page, id: string): Promise<(number | string)[]> {
  return JSON.parse((await page.$eval(`article[data-problem="${id}"]`, (n) => n.getAttribute('data-answers')))!);
}

async function answer(page: Page, id: string, values: string[]): Promise<{ result: string; text: string }> {
  const card = `article[data-problem="${id}"]`;
  const fields = await page.$$(`${card} input[data-field]`);
  expect(fields.length, `${id}: answer fields`).toBe(values.length);
  for (const [i, field] of fields.entries()) {
    await field.click({ count: 3 });
    await page.keyboard.press('Backspace');
    await field.type(values[i]!);
  }
  await page.click(`${card} button[data-action="check"]`);
  return page.$eval(`${card} .feedback`, (n) => ({
    result: (n as HTMLElement).dataset.result ?? '',
    text: n.textContent ?? '',
  }));
}

const visible = (page: Page, selector: string) => page.$eval(selector, (n) => !(n as HTMLElement).hidden);
const score = (page: Page) =>
  page.$eval('#exercise-score', (n) => {
    const data = (n as HTMLElement).dataset;
    return [Number(data.right), Number(data.attempted)];
  });

/** Exercises: the set of the fixture's seed; the library's answers equal what the snippets printed. */
async function checkExercises(page: Page): Promise<void> {
  await openView(page, 'exercises');
  await page.waitForSelector('#view-exercises[data-state="ready"]');
  expect(await page.$eval('#view-exercises', (n) => (n as HTMLElement).dataset.seed)).toBe(String(SNIPPETS.seed));
  expect(await page.$eval('#view-exercises .lead', (n) => n.textContent)).toMatch(/within ±0\.005 of that value/);
  const kinds = await page.$$eval('article.exercise', (cards) => cards.map((c) => c.getAttribute('data-kind')));
  expect(kinds).toEqual(['hard', 'logits', 'soft', 'binary', 'gradient', 'compare', 'batch', 'uniform']);
  for (let i = 1; i <= kinds.length; i++) {
    const answers = await exerciseAnswers(page, `exercise-${i}`);
    const numbers = answers.filter((a): a is number => typeof a === 'number');
    // The 'compare' exercise's answer is a choice (A or B), checked against the snippets' two losses below.
    if (kinds[i - 1] === 'compare') {
      expect(numbers, `exercise ${i}: a choice, not numbers`).toEqual([]);
      continue;
    }
    expect(numbers.length, `exercise ${i}: the page gives numeric answers to check`).toBeGreaterThan(0);
    const line = numbers.map((v) => v.toFixed(3)).join(' ');
    expect(line, `exercise ${i}: the library's answer vs the snippets`).toBe(printedBy(`exercise-${i}`));
  }

  // Right: the library's value to 3 decimals.
  const hard = await exerciseAnswers(page, 'exercise-1');
  let response = await answer(page, 'exercise-1', [(hard[0] as number).toFixed(3)]);
  expect(response.result).toBe('right');
  expect(response.text).toMatch(/^✓ Right/);
  const solutionShown = await visible(page, 'article[data-problem="exercise-1"] .solution');
  expect(solutionShown, 'a right answer shows the worked solution').toBe(true);
  expect(await score(page)).toEqual([1, 1]);

  // Wrong, twice: the hint first (without the value), then the worked solution with the numbers substituted.
  const batch = (await exerciseAnswers(page, 'exercise-7')) as number[];
  response = await answer(page, 'exercise-7', [(batch[0]! + 0.1).toFixed(3), (batch[1]! * 2).toFixed(3)]);
  expect(response.result).toBe('wrong');
  expect(response.text).toMatch(/^✗ Not quite.*not within ±0\.005/);
  expect(response.text, 'a wrong answer does not give the value away').not.toContain(batch[0]!.toFixed(4));
  expect(await visible(page, 'article[data-problem="exercise-7"] .exercise-hint')).toBe(true);
  expect(await visible(page, 'article[data-problem="exercise-7"] .solution')).toBe(false);
  expect(await score(page)).toEqual([1, 2]);
  response = await answer(page, 'exercise-7', [batch[0]!.toFixed(3), '1']);
  expect(response.result, 'one field still wrong').toBe('wrong');
  const solution = await page.$eval('article[data-problem="exercise-7"] .solution', (n) => ({
    hidden: (n as HTMLElement).hidden,
    text: n.textContent ?? '',
  }));
  expect(solution.hidden, 'the second wrong answer shows the solution').toBe(false);
  const solved = /mean = [0-9.]+ \/ 3 = ([0-9.]+)/.exec(solution.text);
  expect(solved, 'the solution divides the sum by the 3 rows').not.toBeNull();
  expect(Math.abs(Number(solved![1]) - batch[0]!), "the solution arrives at the library's mean").toBeLessThan(1e-4);
  expect(await score(page), 'a problem is scored once').toEqual([1, 2]);

  // A choice: the prediction with the lower loss.
  const [choice] = await exerciseAnswers(page, 'exercise-6');
  const [a, b] = printedBy('exercise-6').split(' ').map(Number);
  expect(choice).toBe(a! < b! ? 'A' : 'B');
  expect((await answer(page, 'exercise-6', [String(choice).toLowerCase()])).result).toBe('right');
  expect(await score(page)).toEqual([2, 3]);
}

/** Every code tab of every case: its text is the one the generator ran, and it prints what that run printed. */
async function checkCodeTabs(page: Page): Promise<number> {
  await openView(page, 'code');
  const ids = await page.$$eval('#code-case option', (options) => options.map((o) => (o as HTMLOptionElement).value));
  expect(ids, "the fixture's cases: samples 1-8, the exercises").toEqual(SNIPPETS.cases.map((c) => c.id));
  let checked = 0;
  for (const fixture of SNIPPETS.cases) {
    await page.select('#code-case', fixture.id);
    for (const tab of CODE_TABS) {
      await page.click(`#view-code button[data-lang="${tab}"]`);
      await page.waitForSelector(`#view-code[data-state="ready"][data-case="${fixture.id}"][data-language="${tab}"]`);
      const shown = await page.$eval('#view-code', (view) => ({
        code: view.querySelector('#code-text')!.textContent ?? '',
        printed: view.querySelector('#code-output samp')!.textContent ?? '',
        verified: (view.querySelector('#code-output') as HTMLElement).dataset.verified,
      }));
      const expected = fixture.snippets[tab];
      if (expected) {
        expect(sha256(shown.code), `${fixture.id} ${tab}: the code shown is the code run`).toBe(expected.sha256);
        expect(shown.printed, `${fixture.id} ${tab}: the page's value vs the snippet's`).toBe(expected.printed);
        expect(shown.verified).toBe('true');
        checked++;
      } else {
        expect(shown.printed, `${fixture.id} ${tab}: the line the others printed`).toBe(printedBy(fixture.id));
        expect(shown.verified, `${fixture.id} ${tab}: marked as not run`).toBe('false');
      }
    }
  }
  // The samples' lines are the worked-examples table's values (samples 7 and 8: those of their printed vectors).
  for (const n of Object.keys(SEED_TABLE)) {
    expect(printedBy(`sample-${n}`)).toBe((TRUE_VALUES[n] ?? SEED_TABLE[n]!).toFixed(3));
  }
  return checked;
}

interface WorkerMeans {
  global: number;
  meanOfMeans: number;
  single: number;
  counted: number;
}

async function workerMeans(page: Page, split: string): Promise<WorkerMeans> {
  await page.waitForSelector(`#view-workers[data-state="ready"][data-split="${split}"]`);
  const data = await page.$eval('#view-workers', (n) => ({ ...(n as HTMLElement).dataset }));
  const weights = await page.$$eval('#workers-table tbody tr', (rows) =>
    rows.map((r) => Number(r.getAttribute('data-weight-sum'))),
  );
  const counted = weights.reduce((x, y) => x + y, 0);
  return { global: Number(data.global), meanOfMeans: Number(data.meanOfMeans), single: Number(data.single), counted };
}

/** The multi-worker identity: sums added and divided once equal the one-device mean; the mean of means does not. */
async function checkWorkers(page: Page): Promise<void> {
  await openView(page, 'workers');
  let means = await workerMeans(page, '3/2,9/2');
  expect(means.counted, 'the weightSums add up to the rows not ignored').toBe(WORKER_ROWS - 2);
  const tolerance = () => 1e-6 * Math.max(1, means.single);
  expect(Math.abs(means.global - means.single), 'global mean = one-device mean').toBeLessThanOrEqual(tolerance());
  expect(Math.abs(means.meanOfMeans - means.single), 'the mean of means differs').toBeGreaterThan(1e-3);
  expect(await page.$eval('#workers-identity', (n) => (n as HTMLElement).dataset.equal)).toBe('true');

  await slide(page, '#workers-count', 4);
  await slide(page, '#workers-cut-2', 6);
  await slide(page, '#workers-ignored', 5);
  means = await workerMeans(page, '4/1,6,8/5');
  expect(means.counted).toBe(WORKER_ROWS - 5);
  expect(Math.abs(means.global - means.single), 'the same after moving the sliders').toBeLessThanOrEqual(tolerance());
  expect(Math.abs(means.meanOfMeans - means.single)).toBeGreaterThan(1e-3);
}

describe('demo page with WebGPU (SwiftShader)', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await launchChromium('swiftshader');
    ({ page, problems } = await openDemo(browser));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('runs on WebGPU and shows the adapter', async () => {
    expect(await page.$eval('body', (b) => b.dataset.backend)).toBe('webgpu');
    expect(await page.$eval('#fallback-notice', (n) => (n as HTMLElement).hidden)).toBe(true);
    expect(await page.$eval('#backend', (n) => n.textContent)).toMatch(/WebGPU adapter: .*swiftshader/i);
  });

  it('computes the worked examples: seed table for samples 1-6, CPU column everywhere, flags 7 and 8', async () => {
    await checkWorkedExamples(page);
    await page.screenshot({ path: `${ARTIFACTS}demo-examples-webgpu.png`, fullPage: true });
  });

  it('recomputes a row when it is edited, and explains bad vectors', async () => {
    await typeInto(page, 'tr[data-row="1"] input[data-field="prediction"]', '0.5, 0.25, 0.25');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('tr[data-row="1"] td[data-col="gpu"]')?.dataset.value?.startsWith('0.693'), { timeout: 20_000 });
    let table = await examplesTable(page);
    expect(table['1']!.gpu).toBeCloseTo(Math.log(2), 5); // -ln 0.5
    expect(table['1']!.cpu).toBeCloseTo(Math.log(2), 5);

    await typeInto(page, 'tr[data-row="1"] input[data-field="prediction"]', '0.5, 0.25, 0.2');
    await page.waitForSelector('tr[data-message-for="1"].error:not([hidden])');
    expect(await page.$eval('tr[data-message-for="1"]', (n) => n.textContent)).toMatch(/sums to 0\.9500, not 1/);

    await typeInto(page, 'tr[data-row="1"] input[data-field="prediction"]', '0.5, 0.5');
    await page.waitForFunction(() => /Wrong length/.test(document.querySelector('tr[data-message-for="1"]')?.textContent ?? ''));

    await page.click('#add-row');
    await page.waitForSelector('tr[data-row="+1"]');
    await typeInto(page, 'tr[data-row="+1"] input[data-field="target"]', '0.5, 0.5');
    await typeInto(page, 'tr[data-row="+1"] input[data-field="prediction"]', '0.5, 0.5');
    await page.waitForFunction(() => document.querySelector<HTMLElement>('tr[data-row="+1"] td[data-col="gpu"]')?.dataset.value?.startsWith('0.693'), { timeout: 20_000 });
    table = await examplesTable(page);
    expect(table['+1']!.gpu, 'a soft row equal to its target costs its entropy, ln 2').toBeCloseTo(Math.log(2), 5);
    await page.screenshot({ path: `${ARTIFACTS}demo-examples-edited-webgpu.png`, fullPage: true });
  });

  it('draws the curves with the library, and their minima move with the sliders as theory says', async () => {
    await openView(page, 'curves');
    const readChart = () => page.$eval('#chart-ce', (box) => ({ ...(box as HTMLElement).dataset }));
    let ce = await readChart();
    expect(Number(ce.hardAtHalf), 'hard-label CE at p = 0.5 is ln 2').toBeCloseTo(Math.log(2), 5);
    expect(Number(ce.softArgmin), 'a soft label is best matched by p = y_true = 0.7').toBeCloseTo(0.7, 2);
    expect(Math.abs(Number(ce.smoothedArgmin) - (1 - 0.1 + 0.1 / 3)), 'smoothing 0.1 over 3 classes: minimum at 0.933').toBeLessThanOrEqual(0.005);
    expect(Number(await page.$eval('#chart-bce', (box) => (box as HTMLElement).dataset.softArgmin)), 'soft BCE is minimal at p = y').toBeCloseTo(0.7, 2);
    await page.$eval('#slider-smoothing', (input) => {
      (input as HTMLInputElement).value = '0.3';
      input.dispatchEvent(new Event('input'));
    });
    await page.waitForSelector('#view-curves[data-drawn="3/0.7/0.3"][data-state="ready"]', { timeout: 30_000 });
    ce = await readChart();
    expect(Math.abs(Number(ce.smoothedArgmin) - (1 - 0.3 + 0.3 / 3)), 'smoothing 0.3 over 3 classes: minimum at 0.8').toBeLessThanOrEqual(0.005);
    await page.screenshot({ path: `${ARTIFACTS}demo-curves-webgpu.png`, fullPage: true });
  });

  it('checks exercises against the library: a right answer, a wrong one (hint, then solution), the score', async () => {
    await checkExercises(page);
    await page.screenshot({ path: `${ARTIFACTS}demo-exercises-webgpu.png`, fullPage: true });
    await page.click('article[data-problem="exercise-5"] button[data-action="code"]');
    await page.waitForSelector('#view-code[data-state="ready"][data-case="exercise-5"]');
  });

  it('shows every worked example and exercise as code whose printed values are the committed fixture\'s', async () => {
    await openView(page, 'examples');
    await page.click('#examples-code button[data-sample="6"]');
    await page.waitForSelector('#view-code[data-state="ready"][data-case="sample-6"]');
    const checked = await checkCodeTabs(page);
    expect(checked, 'NumPy, PyTorch, TensorFlow.js and xentropy tabs of 16 cases').toBe(16 * 4);
    await page.select('#code-case', 'exercise-7');
    await page.click('#view-code button[data-lang="pytorch"]');
    await page.waitForSelector('#view-code[data-state="ready"][data-case="exercise-7"][data-language="pytorch"]');
    await page.screenshot({ path: `${ARTIFACTS}demo-code-webgpu.png`, fullPage: true });
    await page.click('#view-code button[data-lang="keras"]');
    await page.waitForSelector('#view-code[data-state="ready"][data-case="exercise-7"][data-language="keras"]');
    await page.screenshot({ path: `${ARTIFACTS}demo-code-keras-webgpu.png`, fullPage: true });
  });

  it('shows the multi-GPU mean: workers\' sums over their weightSums equal the one-device mean', async () => {
    await checkWorkers(page);
    await page.screenshot({ path: `${ARTIFACTS}demo-workers-webgpu.png`, fullPage: true });
  });

  it(`trains the spiral classifier: ${TRAIN_STEPS} steps lower the loss ${LOSS_FACTOR}x and reach ${100 * MIN_ACCURACY}% accuracy, GPU and CPU alike`, async () => {
    await openView(page, 'train');
    const results: Record<string, TrainStats> = {};
    for (const kind of ['gpu', 'cpu']) {
      results[kind] = await trainFor(page, kind, TRAIN_STEPS);
      const r = results[kind]!;
      console.log(`[demo train] ${kind}: ${r.steps} steps, loss ${r.initialLoss.toFixed(4)} -> ${r.finalLoss.toFixed(4)} (${(r.initialLoss / r.finalLoss).toFixed(1)}x), accuracy ${(100 * r.accuracy).toFixed(1)}%, ${r.stepsPerSecond.toFixed(1)} steps/s`);
      expect(r.steps).toBe(TRAIN_STEPS);
      expect(r.initialLoss / r.finalLoss, `${kind}: loss factor`).toBeGreaterThanOrEqual(LOSS_FACTOR);
      expect(r.accuracy, `${kind}: accuracy`).toBeGreaterThanOrEqual(MIN_ACCURACY);
    }
    const buffers = await page.$eval('#train-stats-gpu', (node) => ({ ...(node as HTMLElement).dataset }));
    expect(Number(buffers.engineBuffersAfterFirstBlock), 'the engine pool was read after the first block').toBeGreaterThan(0);
    expect(Number(buffers.engineBuffersCreated), 'no GPU buffer is created per training step after the first block').toBe(Number(buffers.engineBuffersAfterFirstBlock));
    // Same data, initial weights and optimizer: the first loss is the same forward pass, and the runs stay together.
    expect(results.gpu!.initialLoss).toBeCloseTo(results.cpu!.initialLoss, 4);
    expect(Math.abs(results.gpu!.finalLoss - results.cpu!.finalLoss) / results.cpu!.finalLoss, 'GPU and CPU final losses agree within 10%').toBeLessThan(0.1);
    await page.screenshot({ path: `${ARTIFACTS}demo-train-webgpu.png`, fullPage: true });
  });

  it('trains the tiny character-level language model with the fused linear cross-entropy: the loss falls', async () => {
    await openView(page, 'lm');
    await page.$eval('#lm-steps', (input) => ((input as HTMLInputElement).value = '100'));
    await page.click('#lm-start');
    await page.waitForSelector('#view-lm[data-state="done"], #view-lm[data-state="failed"]', { timeout: 150_000 });
    const lm = await page.$eval('#view-lm', (node) => ({ ...(node as HTMLElement).dataset }));
    console.log(`[demo lm] ${lm.steps} steps, loss ${Number(lm.initialLoss).toFixed(3)} -> ${Number(lm.finalLoss).toFixed(3)}`);
    expect(lm.state).toBe('done');
    expect(Number(lm.steps)).toBe(100);
    // Starts near ln V (uniform over the text's characters); 100 Adam steps learn the frequent pairs.
    expect(Number(lm.finalLoss), 'the loss falls below 70% of its start').toBeLessThan(0.7 * Number(lm.initialLoss));
    await page.screenshot({ path: `${ARTIFACTS}demo-lm-webgpu.png`, fullPage: true });
  });

  it('runs the small benchmark case: validated kernel, roofline and CPU, a bar chart and the adapter', async () => {
    const rows = await runSmallBench(page);
    expect(rows.map((r) => r.implementation).sort()).toEqual(['CPU reference', 'roofline (vec4 read+write)', 'xentropy (fused CE fwd+bwd)']);
    for (const row of rows) expect(row.gbps, `${row.implementation} GB/s`).toBeGreaterThan(0);
    expect(rows.find((r) => r.implementation.startsWith('xentropy'))!.note).toMatch(/^validated/);
    console.log(`[demo bench] ${rows.map((r) => `${r.implementation}: ${r.gbps.toFixed(2)} GB/s`).join(', ')}`);
    expect(await page.$eval('#bench-adapter', (t) => t.textContent)).toMatch(/swiftshader/i);
    await page.screenshot({ path: `${ARTIFACTS}demo-bench-webgpu.png`, fullPage: true });
  });

  it('adds TensorFlow.js on WebGPU to the comparison when asked, validated against the reference', async () => {
    await page.click('#bench-tfjs');
    const rows = await runSmallBench(page);
    const tfjs = rows.find((r) => r.implementation.startsWith('tfjs-webgpu'));
    expect(tfjs, 'a tfjs-webgpu row').toBeDefined();
    expect(tfjs!.gbps).toBeGreaterThan(0);
    expect(tfjs!.note).toMatch(/validated/);
    console.log(`[demo bench] ${tfjs!.implementation}: ${tfjs!.gbps.toFixed(2)} GB/s`);
    await page.screenshot({ path: `${ARTIFACTS}demo-bench-tfjs-webgpu.png`, fullPage: true });
  });

  it('had no console errors or unhandled rejections', () => {
    expect(problems).toEqual([]);
  });
});

describe('demo page without WebGPU', () => {
  let browser: Browser;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await launchChromium('none');
    ({ page, problems } = await openDemo(browser));
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('says plainly that WebGPU is missing and runs on the CPU fallback', async () => {
    expect(await page.$eval('body', (b) => b.dataset.backend)).toBe('cpu');
    const notice = await page.$eval('#fallback-notice', (n) => ({ hidden: (n as HTMLElement).hidden, text: n.textContent ?? '' }));
    expect(notice.hidden).toBe(false);
    expect(notice.text).toMatch(/WebGPU is not available.*CPU fallback/);
  });

  it('still computes the worked examples', async () => {
    await checkWorkedExamples(page);
    await page.screenshot({ path: `${ARTIFACTS}demo-examples-fallback.png`, fullPage: true });
  });

  it('checks exercises, shows the code tabs and the multi-GPU mean on the CPU fallback', async () => {
    await checkExercises(page);
    await page.screenshot({ path: `${ARTIFACTS}demo-exercises-fallback.png`, fullPage: true });
    expect(await checkCodeTabs(page)).toBe(16 * 4);
    await page.screenshot({ path: `${ARTIFACTS}demo-code-fallback.png`, fullPage: true });
    await checkWorkers(page);
    await page.screenshot({ path: `${ARTIFACTS}demo-workers-fallback.png`, fullPage: true });
  });

  it('trains on the CPU only and benchmarks the CPU reference', async () => {
    await openView(page, 'train');
    expect(await page.$eval('#train-start-gpu', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
    const r = await trainFor(page, 'cpu', 50);
    expect(r.steps).toBe(50);
    expect(r.finalLoss).toBeLessThan(r.initialLoss);
    await page.screenshot({ path: `${ARTIFACTS}demo-train-fallback.png`, fullPage: true });
    const rows = await runSmallBench(page);
    expect(rows.map((row) => row.implementation)).toEqual(['CPU reference']);
    expect(rows[0]!.gbps).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}demo-bench-fallback.png`, fullPage: true });
  });

  it('draws the curves on the CPU fallback', async () => {
    await openView(page, 'curves');
    const ce = await page.$eval('#chart-ce', (box) => ({ ...(box as HTMLElement).dataset }));
    expect(Number(ce.hardAtHalf)).toBeCloseTo(Math.log(2), 6);
    expect(Number(ce.softArgmin)).toBeCloseTo(0.7, 2);
    await page.screenshot({ path: `${ARTIFACTS}demo-curves-fallback.png`, fullPage: true });
  });

  it('had no console errors or unhandled rejections', () => {
    expect(problems).toEqual([]);
  });
});
