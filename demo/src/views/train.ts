/**
 * View 3, train: a one-hidden-layer MLP learns a 2-D spiral (data.ts) full-batch with Adam. The GPU run uses the
 * library's fused cross-entropy forward+backward on the shared device (gpuTrainer.ts); the CPU run is the same model,
 * data, initial weights and optimizer on the library's CPU fallback (cpuTrainer.ts), for comparison. Live loss and
 * accuracy curves, the decision boundary, start/stop and steps per second.
 */
import type { Engine } from 'xentropy';
import { COLORS, makeChart } from '../charts.js';
import { CpuTrainer } from '../train/cpuTrainer.js';
import { spiral } from '../train/data.js';
import { GpuTrainer, METRICS_BLOCK } from '../train/gpuTrainer.js';
import type { ModelShape, StepMetrics, Trainer } from '../train/model.js';
import { element } from '../dom.js';

const SHAPE: ModelShape = { inputs: 2, hidden: 32, classes: 3 };
const POINTS_PER_CLASS = 100;
/** Resolution of the decision-boundary image (GRID x GRID model evaluations) and the square it covers. */
const GRID = 60;
const EXTENT = 1.15;
const CLASS_RGB: [number, number, number][] = [[0, 114, 178], [213, 94, 0], [0, 158, 115]];

type Kind = 'gpu' | 'cpu';

/** Log-axis labels only at 1, 2 and 5 times a power of ten (Chart.js would otherwise crowd the bottom decade). */
function oneTwoFive(value: number | string): string {
  const v = Number(value);
  const mantissa = v / 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5].some((d) => Math.abs(mantissa - d) < 1e-6) ? String(Number(v.toPrecision(3))) : '';
}

