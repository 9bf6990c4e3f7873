/**
 * Practice problems generated from a seed: one of each kind per set, with values a person can work with by hand or
 * with a calculator (2-4 classes, probabilities in steps of 0.05, small integer logits). Each problem carries the
 * computation the library checks it with (../code/computation.ts), a hint, and a worked solution with its numbers
 * substituted (computed here in f64; the page compares the learner's answer with the library's result).
 */
import { valueOf, type Computation } from '../code/computation.js';

export type ProblemKind = 'hard' | 'logits' | 'soft' | 'binary' | 'gradient' | 'compare' | 'batch' | 'uniform';

/** The order of the kinds in a set. */
export const PROBLEM_KINDS: readonly ProblemKind[] = [
  'hard',
  'logits',
  'soft',
  'binary',
  'gradient',
  'compare',
  'batch',
  'uniform',
];

/** An answer field: a number, or a choice between two predictions. */
export type Field =
  | { key: string; label: string; kind: 'number' }
  | { key: string; label: string; kind: 'choice'; choices: readonly string[] };

export interface Problem {
  /** 'exercise-1' ...: also the id of its code case. */
  id: string;
  kind: ProblemKind;
  title: string;
  /** The question, as lines of text. */
  statement: string[];
  fields: Field[];
  computation: Computation;
  /** The right answer of each field from the library's values (in the order the computation prints them). */
  answers(values: readonly number[]): (number | string)[];
  hint: string;
  /** The worked solution, one line per step, numbers substituted. */
  solution: string[];
  /** The answers the solution arrives at (f64 arithmetic on the printed values; the tests hold the library to them). */
  solved: (number | string)[];
}

/** How far a typed number may be from the library's value and still count as right. */
export const ANSWER_TOLERANCE = 0.005;

/** mulberry32: a small seeded generator, so a set of problems can be named by its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const integer = (next: Random, low: number, high: number) => low + Math.floor(next() * (high - low + 1));

/** `classes` multiples of `step`, each at least `minimum` steps, that add up to 1 (as text, "0.35"). */
function distribution(next: Random, classes: number, step: number, minimum = 1): string[] {
  const units = Math.round(1 / step);
  const parts = Array<number>(classes).fill(minimum);
  for (let left = units - classes * minimum; left > 0; left--) parts[integer(next, 0, classes - 1)]!++;
  return parts.map((p) => String(+(p * step).toFixed(2)));
}

/** A soft label: a distribution in steps of 0.1 with at least two classes above 0 (else it would be one-hot). */
function softLabel(next: Random, classes: number): string[] {
  let y: string[];
  do y = distribution(next, classes, 0.1, 0);
  while (y.filter((v) => v !== '0').length < 2);
  return y;
}

const f = (v: number, digits = 4) => v.toFixed(digits);
const vector = (values: readonly string[]) => `[${values.join(', ')}]`;
/** A typographic minus, as the rest of the text uses. */
const minus = (text: string) => text.replace(/^-/, '−');
const ln = (text: string) => Math.log(valueOf(text));
/** Classes are numbered from 0, as indices are in code. */
const classList = (classes: number) => Array.from({ length: classes }, (_, c) => c);

export function problemSet(seed: number): Problem[] {
  const next = random(seed);
  return PROBLEM_KINDS.map((kind, i) => MAKERS[kind](next, `exercise-${i + 1}`, i + 1));
}

type Maker = (next: Random, id: string, n: number) => Problem;

const single = (label: string): Field[] => [{ key: 'value', label, kind: 'number' }];
const first = (values: readonly number[]) => [values[0]!];

