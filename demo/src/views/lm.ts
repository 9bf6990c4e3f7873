/**
 * View 5, language model: a tiny character-level model learns to predict the next character of a short text, with the
 * library's fused linear cross-entropy (engine.linearCrossEntropy: loss and gradients from the hidden states and the
 * output layer's weight, the logits never materialized whole). The model: the previous CONTEXT characters each
 * looked up in their own embedding table, concatenated into a hidden state of D = CONTEXT * EMBED, then a linear head
 * [V, D] + bias over the V characters of the text. Each step takes a minibatch of positions, calls
 * linearCrossEntropy (GPU, or the CPU fallback without WebGPU), scatters gradHidden back into the embeddings and
 * updates everything with Adam on the host. Live loss curve, and a sample of text drawn from the model.
 */
import type { Engine } from 'xentropy';
import { COLORS, makeChart } from '../charts.js';
import { element } from '../dom.js';
import { seededRandom } from '../train/data.js';

const TEXT =
  'the cat sat on the mat and the dog sat on the log. a small model reads this text one letter at a time and learns ' +
  'which letter tends to come next. at first every letter is equally likely and the loss is the log of the number of ' +
  'letters. then it learns that a space follows a word, that the letter after t is often h, and that the comes ' +
  'before cat and dog and mat. the loss falls as the guesses get better. the cat and the dog sat on the mat and the log.';
const CONTEXT = 3;
const EMBED = 16;
const BATCH = 128;
const LEARNING_RATE = 0.02;

// Deterministic minibatches and initial weights (the train view's seeded PRNG): a run is reproducible.
const mulberry32 = seededRandom;

class Adam {
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private t = 0;
  constructor(private readonly params: Float32Array) {
    this.m = new Float32Array(params.length);
    this.v = new Float32Array(params.length);
  }
  step(grad: ArrayLike<number>, lr: number): void {
    this.t++;
    const [b1, b2] = [0.9, 0.999];
    const c1 = 1 - b1 ** this.t;
    const c2 = 1 - b2 ** this.t;
    for (let i = 0; i < this.params.length; i++) {
      const g = grad[i]!;
      this.m[i] = b1 * this.m[i]! + (1 - b1) * g;
      this.v[i] = b2 * this.v[i]! + (1 - b2) * g * g;
      this.params[i] = this.params[i]! - (lr * (this.m[i]! / c1)) / (Math.sqrt(this.v[i]! / c2) + 1e-8);
    }
  }
}

