/**
 * View: the multi-GPU mean. One small batch split unevenly across 2-4 simulated workers; each computes its rows'
 * cross-entropy with reduction 'sum' and its weightSum (the count of rows not ignored), as a worker in data-parallel
 * training would. Adding the sums and the weightSums and dividing once gives the mean a single device computes over
 * the whole batch; averaging the workers' own means does not, when the split is uneven.
 */
import type { Engine } from 'xentropy';
import { element } from '../dom.js';

const ROWS = 12;
const CLASSES = 3;
/** PyTorch's default ignore_index: a row with this target counts for nothing, not even in the mean's denominator. */
const IGNORE = -100;
/** The order in which the "ignored rows" slider ignores rows (a fixed shuffle, so the ignored rows are spread out). */
const IGNORE_ORDER = [4, 7, 1, 10, 5, 0, 11, 3, 8, 2, 9, 6];
const WORKER_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7'];

/** A fixed batch: logits in steps of 0.5 in [-2, 2], and a true class per row. */
function batch(): { logits: Float32Array; targets: number[] } {
  let a = 20261203;
  const next = () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648;
  };
  const logits = Float32Array.from({ length: ROWS * CLASSES }, () => Math.round(next() * 8 - 4) / 2);
  const targets = Array.from({ length: ROWS }, () => Math.floor(next() * CLASSES));
  return { logits, targets };
}

/** Cut points (the first row of workers 2, 3, ...) that split the batch unevenly. */
const DEFAULT_CUTS: Record<number, number[]> = { 2: [3], 3: [2, 9], 4: [1, 3, 8] };

