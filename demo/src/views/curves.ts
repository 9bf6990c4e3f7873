/**
 * View 2, curves: the seed's "Visualizations: loss curves and gradient behavior", every point computed by the library.
 * - Cross-entropy against the probability of the true class: "confident & wrong grows quickly", and how a soft label
 *   or label smoothing moves the minimum away from p = 1 (to p = y_true; with smoothing ε over C classes, to
 *   1 - ε + ε/C).
 * - Binary cross-entropy's two branches, -log p (y = 1) and -log(1 - p) (y = 0), and a soft label between them. BCE
 *   is cross-entropy over two classes (the seed: "BCE is a special case of CCE for C = 2"), so it is computed as such:
 *   logits [log p, log(1 - p)]; when the loss family's BCE lands on main, it can be drawn beside this.
 * - The gradient softmax(z) - y against one logit: bounded in [-1, 1], zero only where the prediction equals the target.
 */
import type { Engine } from 'xentropy';
import { COLORS, makeChart, type Chart } from '../charts.js';
import { element } from '../dom.js';
import { crossEntropyRows } from '../losses.js';

interface Settings {
  classes: number;
  softLabel: number;
  smoothing: number;
}

/** Probabilities of the true class on the x axis of the first two charts. */
const PROBABILITIES = Array.from({ length: 199 }, (_, i) => (i + 1) * 0.005);
/** Values of logit z₀ on the x axis of the gradient chart. */
const LOGITS = Array.from({ length: 121 }, (_, i) => -6 + i * 0.1);

/** A target over `classes` classes with mass `trueMass` on class 0 and the rest spread evenly. */
function targetWithMass(classes: number, trueMass: number): number[] {
  return Array.from({ length: classes }, (_, c) => (c === 0 ? trueMass : (1 - trueMass) / (classes - 1)));
}

/** Label smoothing (Szegedy et al. 2016): (1 - ε) one-hot + ε / C. */
function smoothedTarget(classes: number, smoothing: number): number[] {
  return Array.from({ length: classes }, (_, c) => (c === 0 ? 1 - smoothing : 0) + smoothing / classes);
}

function repeatRows(row: readonly number[], rows: number): Float32Array {
  const out = new Float32Array(row.length * rows);
  for (let r = 0; r < rows; r++) out.set(row, r * row.length);
  return out;
}

export function mountCurves(root: HTMLElement, engine: Engine): void {
  root.append(
    element('h2', {}, 'Loss and gradient curves'),
    element('p', { class: 'lead' }, `Every point below is computed by the library (${engine.backend === 'webgpu' ? 'on your GPU' : 'on the CPU fallback'}): one batched call per curve. Move the sliders.`),
  );
  const settings: Settings = { classes: 3, softLabel: 0.7, smoothing: 0.1 };
  const controls = element('div', { class: 'controls' });
  const slider = (key: keyof Settings, label: string, min: number, max: number, step: number) => {
    const input = element('input', { type: 'range', id: `slider-${key}`, min: String(min), max: String(max), step: String(step), value: String(settings[key]) });
    const output = element('output', {}, String(settings[key]));
    input.addEventListener('input', () => {
      settings[key] = Number(input.value);
      output.textContent = input.value;
      schedule();
    });
    controls.append(element('label', {}, label, input, output));
  };
  slider('classes', 'classes C', 2, 20, 1);
  slider('softLabel', 'soft label: y_true', 0, 1, 0.01);
  slider('smoothing', 'label smoothing ε', 0, 0.5, 0.01);
  const grid = element('div', { class: 'charts' });
  root.append(controls, grid);

  const axis = (title: string, extra: object = {}) => ({ type: 'linear' as const, title: { display: true, text: title }, ...extra });
  const line = (label: string, color: string, dashed = false) => ({ label, data: [] as { x: number; y: number }[], borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2, borderDash: dashed ? [6, 4] : [] });

  const ceChart = makeChart(grid, 'chart-ce', {
    type: 'line',
    data: { datasets: [line('hard label (one-hot)', COLORS[0]!), line('soft label', COLORS[1]!), line('label smoothing', COLORS[2]!, true)] },
    options: {
      plugins: { title: { display: true, text: 'Cross-entropy vs probability of the true class' } },
      scales: { x: axis('p(true class)', { min: 0, max: 1 }), y: axis('loss (nats)', { min: 0, max: 6 }) },
    },
  }, 'Confident & wrong grows quickly: −log p → ∞ as p → 0. A soft label is cheapest at p = y_true, label smoothing at 1 − ε + ε/C, never at p = 1.');
  const bceChart = makeChart(grid, 'chart-bce', {
    type: 'line',
    data: { datasets: [line('y = 1: −log p', COLORS[0]!), line('y = 0: −log(1 − p)', COLORS[1]!), line('soft y', COLORS[2]!, true)] },
    options: {
      plugins: { title: { display: true, text: 'Binary cross-entropy, both branches' } },
      scales: { x: axis('predicted p(y = 1)', { min: 0, max: 1 }), y: axis('loss (nats)', { min: 0, max: 6 }) },
    },
  }, 'Each branch punishes the probability it assigns to the wrong outcome; a soft y mixes them and is lowest at p = y.');
  const gradChart = makeChart(grid, 'chart-grad', {
    type: 'line',
    data: {
      datasets: [
        line('∂L/∂z₀, hard label (true class 0)', COLORS[0]!),
        line('∂L/∂z₀, soft label', COLORS[1]!),
        line('∂L/∂z₀, label smoothing', COLORS[2]!, true),
        line('∂L/∂z₁ (a wrong class), hard label', COLORS[3]!),
      ],
    },
    options: {
      plugins: { title: { display: true, text: 'Gradient softmax(z) − y against logit z₀ (other logits 0)' } },
      scales: { x: axis('logit z₀', { min: -6, max: 6 }), y: axis('gradient', { min: -1, max: 1 }) },
    },
  }, 'The gradient ŷ − y is bounded by 1 in size: strong when wrong, fading as the prediction approaches the target, and zero exactly where ŷ = y.');

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
        await drawAll(engine, { ...settings }, ceChart, bceChart, gradChart, root);
      }
      root.dataset.state = 'ready';
      root.dataset.loaded = 'true';
    } catch (error) {
      console.error(error);
      root.append(element('p', { class: 'notice error' }, `Could not compute the curves: ${error instanceof Error ? error.message : String(error)}`));
    } finally {
      running = false;
    }
  };
  schedule();
}