export function mountTrain(root: HTMLElement, engine: Engine, cpu: Engine): void {
  const data = spiral(SHAPE.classes, POINTS_PER_CLASS);
  const hasGpu = engine.backend === 'webgpu';
  root.append(
    element('h2', {}, 'Train a classifier'),
    element(
      'p',
      { class: 'lead' },
      `A one-hidden-layer network (2 → ${SHAPE.hidden} ReLU → ${SHAPE.classes}) learns a ${SHAPE.classes}-arm spiral of ${data.count} points, full batch, Adam. ` +
        'The GPU run computes the loss and its gradient with the library’s fused cross-entropy kernel on the same device as the demo’s matmul kernels; ' +
        'the CPU run is the identical model, data, initial weights and optimizer on the library’s CPU fallback.',
    ),
  );
  const stepsInput = element('input', { type: 'number', id: 'train-steps', min: '1', max: '100000', value: '1000', size: '6' });
  const startGpu = element('button', { id: 'train-start-gpu' }, 'Start on GPU');
  const startCpu = element('button', { id: 'train-start-cpu' }, 'Start on CPU');
  const stop = element('button', { id: 'train-stop', disabled: '' }, 'Stop');
  const reset = element('button', { id: 'train-reset' }, 'Reset');
  if (!hasGpu) {
    startGpu.disabled = true;
    startGpu.title = 'No WebGPU here: only the CPU fallback can train';
  }
  root.append(element('div', { class: 'controls' }, element('label', {}, 'run to step', stepsInput), startGpu, startCpu, stop, reset));
  const stats: Record<Kind, HTMLElement> = {
    gpu: element('div', { class: 'stats', id: 'train-stats-gpu' }, hasGpu ? 'GPU: not started' : 'GPU: unavailable (no WebGPU)'),
    cpu: element('div', { class: 'stats', id: 'train-stats-cpu' }, 'CPU: not started'),
  };
  const comparison = element(
    'p',
    { class: 'hint', id: 'train-comparison' },
    hasGpu
      ? 'The model is tiny, so a step is mostly dispatch and synchronization overhead: a real GPU wins on big batches, and a software adapter such as SwiftShader (a CPU pretending to be a GPU) is slower than the plain CPU path here.'
      : 'Without WebGPU only the CPU run is available; it is the same training, on the library’s CPU fallback.',
  );
  root.append(stats.gpu, stats.cpu, comparison);

  const layout = element('div', { class: 'train-grid' });
  const boundaryBox = element('div', {});
  const canvas = element('canvas', { class: 'boundary', id: 'train-boundary', width: '320', height: '320' });
  const boundaryCaption = element('p', { class: 'hint' }, 'Decision regions of the last run (color = predicted class, paler = less sure).');
  boundaryBox.append(canvas, boundaryCaption);
  const charts = element('div', { class: 'charts' });
  layout.append(boundaryBox, charts);
  root.append(layout);

  const series = (label: string, color: string, dashed: boolean) => ({ label, data: [] as { x: number; y: number }[], borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2, borderDash: dashed ? [6, 4] : [] });
  const axes = (y: string, yScale: object) => ({ x: { type: 'linear' as const, title: { display: true, text: 'step' }, min: 0 }, y: { title: { display: true, text: y }, ...yScale } });
  const lossChart = makeChart(charts, 'chart-train-loss', {
    type: 'line',
    data: { datasets: [series('GPU', COLORS[0]!, false), series('CPU fallback', COLORS[1]!, true)] },
    options: { plugins: { title: { display: true, text: 'Mean cross-entropy (log scale)' } }, scales: axes('loss', { type: 'logarithmic', ticks: { callback: oneTwoFive } }) },
  });
  const accuracyChart = makeChart(charts, 'chart-train-accuracy', {
    type: 'line',
    data: { datasets: [series('GPU', COLORS[0]!, false), series('CPU fallback', COLORS[1]!, true)] },
    options: { plugins: { title: { display: true, text: 'Training accuracy' } }, scales: axes('accuracy', { type: 'linear', min: 0, max: 1 }) },
  });
  const datasetIndex: Record<Kind, number> = { gpu: 0, cpu: 1 };

  let gpuTrainer: GpuTrainer | null = null;
  const cpuTrainer = new CpuTrainer(cpu, data, SHAPE);
  const trainerFor = (kind: Kind): Trainer => (kind === 'cpu' ? cpuTrainer : (gpuTrainer ??= new GpuTrainer(engine, data, SHAPE)));
  const history: Record<Kind, StepMetrics[]> = { gpu: [], cpu: [] };
  let running: Kind | null = null;
  let stopRequested = false;

  const setButtons = () => {
    startGpu.disabled = !hasGpu || running !== null;
    startCpu.disabled = running !== null;
    reset.disabled = running !== null;
    stop.disabled = running === null;
  };

  const drawBoundary = async (trainer: Trainer) => {
    const points = new Float32Array(GRID * GRID * 2);
    for (let j = 0; j < GRID; j++) {
      for (let i = 0; i < GRID; i++) {
        points[2 * (j * GRID + i)] = -EXTENT + ((i + 0.5) * 2 * EXTENT) / GRID;
        points[2 * (j * GRID + i) + 1] = EXTENT - ((j + 0.5) * 2 * EXTENT) / GRID; // row 0 at the top
      }
    }
    const probabilities = await trainer.predict(points);
    const image = new ImageData(GRID, GRID);
    for (let p = 0; p < GRID * GRID; p++) {
      // Mix the class colors by probability, then pale toward white so the data points stand out.
      for (let channel = 0; channel < 3; channel++) {
        let value = 0;
        for (let c = 0; c < SHAPE.classes; c++) value += probabilities[p * SHAPE.classes + c]! * CLASS_RGB[c]![channel]!;
        image.data[4 * p + channel] = 255 - 0.45 * (255 - value);
      }
      image.data[4 * p + 3] = 255;
    }
    const scratch = new OffscreenCanvas(GRID, GRID);
    scratch.getContext('2d')!.putImageData(image, 0, 0);
    const context = canvas.getContext('2d')!;
    context.imageSmoothingEnabled = true;
    context.drawImage(scratch, 0, 0, canvas.width, canvas.height);
    const toPixel = (v: number, flip: boolean) => ((flip ? -v : v) + EXTENT) / (2 * EXTENT) * canvas.width;
    for (let n = 0; n < data.count; n++) {
      const [r, g, b] = CLASS_RGB[data.labels[n]!]!;
      context.beginPath();
      context.arc(toPixel(data.points[2 * n]!, false), toPixel(data.points[2 * n + 1]!, true), 3, 0, 2 * Math.PI);
      context.fillStyle = `rgb(${r}, ${g}, ${b})`;
      context.fill();
      context.strokeStyle = 'white';
      context.lineWidth = 0.8;
      context.stroke();
    }
    boundaryCaption.textContent = `Decision regions after ${history[trainer === cpuTrainer ? 'cpu' : 'gpu'].length} steps on the ${trainer.label} (color = predicted class, paler = less sure).`;
  };

  const showStats = (kind: Kind, stepsPerSecond: number | null) => {
    const h = history[kind];
    const last = h[h.length - 1];
    const node = stats[kind];
    if (!last) {
      node.textContent = `${kind.toUpperCase()}: not started`;
      for (const key of Object.keys(node.dataset)) delete node.dataset[key];
      return;
    }
    node.replaceChildren(
      element('span', {}, `${kind === 'gpu' ? 'GPU' : 'CPU fallback'}:`),
      element('span', {}, `step ${last.step}`),
      element('span', {}, `loss ${last.loss.toFixed(4)} (from ${h[0]!.loss.toFixed(4)})`),
      element('span', {}, `accuracy ${(100 * last.accuracy).toFixed(1)}%`),
      element('span', {}, stepsPerSecond === null ? '' : `${stepsPerSecond.toFixed(1)} steps/s`),
    );
    Object.assign(node.dataset, { steps: String(last.step), initialLoss: String(h[0]!.loss), finalLoss: String(last.loss), accuracy: String(last.accuracy) });
    if (kind === 'gpu' && gpuTrainer) {
      // Buffers are made once, not per step: the engine's pool stops creating after the first steps warm it up.
      const created = engine.stats().created;
      node.dataset.engineBuffersCreated = String(created);
      node.append(element('span', { class: 'hint' }, `GPU buffers: ${gpuTrainer.bufferCount} of the demo's, ${created} created by the engine so far`));
    }
    if (stepsPerSecond !== null) node.dataset.stepsPerSecond = String(stepsPerSecond);
    // The two runs do the same arithmetic (f32 kernels vs the f64 reference): say how close their curves are.
    const common = Math.min(history.gpu.length, history.cpu.length);
    if (common > 0) {
      let largest = 0;
      for (let i = 0; i < common; i++) largest = Math.max(largest, Math.abs(history.gpu[i]!.loss - history.cpu[i]!.loss));
      comparison.textContent = `GPU and CPU runs over their first ${common} steps: largest loss difference ${largest.toExponential(2)} (the curves lie on top of each other).`;
    }
  };

  const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));

  const train = async (kind: Kind) => {
    const trainer = trainerFor(kind);
    running = kind;
    stopRequested = false;
    setButtons();
    root.dataset[`${kind}State`] = 'running';
    const target = Math.max(1, Math.floor(Number(stepsInput.value) || 1));
    const start = performance.now();
    let done = 0;
    let lastBoundary = 0;
    try {
      while (!stopRequested && history[kind].length < target) {
        const block = await trainer.run(Math.min(METRICS_BLOCK, target - history[kind].length));
        done += block.length;
        history[kind].push(...block);
        const index = datasetIndex[kind];
        lossChart.data.datasets[index]!.data = history[kind].map((m) => ({ x: m.step, y: m.loss }));
        accuracyChart.data.datasets[index]!.data = history[kind].map((m) => ({ x: m.step, y: m.accuracy }));
        lossChart.update();
        accuracyChart.update();
        showStats(kind, (done * 1000) / (performance.now() - start));
        if (performance.now() - lastBoundary > 750) {
          await drawBoundary(trainer);
          lastBoundary = performance.now();
        }
        // After one block and one boundary image every kind of buffer the run uses exists (test: none is added later).
        if (kind === 'gpu') stats.gpu.dataset.engineBuffersAfterFirstBlock ??= String(engine.stats().created);
        await nextFrame(); // let the page paint and take clicks between blocks
      }
      await drawBoundary(trainer);
      root.dataset[`${kind}State`] = 'done';
    } catch (error) {
      console.error(error);
      root.dataset[`${kind}State`] = 'failed';
      stats[kind].textContent = `${kind.toUpperCase()} run failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      running = null;
      setButtons();
    }
  };

  startGpu.addEventListener('click', () => void train('gpu'));
  startCpu.addEventListener('click', () => void train('cpu'));
  stop.addEventListener('click', () => (stopRequested = true));
  reset.addEventListener('click', () => {
    gpuTrainer?.reset();
    cpuTrainer.reset();
    for (const kind of ['gpu', 'cpu'] as const) {
      history[kind] = [];
      delete stats[kind].dataset.engineBuffersAfterFirstBlock;
      lossChart.data.datasets[datasetIndex[kind]]!.data = [];
      accuracyChart.data.datasets[datasetIndex[kind]]!.data = [];
      delete root.dataset[`${kind}State`];
      showStats(kind, null);
    }
    lossChart.update();
    accuracyChart.update();
    void drawBoundary(cpuTrainer);
  });
  // Free the trainer's buffers when the page goes away for good (not when it is kept in the back/forward cache).
  window.addEventListener('pagehide', (event) => {
    if (!event.persisted) gpuTrainer?.destroy();
  });
  setButtons();
  void drawBoundary(cpuTrainer).then(() => (root.dataset.loaded = 'true'));
}