export function mountLm(root: HTMLElement, engine: Engine): void {
  const chars = [...new Set(TEXT)].sort();
  const V = chars.length;
  const D = CONTEXT * EMBED;
  const ids = Int32Array.from(TEXT, (c) => chars.indexOf(c));
  root.append(
    element('h2', {}, 'Train a tiny language model'),
    element(
      'p',
      { class: 'lead' },
      `A character-level model (${CONTEXT} previous characters → ${CONTEXT} × ${EMBED} embeddings → linear head over ${V} characters) learns the text below, ` +
        `minibatches of ${BATCH}, Adam. Each step's loss and gradients come from engine.linearCrossEntropy: hidden states and the head's weight in, ` +
        `gradients for both out, without the logits ever being formed whole (${engine.backend === 'webgpu' ? 'on the GPU' : 'here on the CPU fallback'}).`,
    ),
    element('p', { class: 'hint' }, `Text: “${TEXT}”`),
  );
  const stepsInput = element('input', { type: 'number', id: 'lm-steps', min: '1', max: '5000', value: '200', size: '5' });
  const start = element('button', { id: 'lm-start' }, 'Train');
  const stop = element('button', { id: 'lm-stop', disabled: '' }, 'Stop');
  root.append(element('div', { class: 'controls' }, element('label', {}, 'steps', stepsInput), start, stop));
  const stats = element('div', { class: 'stats', id: 'lm-stats' }, 'not started');
  const sample = element('p', { id: 'lm-sample', class: 'hint' }, '');
  root.append(stats);
  const charts = element('div', { class: 'charts' });
  root.append(charts, sample);
  const chart = makeChart(charts, 'chart-lm-loss', {
    type: 'line',
    data: { datasets: [{ label: 'loss', data: [] as { x: number; y: number }[], borderColor: COLORS[0]!, backgroundColor: COLORS[0]!, pointRadius: 0, borderWidth: 2 }] },
    options: {
      plugins: { title: { display: true, text: `Cross-entropy per character (ln ${V} = ${Math.log(V).toFixed(2)} at uniform)` } },
      scales: { x: { type: 'linear', title: { display: true, text: 'step' }, min: 0 }, y: { title: { display: true, text: 'loss (nats)' }, min: 0 } },
    },
  });

  const next = mulberry32(7);
  const init = (n: number, scale: number) => Float32Array.from({ length: n }, () => (next() * 2 - 1) * scale);
  const embeddings = init(CONTEXT * V * EMBED, 0.5); // table k: rows [k V, (k + 1) V)
  const weight = init(V * D, 1 / Math.sqrt(D));
  const bias = new Float32Array(V);
  const optimizers = [new Adam(embeddings), new Adam(weight), new Adam(bias)];
  const history: { x: number; y: number }[] = [];
  let stopRequested = false;

  const hiddenFor = (contexts: Int32Array, rows: number): Float32Array => {
    const hidden = new Float32Array(rows * D);
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < CONTEXT; k++) {
        const row = (k * V + contexts[r * CONTEXT + k]!) * EMBED;
        hidden.set(embeddings.subarray(row, row + EMBED), r * D + k * EMBED);
      }
    }
    return hidden;
  };

  const step = async (): Promise<number> => {
    const contexts = new Int32Array(BATCH * CONTEXT);
    const target = new Int32Array(BATCH);
    for (let r = 0; r < BATCH; r++) {
      const t = CONTEXT + Math.floor(next() * (ids.length - CONTEXT));
      for (let k = 0; k < CONTEXT; k++) contexts[r * CONTEXT + k] = ids[t - CONTEXT + k]!;
      target[r] = ids[t]!;
    }
    const hidden = hiddenFor(contexts, BATCH);
    const { loss, gradHidden, gradWeight, gradBias } = await engine.linearCrossEntropy(hidden, weight, target, { shape: [BATCH, D], bias });
    const gradEmbeddings = new Float32Array(embeddings.length);
    for (let r = 0; r < BATCH; r++) {
      for (let k = 0; k < CONTEXT; k++) {
        const row = (k * V + contexts[r * CONTEXT + k]!) * EMBED;
        for (let e = 0; e < EMBED; e++) gradEmbeddings[row + e] = gradEmbeddings[row + e]! + gradHidden![r * D + k * EMBED + e]!;
      }
    }
    optimizers[0]!.step(gradEmbeddings, LEARNING_RATE);
    optimizers[1]!.step(gradWeight!, LEARNING_RATE);
    optimizers[2]!.step(gradBias!, LEARNING_RATE);
    return loss as number;
  };

  /** Greedy-ish text from the model: sample each next character from softmax(logits), seeded by the text's start. */
  const generate = (length: number): string => {
    const draw = mulberry32(11);
    const out = [...ids.subarray(0, CONTEXT)];
    for (let i = 0; i < length; i++) {
      const hidden = hiddenFor(Int32Array.from(out.slice(-CONTEXT)), 1);
      const logits = Array.from({ length: V }, (_, c) => {
        let z = bias[c]!;
        for (let d = 0; d < D; d++) z += hidden[d]! * weight[c * D + d]!;
        return z;
      });
      const max = Math.max(...logits);
      const p = logits.map((z) => Math.exp(z - max));
      let u = draw() * p.reduce((a, b) => a + b, 0);
      let c = 0;
      while (c < V - 1 && (u -= p[c]!) > 0) c++;
      out.push(c);
    }
    return out.map((c) => chars[c]).join('');
  };

  start.addEventListener('click', () => {
    void (async () => {
      start.disabled = true;
      stop.disabled = false;
      stopRequested = false;
      root.dataset.state = 'running';
      const steps = Math.max(1, Math.floor(Number(stepsInput.value) || 1));
      const began = performance.now();
      try {
        for (let i = 0; i < steps && !stopRequested; i++) {
          history.push({ x: history.length + 1, y: await step() });
          if (i % 10 === 9 || i === steps - 1) {
            chart.data.datasets[0]!.data = history;
            chart.update();
            const first = history[0]!.y;
            const last = history[history.length - 1]!.y;
            stats.textContent = `step ${history.length}: loss ${last.toFixed(3)} (from ${first.toFixed(3)}), ${(((i + 1) * 1000) / (performance.now() - began)).toFixed(1)} steps/s`;
            Object.assign(root.dataset, { steps: String(history.length), initialLoss: String(first), finalLoss: String(last) });
            await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
          }
        }
        sample.textContent = `sampled from the model: ${generate(120)}`;
        root.dataset.state = 'done';
      } catch (error) {
        console.error(error);
        root.dataset.state = 'failed';
        stats.textContent = `training failed: ${error instanceof Error ? error.message : String(error)}`;
      } finally {
        start.disabled = false;
        stop.disabled = true;
      }
    })();
  });
  stop.addEventListener('click', () => (stopRequested = true));
  root.dataset.loaded = 'true';
}
