/**
 * View 1, worked examples: the seed's hard- and soft-label tables computed live, the library's GPU result beside the
 * CPU reference, the seed's printed value, H(y), KL(y || ŷ), the gradient ŷ - y and the interpretation. Every row's
 * target and prediction can be edited (checked by vectors.ts) and rows can be added.
 */
import type { Engine } from 'xentropy';
import { crossEntropyRows, entropy, formatLoss, logitsOf } from '../losses.js';
import { SEED_EXAMPLES, type SeedExample } from '../seedExamples.js';
import { checkRow } from '../vectors.js';
import { element } from '../dom.js';

interface Row {
  seed: SeedExample | null;
  label: string;
  edited: boolean;
  tr: HTMLTableRowElement;
  target: HTMLInputElement;
  prediction: HTMLInputElement;
  /** Increases on every edit, so a slow computation never overwrites a newer one. */
  version: number;
}

export function mountExamples(root: HTMLElement, engine: Engine, cpu: Engine): void {
  const onGpu = engine.backend === 'webgpu';
  root.append(
    element('h2', {}, 'Worked examples'),
    element(
      'p',
      { class: 'lead' },
      'The worked examples of the cross-entropy page, computed live: L(y, ŷ) = −Σᵢ yᵢ log ŷᵢ with ŷ = softmax(z) and z = log ŷ. ' +
        `The “${onGpu ? 'WebGPU' : 'fallback'}” column is the library on ${onGpu ? 'your GPU' : 'the CPU (no WebGPU here)'}; the CPU column is its f64 reference. ` +
        'Edit any vector (decimals or fractions like 1/3) or add a row.',
    ),
  );
  const table = element('table', { class: 'examples', id: 'examples-table' });
  const head = ['#', 'kind', 'target y', 'prediction ŷ', onGpu ? 'CE (WebGPU)' : 'CE (fallback)', 'CE (CPU ref.)', 'seed table', 'H(y)', 'KL(y‖ŷ)', '∂L/∂z = ŷ − y', 'interpretation'];
  table.append(element('thead', {}, element('tr', {}, ...head.map((h) => element('th', {}, h)))));
  const body = element('tbody', {});
  table.append(body);
  const addButton = element('button', { id: 'add-row' }, 'Add a row');
  // Each sample as NumPy, PyTorch, TensorFlow and xentropy code: the code view (main.ts listens for this event).
  const codeLinks = element('p', { class: 'hint', id: 'examples-code' });
  codeLinks.append('NumPy, PyTorch, TensorFlow and xentropy code of sample: ');
  for (const seed of SEED_EXAMPLES) {
    const link = element('button', { 'data-sample': String(seed.sample) }, String(seed.sample));
    const detail = { caseId: `sample-${seed.sample}`, seed: null };
    link.addEventListener('click', () => window.dispatchEvent(new CustomEvent('demo:show-code', { detail })));
    codeLinks.append(link, ' ');
  }
  const kernelNote =
    'Every row goes through the fused crossEntropy kernel: class indices for one-hot targets, probability targets ' +
    'for soft ones (a prediction with a zero entry falls back to the formula with 0 log 0 = 0, ' +
    'where PyTorch gives NaN).';
  root.append(table, addButton, codeLinks, element('p', { class: 'hint' }, kernelNote));

  const rows: Row[] = [];
  let pending = 0;
  const setState = () => (root.dataset.state = pending === 0 ? 'ready' : 'computing');

  const addRow = (seed: SeedExample | null, target: string, prediction: string): Row => {
    const label = seed ? String(seed.sample) : `+${rows.filter((r) => !r.seed).length + 1}`;
    const targetInput = element('input', { 'data-field': 'target', value: target, size: '16', 'aria-label': `target of row ${label}` });
    const predictionInput = element('input', { 'data-field': 'prediction', value: prediction, size: '18', 'aria-label': `prediction of row ${label}` });
    const cells = ['kind', 'gpu', 'cpu', 'table', 'entropy', 'kl', 'grad', 'interpretation'].map((col) => element('td', { 'data-col': col }));
    const tr = element('tr', { 'data-row': label }, element('td', { class: 'num' }, label), cells[0]!, element('td', {}, targetInput), element('td', {}, predictionInput), ...cells.slice(1));
    const message = element('tr', { class: 'message', 'data-message-for': label, hidden: '' }, element('td', { colspan: String(head.length) }));
    body.append(tr, message);
    const row: Row = { seed, label, edited: false, tr, target: targetInput, prediction: predictionInput, version: 0 };
    rows.push(row);
    const onEdit = () => {
      row.edited = true;
      void compute(row);
    };
    targetInput.addEventListener('input', onEdit);
    predictionInput.addEventListener('input', onEdit);
    return row;
  };

  const cell = (row: Row, col: string) => row.tr.querySelector<HTMLTableCellElement>(`td[data-col="${col}"]`)!;
  const messageRow = (row: Row) => body.querySelector<HTMLTableRowElement>(`tr[data-message-for="${row.label}"]`)!;

  const compute = async (row: Row): Promise<void> => {
    const version = ++row.version;
    pending++;
    setState();
    try {
      const checked = checkRow(row.target.value, row.prediction.value);
      const message = messageRow(row);
      const notes: string[] = [];
      if (!checked.ok) {
        row.tr.classList.add('invalid');
        message.hidden = false;
        message.firstElementChild!.textContent = checked.message;
        message.className = 'message error';
        for (const col of ['kind', 'gpu', 'cpu', 'entropy', 'kl', 'grad', 'interpretation']) {
          cell(row, col).textContent = '—';
          delete cell(row, col).dataset.value;
        }
        return;
      }
      const { target, prediction, hardClass } = checked;
      const classes = target.length;
      const logits = logitsOf(prediction);
      const targets = Float32Array.from(target);
      const [gpuResult, cpuResult] = await Promise.all([
        crossEntropyRows(engine, logits, targets, [hardClass], classes),
        crossEntropyRows(cpu, logits, targets, [hardClass], classes),
      ]);
      if (version !== row.version) return; // a newer edit is on its way
      row.tr.classList.remove('invalid');
      const gpuLoss = gpuResult.loss[0]!;
      const cpuLoss = cpuResult.loss[0]!;
      const h = entropy(target);
      const show = (col: string, value: number) => {
        cell(row, col).textContent = formatLoss(value);
        cell(row, col).dataset.value = String(value);
      };
      show('gpu', gpuLoss);
      show('cpu', cpuLoss);
      show('entropy', h);
      show('kl', cpuLoss - h);
      cell(row, 'kind').textContent = hardClass === null ? 'soft' : 'hard';
      cell(row, 'grad').textContent = `[${Array.from(gpuResult.grad, (g) => (Math.abs(g) < 5e-4 ? '0' : g.toFixed(3))).join(', ')}]`;

      const tableCell = cell(row, 'table');
      tableCell.replaceChildren();
      tableCell.classList.remove('mismatch');
      if (row.seed && !row.edited) {
        tableCell.append(element('span', { 'data-table-value': String(row.seed.tableValue) }, row.seed.tableValue.toFixed(3)));
        if (formatLoss(gpuLoss) !== row.seed.tableValue.toFixed(3)) {
          tableCell.classList.add('mismatch');
          tableCell.append(element('span', { class: 'flag', 'data-flag': 'mismatch', title: 'The seed prints a value these vectors do not give' }, '≠ computed'));
          notes.push(
            `Sample ${row.seed.sample}: the seed prints ${row.seed.tableValue.toFixed(3)}, but −Σ y log ŷ for y = [${row.seed.target}] and ŷ = [${row.seed.prediction}] is ${formatLoss(cpuLoss)} (CPU reference, f64). The computed value is shown; the printed one does not follow from these vectors.`,
          );
        }
        if (row.seed.note) notes.push(row.seed.note);
        cell(row, 'interpretation').textContent = row.seed.interpretation;
      } else {
        tableCell.textContent = row.seed ? 'edited' : '—';
        cell(row, 'interpretation').textContent = interpret(target, prediction, hardClass, gpuLoss - h);
      }
      message.hidden = notes.length === 0;
      message.className = 'message note';
      message.firstElementChild!.textContent = notes.join(' ');
    } catch (error) {
      messageRow(row).hidden = false;
      messageRow(row).className = 'message error';
      messageRow(row).firstElementChild!.textContent = error instanceof Error ? error.message : String(error);
      console.error(error);
    } finally {
      pending--;
      setState();
    }
  };

  // The seed's two tables, as headed there; rows the visitor adds get a third heading.
  const section = (title: string) => body.append(element('tr', { class: 'section' }, element('th', { colspan: String(head.length) }, title)));
  section('Hard label examples (one-hot targets)');
  for (const seed of SEED_EXAMPLES) {
    if (seed.sample === 6) section('Soft label examples (probability targets)');
    addRow(seed, seed.target, seed.prediction);
  }
  addButton.addEventListener('click', () => {
    if (!rows.some((r) => !r.seed)) section('Your rows');
    const row = addRow(null, '1, 0, 0', '0.5, 0.25, 0.25');
    void compute(row);
    row.prediction.focus();
  });
  void Promise.all(rows.map(compute)).then(() => (root.dataset.loaded = 'true'));
}

/** A short reading of a row the seed does not describe, in the seed's own words where they fit. */
function interpret(target: number[], prediction: number[], hardClass: number | null, kl: number): string {
  const argmax = (v: number[]) => v.indexOf(Math.max(...v));
  const classes = target.length;
  const predictionEntropy = entropy(prediction);
  if (kl < 0.01) return hardClass === null ? 'Excellent match' : 'Excellent prediction';
  if (argmax(prediction) !== argmax(target) && Math.max(...prediction) > 0.6) return hardClass === null ? 'Overconfident, wrong class' : 'Wrong prediction (confident & wrong)';
  if (predictionEntropy > 0.9 * Math.log(classes)) return 'Uncertain prediction (near uniform)';
  if (kl < 0.25) return hardClass === null ? 'Close match' : 'Good prediction';
  return 'Poor prediction';
}