export function mountWorkers(root: HTMLElement, engine: Engine): void {
  const where = engine.backend === 'webgpu' ? 'on your GPU (WebGPU)' : 'on the CPU fallback (no WebGPU here)';
  const { logits, targets } = batch();
  root.append(
    element('h2', {}, 'The multi-GPU mean'),
    element(
      'p',
      { class: 'lead' },
      `A batch of ${ROWS} rows (${CLASSES} classes) split across simulated workers, as data-parallel training ` +
        `splits a batch across GPUs. ` +
        "Each worker asks the library for its rows' loss with reduction 'sum' and for its weightSum, the number of " +
        'rows it counts (ignored rows, target −100, count for nothing). ' +
        `The sums and the weightSums are added and divided once: that is the mean over the whole batch, the value ` +
        `one device gets with reduction 'mean'. Computed ${where}.`,
    ),
  );

  const settings = { workers: 3, cuts: [...DEFAULT_CUTS[3]!], ignored: 2 };
  const controls = element('div', { class: 'controls' });
  const slider = (id: string, label: string, min: number, max: number, value: number, onInput: (v: number) => void) => {
    const input = element('input', {
      type: 'range',
      id,
      min: String(min),
      max: String(max),
      step: '1',
      value: String(value),
    });
    const output = element('output', {}, String(value));
    input.addEventListener('input', () => {
      onInput(Number(input.value));
      schedule();
    });
    const label_ = element('label', {}, label, input, output);
    controls.append(label_);
    return { input, output, label: label_ };
  };
  const workersSlider = slider('workers-count', 'workers', 2, 4, settings.workers, (v) => {
    settings.workers = v;
    settings.cuts = [...DEFAULT_CUTS[v]!];
  });
  const cutSliders = [1, 2, 3].map((k) =>
    slider(`workers-cut-${k}`, `worker ${k + 1} starts at row`, 1, ROWS - 1, settings.cuts[k - 1] ?? k, (v) =>
      moveCut(k - 1, v),
    ),
  );
  const ignoredSlider = slider(
    'workers-ignored',
    'ignored rows',
    0,
    ROWS - 1,
    settings.ignored,
    (v) => (settings.ignored = v),
  );

  /** Move one cut and push its neighbours so that every worker keeps at least one row. */
  const moveCut = (index: number, value: number) => {
    const cuts = settings.cuts;
    cuts[index] = Math.min(Math.max(value, index + 1), ROWS - (cuts.length - index));
    for (let i = index + 1; i < cuts.length; i++) cuts[i] = Math.max(cuts[i]!, cuts[i - 1]! + 1);
    for (let i = index - 1; i >= 0; i--) cuts[i] = Math.min(cuts[i]!, cuts[i + 1]! - 1);
  };

  const strip = element('div', { id: 'workers-strip', class: 'row-strip' });
  const table = element('table', { class: 'examples', id: 'workers-table' });
  table.append(
    element(
      'thead',
      {},
      element(
        'tr',
        {},
        ...[
          'worker',
          'rows',
          'weightSum (rows counted)',
          "loss, reduction 'sum'",
          'its own mean = sum / weightSum',
        ].map((h) => element('th', {}, h)),
      ),
    ),
  );
  const body = element('tbody', {});
  table.append(body);
  const results = element('div', { class: 'results', id: 'workers-results' });
  const identity = element('p', { id: 'workers-identity', class: 'identity' });
  root.append(
    controls,
    strip,
    table,
    results,
    identity,
    element(
      'pre',
      { class: 'code' },
      '// On each worker, its own rows only:\n' +
        'const { loss, weightSum } = await engine.crossEntropy(logits, target, { shape: [rows, classes], ' +
        "reduction: 'sum' });\n" +
        '// Add loss and weightSum over the workers (an all-reduce, e.g. torch.distributed.all_reduce), then ' +
        'divide once:\n' +
        'const mean = lossTotal / weightSumTotal;',
    ),
  );

  const draw = async () => {
    const { workers, cuts, ignored } = settings;
    workersSlider.output.textContent = String(workers);
    cutSliders.forEach((s, k) => {
      s.label.hidden = k >= workers - 1;
      if (k < workers - 1) {
        s.input.value = String(cuts[k]);
        s.output.textContent = String(cuts[k]);
      }
    });
    ignoredSlider.output.textContent = String(ignored);
    const ignoredRows = new Set(IGNORE_ORDER.slice(0, ignored));
    const target = Int32Array.from(targets, (t, r) => (ignoredRows.has(r) ? IGNORE : t));
    const bounds = [0, ...cuts, ROWS];
    const slices = Array.from({ length: workers }, (_, k) => ({ start: bounds[k]!, end: bounds[k + 1]! }));

    const [parts, single, perRow] = await Promise.all([
      Promise.all(
        slices.map(({ start, end }) =>
          engine.crossEntropy(logits.slice(start * CLASSES, end * CLASSES), target.slice(start, end), {
            shape: [end - start, CLASSES],
            reduction: 'sum',
            grad: false,
          }),
        ),
      ),
      engine.crossEntropy(logits, target, { shape: [ROWS, CLASSES], grad: false }),
      engine.crossEntropy(logits, target, { shape: [ROWS, CLASSES], reduction: 'none', grad: false }),
    ]);
    const sums = parts.map((p) => p.loss as number);
    const weights = parts.map((p) => p.weightSum);
    const localMeans = sums.map((s, k) => s / weights[k]!);
    const globalMean = sums.reduce((a, b) => a + b, 0) / weights.reduce((a, b) => a + b, 0);
    const meanOfMeans = localMeans.reduce((a, b) => a + b, 0) / workers;
    const singleMean = single.loss as number;

    strip.replaceChildren(
      ...Array.from({ length: ROWS }, (_, r) => {
        const k = slices.findIndex((s) => r >= s.start && r < s.end);
        const off = ignoredRows.has(r);
        return element(
          'div',
          {
            class: `row-cell${off ? ' ignored' : ''}`,
            style: `border-color: ${WORKER_COLORS[k]}; background: ${WORKER_COLORS[k]}${off ? '10' : '22'}`,
          },
          element('span', { class: 'row-name' }, `row ${r}`),
          element('span', {}, off ? 'ignored' : `class ${targets[r]}`),
          element('span', {}, off ? '—' : (perRow.loss as Float32Array)[r]!.toFixed(3)),
          element('span', { class: 'row-worker', style: `color: ${WORKER_COLORS[k]}` }, `worker ${k + 1}`),
        );
      }),
    );
    const format = (v: number) => (Number.isNaN(v) ? 'NaN (0 / 0)' : v.toFixed(4));
    body.replaceChildren(
      ...slices.map(({ start, end }, k) =>
        element(
          'tr',
          { 'data-worker': String(k + 1), 'data-sum': String(sums[k]), 'data-weight-sum': String(weights[k]) },
          element('td', { style: `color: ${WORKER_COLORS[k]}; font-weight: 700` }, `worker ${k + 1}`),
          element('td', {}, end - start === 1 ? `row ${start}` : `rows ${start}-${end - 1} (${end - start})`),
          element('td', {}, String(weights[k])),
          element('td', {}, sums[k]!.toFixed(4)),
          element('td', {}, weights[k] === 0 ? 'NaN (0 / 0: no row counted)' : localMeans[k]!.toFixed(4)),
        ),
      ),
    );
    const box = (id: string, heading: string, formula: string, value: number, kind: string) =>
      element(
        'div',
        { class: `result ${kind}`, id, 'data-value': String(value) },
        element('h3', {}, heading),
        element('p', { class: 'formula' }, formula),
        element('p', { class: 'value' }, format(value)),
      );
    results.replaceChildren(
      box(
        'workers-global',
        'Global mean (right)',
        `(${sums.map((s) => s.toFixed(3)).join(' + ')}) / (${weights.join(' + ')})`,
        globalMean,
        'good',
      ),
      box(
        'workers-mean-of-means',
        'Mean of the workers’ means (wrong)',
        `(${localMeans.map(format).join(' + ')}) / ${workers}`,
        meanOfMeans,
        'bad',
      ),
      box(
        'workers-single',
        'One device, reduction \u2018mean\u2019',
        `all ${ROWS} rows at once: ${ROWS - ignored} counted`,
        singleMean,
        'good',
      ),
    );
    const difference = Math.abs(globalMean - singleMean);
    const equal = difference <= 1e-6 * Math.max(1, Math.abs(singleMean));
    identity.dataset.equal = String(equal);
    identity.textContent =
      `Global mean − one-device mean = ${difference.toExponential(1)} ` +
      `(${equal ? 'equal up to f32 rounding' : 'NOT equal'}); ` +
      `mean of means − one-device mean = ` +
      (Number.isNaN(meanOfMeans)
        ? 'NaN: a worker counted no row, and its own mean is 0 / 0'
        : (meanOfMeans - singleMean).toFixed(4)) +
      (Number.isNaN(meanOfMeans) || Math.abs(meanOfMeans - singleMean) > 5e-5
        ? ': averaging means weights a small worker’s rows more than a big one’s.'
        : ' (the workers count equally many rows here, so it happens to agree).');
    Object.assign(root.dataset, {
      global: String(globalMean),
      meanOfMeans: String(meanOfMeans),
      single: String(singleMean),
      split: `${workers}/${cuts.join(',')}/${ignored}`,
    });
  };

  let running = false;
  let dirty = false;
  const schedule = () => {
    dirty = true;
    if (!running) void redraw();
  };
  const redraw = async () => {
    running = true;
    root.dataset.state = 'computing';
    try {
      while (dirty) {
        dirty = false;
        await draw();
      }
      root.dataset.state = 'ready';
      root.dataset.loaded = 'true';
    } catch (error) {
      console.error(error);
      root.append(
        element(
          'p',
          { class: 'notice error' },
          `Could not compute: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    } finally {
      running = false;
    }
  };
  schedule();
}