async function drawAll(engine: Engine, s: Settings, ceChart: Chart<'line'>, bceChart: Chart<'line'>, gradChart: Chart<'line'>, root: HTMLElement): Promise<void> {
  const n = PROBABILITIES.length;
  const C = s.classes;
  const points = (ys: ArrayLike<number>, xs: readonly number[]) => xs.map((x, i) => ({ x, y: ys[i]! }));

  // 1. CE vs p(true class): row i predicts p on class 0 and spreads 1 - p over the others.
  const ceLogits = Float32Array.from(PROBABILITIES.flatMap((p) => [Math.log(p), ...Array<number>(C - 1).fill(Math.log((1 - p) / (C - 1)))]));
  const hard = await crossEntropyRows(engine, ceLogits, new Float32Array(0), Array<number>(n).fill(0), C);
  const soft = await crossEntropyRows(engine, ceLogits, repeatRows(targetWithMass(C, s.softLabel), n), Array<null>(n).fill(null), C);
  const smoothed = await crossEntropyRows(engine, ceLogits, repeatRows(smoothedTarget(C, s.smoothing), n), Array<null>(n).fill(null), C);
  ceChart.data.datasets[0]!.data = points(hard.loss, PROBABILITIES);
  ceChart.data.datasets[1]!.data = points(soft.loss, PROBABILITIES);
  ceChart.data.datasets[1]!.label = `soft label y_true = ${s.softLabel.toFixed(2)}`;
  ceChart.data.datasets[2]!.data = points(smoothed.loss, PROBABILITIES);
  ceChart.data.datasets[2]!.label = `label smoothing ε = ${s.smoothing.toFixed(2)}`;
  ceChart.options.plugins!.title!.text = `Cross-entropy vs probability of the true class (C = ${C})`;
  ceChart.update();
  // Where each soft curve has its minimum: theory says at p = y_true (the prediction equals the target).
  const argmin = (loss: Float64Array) => PROBABILITIES[loss.indexOf(Math.min(...loss))]!;
  const box = document.getElementById('chart-ce')!;
  box.dataset.hardAtHalf = String(hard.loss[PROBABILITIES.indexOf(0.5)]);
  box.dataset.softArgmin = String(argmin(soft.loss));
  box.dataset.smoothedArgmin = String(argmin(smoothed.loss));

  // 2. BCE = CE over two classes: logits [log p, log(1 - p)]; y = 1 is class 0, y = 0 is class 1.
  const bceLogits = Float32Array.from(PROBABILITIES.flatMap((p) => [Math.log(p), Math.log(1 - p)]));
  const positive = await crossEntropyRows(engine, bceLogits, new Float32Array(0), Array<number>(n).fill(0), 2);
  const negative = await crossEntropyRows(engine, bceLogits, new Float32Array(0), Array<number>(n).fill(1), 2);
  const softBinary = await crossEntropyRows(engine, bceLogits, repeatRows([s.softLabel, 1 - s.softLabel], n), Array<null>(n).fill(null), 2);
  bceChart.data.datasets[0]!.data = points(positive.loss, PROBABILITIES);
  bceChart.data.datasets[1]!.data = points(negative.loss, PROBABILITIES);
  bceChart.data.datasets[2]!.data = points(softBinary.loss, PROBABILITIES);
  bceChart.data.datasets[2]!.label = `soft y = ${s.softLabel.toFixed(2)}`;
  bceChart.update();
  document.getElementById('chart-bce')!.dataset.softArgmin = String(argmin(softBinary.loss));

  // 3. Gradient against z₀ with the other logits at 0.
  const m = LOGITS.length;
  const gradLogits = Float32Array.from(LOGITS.flatMap((z) => [z, ...Array<number>(C - 1).fill(0)]));
  const hardGrad = await crossEntropyRows(engine, gradLogits, new Float32Array(0), Array<number>(m).fill(0), C);
  const softGrad = await crossEntropyRows(engine, gradLogits, repeatRows(targetWithMass(C, s.softLabel), m), Array<null>(m).fill(null), C);
  const smoothGrad = await crossEntropyRows(engine, gradLogits, repeatRows(smoothedTarget(C, s.smoothing), m), Array<null>(m).fill(null), C);
  const column = (grad: Float32Array, c: number) => LOGITS.map((_, i) => grad[i * C + c]!);
  gradChart.data.datasets[0]!.data = points(column(hardGrad.grad, 0), LOGITS);
  gradChart.data.datasets[1]!.data = points(column(softGrad.grad, 0), LOGITS);
  gradChart.data.datasets[2]!.data = points(column(smoothGrad.grad, 0), LOGITS);
  gradChart.data.datasets[3]!.data = points(column(hardGrad.grad, 1), LOGITS);
  gradChart.update();
  root.dataset.drawn = `${C}/${s.softLabel}/${s.smoothing}`;
}