const MAKERS: Record<ProblemKind, Maker> = {
  hard(next, id, n) {
    const classes = integer(next, 3, 4);
    const p = distribution(next, classes, 0.05);
    const t = integer(next, 0, classes - 1);
    return {
      id,
      kind: 'hard',
      title: `${n}. Hard label, from probabilities`,
      statement: [
        `A model predicts ŷ = ${vector(p)} over ${classes} classes. The true class is ${t} (classes counted from 0).`,
        'What is the cross-entropy loss L (natural log)?',
      ],
      fields: single('L'),
      computation: {
        kind: 'crossEntropy',
        given: 'probabilities',
        rows: [p],
        target: { indices: [t] },
        reductions: ['mean'],
      },
      answers: first,
      hint: 'With a one-hot target only the true class’s term survives: L = −log ŷ_true.',
      solution: [`L = −Σᵢ yᵢ log ŷᵢ = −1 · log ŷ_${t} (every other yᵢ is 0)`, `= −log(${p[t]}) = ${f(-ln(p[t]!))}`],
      solved: [-ln(p[t]!)],
    };
  },
  logits(next, id, n) {
    const classes = integer(next, 3, 4);
    let z: number[];
    do z = classList(classes).map(() => integer(next, -1, 3));
    while (new Set(z).size < 2);
    const t = integer(next, 0, classes - 1);
    const exps = z.map(Math.exp);
    const total = exps.reduce((a, b) => a + b, 0);
    return {
      id,
      kind: 'logits',
      title: `${n}. Hard label, from logits`,
      statement: [
        `A model outputs the logits z = ${vector(z.map((v) => minus(String(v))))}; ŷ = softmax(z). The true class ` +
          `is ${t}.`,
        'What is the cross-entropy loss L?',
      ],
      fields: single('L'),
      computation: {
        kind: 'crossEntropy',
        given: 'logits',
        rows: [z.map(String)],
        target: { indices: [t] },
        reductions: ['mean'],
      },
      answers: first,
      hint: 'Softmax first: ŷᵢ = e^{zᵢ} / Σⱼ e^{zⱼ}; then L = −log ŷ_true, which is also log Σⱼ e^{zⱼ} − z_true.',
      solution: [
        `Σⱼ e^{zⱼ} = ${z.map((v) => `e^${minus(String(v))}`).join(' + ')} = ` +
          `${exps.map((e) => f(e, 3)).join(' + ')} = ${f(total, 3)}`,
        `ŷ_${t} = e^${z[t]} / ${f(total, 3)} = ${f(exps[t]! / total)}`,
        `L = −log(${f(exps[t]! / total)}) = log(${f(total, 3)}) ${z[t]! < 0 ? `+ ${-z[t]!}` : `− ${z[t]}`} = ` +
          f(Math.log(total) - z[t]!),
      ],
      solved: [Math.log(total) - z[t]!],
    };
  },
  soft(next, id, n) {
    const y = softLabel(next, 3);
    const p = distribution(next, 3, 0.05);
    const terms = y.map((yi, i) => `${yi}·log(${p[i]})`);
    const values = y.map((yi, i) => valueOf(yi) * ln(p[i]!));
    return {
      id,
      kind: 'soft',
      title: `${n}. Soft label`,
      statement: [
        `The target is the distribution y = ${vector(y)} and the model predicts ŷ = ${vector(p)}.`,
        'What is the cross-entropy H(y, ŷ)?',
      ],
      fields: single('H(y, ŷ)'),
      computation: {
        kind: 'crossEntropy',
        given: 'probabilities',
        rows: [p],
        target: { soft: [y] },
        reductions: ['mean'],
      },
      answers: first,
      hint: 'The same formula as for a hard label, −Σᵢ yᵢ log ŷᵢ, but now every class with yᵢ > 0 contributes.',
      solution: [
        `H = −[${terms.join(' + ')}]`,
        `= −[${y.map((yi, i) => `${yi}·(${minus(f(ln(p[i]!), 3))})`).join(' + ')}]`,
        `= ${f(-values.reduce((a, b) => a + b, 0))}`,
      ],
      solved: [-values.reduce((a, b) => a + b, 0)],
    };
  },
  binary(next, id, n) {
    const samples = integer(next, 1, 2);
    const p = classList(samples).map(() => String(+(integer(next, 1, 19) * 0.05).toFixed(2)));
    const y = p.map(() => String(integer(next, 0, 1)));
    const losses = p.map((pi, i) => (y[i] === '1' ? -ln(pi) : -Math.log(1 - valueOf(pi))));
    const term = (pi: string, yi: string) => (yi === '1' ? `−log(${pi})` : `−log(1 − ${pi})`);
    const mean = losses.reduce((a, b) => a + b, 0) / samples;
    return {
      id,
      kind: 'binary',
      title: `${n}. Binary cross-entropy`,
      statement: [
        samples === 1
          ? `A binary classifier gives P(y = 1) = ${p[0]} for a sample whose label is y = ${y[0]}.`
          : `A binary classifier gives P(y = 1) = ${vector(p)} for two samples with labels y = ${vector(y)}.`,
        samples === 1
          ? 'What is its binary cross-entropy?'
          : 'What is the mean binary cross-entropy over the two samples?',
      ],
      fields: single(samples === 1 ? 'BCE' : 'mean BCE'),
      computation: { kind: 'binary', p, y },
      answers: first,
      hint: 'BCE = −[y log p + (1 − y) log(1 − p)]: for y = 1 it is −log p, for y = 0 it is −log(1 − p).',
      solution: [
        ...p.map((pi, i) => `sample ${i + 1}: y = ${y[i]}, so BCE = ${term(pi, y[i]!)} = ${f(losses[i]!)}`),
        ...(samples === 1 ? [] : [`mean = (${losses.map((v) => f(v)).join(' + ')}) / 2 = ${f(mean)}`]),
      ],
      solved: [mean],
    };
  },
  gradient(next, id, n) {
    const classes = integer(next, 3, 4);
    const soft = next() < 0.5;
    const t = integer(next, 0, classes - 1);
    const y = soft ? softLabel(next, classes) : classList(classes).map((c) => (c === t ? '1' : '0'));
    // An entry whose gradient is not 0 (a zero would print as 0.000 or -0.000 depending on rounding).
    let p: string[];
    let entries: number[];
    do {
      p = distribution(next, classes, 0.05);
      entries = classList(classes).filter((c) => Math.abs(valueOf(p[c]!) - valueOf(y[c]!)) > 0.01);
    } while (entries.length === 0);
    const entry = entries[integer(next, 0, entries.length - 1)]!;
    const grad = valueOf(p[entry]!) - valueOf(y[entry]!);
    return {
      id,
      kind: 'gradient',
      title: `${n}. The gradient ŷ − y`,
      statement: [
        `ŷ = softmax(z) = ${vector(p)} and the target is ` +
          (soft ? `the soft label y = ${vector(y)}.` : `class ${t}, y = ${vector(y)}.`),
        `What is ∂L/∂z_${entry}, the gradient of the cross-entropy with respect to logit ${entry}?`,
      ],
      fields: single(`∂L/∂z_${entry}`),
      computation: { kind: 'gradient', probabilities: p, target: soft ? { soft: [y] } : { indices: [t] }, entry },
      answers: first,
      hint: 'The key result: ∂L/∂zᵢ = ŷᵢ − yᵢ, for hard and soft labels alike. No logarithms needed.',
      solution: [`∂L/∂z_${entry} = ŷ_${entry} − y_${entry} = ${p[entry]} − ${y[entry]} = ${minus(f(grad))}`],
      solved: [grad],
    };
  },
  compare(next, id, n) {
    const t = integer(next, 0, 2);
    // A and B put different mass on the true class; the other spreads its remaining mass unevenly, to show that
    // with a one-hot target only ŷ_true counts.
    let a: number;
    let b: number;
    do {
      a = integer(next, 4, 14);
      b = integer(next, 4, 14);
    } while (Math.abs(a - b) < 3);
    const spread = (units: number, even: boolean) => {
      const rest = 20 - units;
      const first = even ? Math.floor(rest / 2) : rest - 1;
      const parts = [first, rest - first];
      return classList(3)
        .map((c) => (c === t ? units : parts.shift()!))
        .map((u) => String(+(u * 0.05).toFixed(2)));
    };
    const A = spread(a, false);
    const B = spread(b, true);
    const better = a > b ? 'A' : 'B';
    return {
      id,
      kind: 'compare',
      title: `${n}. Which prediction has the lower loss?`,
      statement: [
        `The true class is ${t}. Two models predict`,
        `A: ŷ = ${vector(A)}`,
        `B: ŷ = ${vector(B)}`,
        'Which has the lower cross-entropy, A or B? Type A or B.',
      ],
      fields: [{ key: 'choice', label: 'A or B', kind: 'choice', choices: ['A', 'B'] }],
      computation: {
        kind: 'crossEntropy',
        given: 'probabilities',
        rows: [A, B],
        target: { indices: [t, t] },
        reductions: ['none'],
      },
      answers: (values) => [values[0]! < values[1]! ? 'A' : 'B'],
      hint: `With a one-hot target, L = −log ŷ_${t}: look only at the probability each model gives class ${t}.`,
      solution: [
        `A: L = −log(${A[t]}) = ${f(-ln(A[t]!))};  B: L = −log(${B[t]}) = ${f(-ln(B[t]!))}`,
        `${better} is lower: it gives the true class more probability (${better === 'A' ? A[t] : B[t]} against ` +
          `${better === 'A' ? B[t] : A[t]}). How the rest is spread over the wrong classes does not change a ` +
          `hard-label loss.`,
      ],
      solved: [better],
    };
  },
  batch(next, id, n) {
    const rows = 3;
    const p = classList(rows).map(() => distribution(next, 3, 0.05));
    const t = classList(rows).map(() => integer(next, 0, 2));
    const losses = p.map((row, r) => -ln(row[t[r]!]!));
    const sum = losses.reduce((a, b) => a + b, 0);
    return {
      id,
      kind: 'batch',
      title: `${n}. Mean against sum over a batch`,
      statement: [
        'A batch of three samples:',
        ...p.map((row, r) => `row ${r + 1}: ŷ = ${vector(row)}, true class ${t[r]}`),
        "What are the batch's loss with reduction 'mean' and with reduction 'sum'?",
      ],
      fields: [
        { key: 'mean', label: "reduction 'mean'", kind: 'number' },
        { key: 'sum', label: "reduction 'sum'", kind: 'number' },
      ],
      computation: {
        kind: 'crossEntropy',
        given: 'probabilities',
        rows: p,
        target: { indices: t },
        reductions: ['mean', 'sum'],
      },
      answers: (values) => [values[0]!, values[1]!],
      hint: "Compute each row's −log ŷ_true; 'sum' adds the three, 'mean' divides that sum by the number of rows, 3.",
      solution: [
        `rows: ${p.map((row, r) => `−log(${row[t[r]!]}) = ${f(losses[r]!)}`).join(';  ')}`,
        `sum = ${losses.map((v) => f(v)).join(' + ')} = ${f(sum)}`,
        `mean = ${f(sum)} / 3 = ${f(sum / 3)}`,
      ],
      solved: [sum / 3, sum],
    };
  },
  uniform(next, id, n) {
    const classes = integer(next, 2, 4);
    const soft = next() < 0.5;
    const t = integer(next, 0, classes - 1);
    const y = soft ? softLabel(next, classes) : classList(classes).map((c) => (c === t ? '1' : '0'));
    const p = classList(classes).map(() => `1/${classes}`);
    return {
      id,
      kind: 'uniform',
      title: `${n}. A uniform prediction`,
      statement: [
        `A model that has learned nothing predicts ŷ = ${vector(p)} over ${classes} classes.`,
        `The target is ${soft ? `the soft label y = ${vector(y)}` : `class ${t}`}. What is the loss?`,
      ],
      fields: single('L'),
      computation: {
        kind: 'crossEntropy',
        given: 'probabilities',
        rows: [p],
        target: soft ? { soft: [y] } : { indices: [t] },
        reductions: ['mean'],
      },
      answers: first,
      hint: 'Every log ŷᵢ is the same number, log(1/C); the yᵢ add up to 1.',
      solution: [
        `L = −Σᵢ yᵢ log(1/${classes}) = log(${classes}) · Σᵢ yᵢ = log(${classes}) · 1`,
        `= ln ${classes} = ${f(Math.log(classes))}, whatever the target: a good first loss to expect from an ` +
          `untrained classifier.`,
      ],
      solved: [Math.log(classes)],
    };
  },
};
