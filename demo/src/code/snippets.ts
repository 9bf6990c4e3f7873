/**
 * The code tabs: each computation (computation.ts) written out as a complete program in NumPy, PyTorch,
 * TensorFlow.js, Keras (TensorFlow for Python) and xentropy, printing the line printedLine() gives. The page shows
 * these texts and test/fixtures/generate_demo_snippets.ts runs them (all but Keras: TensorFlow for Python is not
 * installed where the fixtures are made), so what a visitor copies is what was run.
 */
import { classesOf, PRINTED_DECIMALS, type Computation, type Reduction, type Target } from './computation.js';

export const LANGUAGES = ['numpy', 'pytorch', 'tfjs', 'keras', 'xentropy'] as const;
export type Language = (typeof LANGUAGES)[number];

export const LANGUAGE_NAMES: Record<Language, string> = {
  numpy: 'NumPy',
  pytorch: 'PyTorch',
  tfjs: 'TensorFlow.js',
  keras: 'TensorFlow (Keras)',
  xentropy: 'xentropy',
};

/** Languages whose snippets the fixture generator runs (the others are shown, and marked as not run). */
export const RUN_BY_GENERATOR: readonly Language[] = ['numpy', 'pytorch', 'tfjs', 'xentropy'];

const D = PRINTED_DECIMALS;

/** A number as Python and JavaScript both read it as a float ("2" → "2.0": torch.tensor([2]) would be integer). */
function num(text: string): string {
  return /^-?[0-9]+$/.test(text) ? `${text}.0` : text;
}
const list = (values: readonly string[]) => `[${values.map(num).join(', ')}]`;
const matrix = (rows: readonly string[][]) => `[${rows.map(list).join(', ')}]`;
const flat = (rows: readonly string[][]) => list(rows.flat());
const indices = (values: readonly number[]) => `[${values.join(', ')}]`;

/** Python's print of the values, in the order of `reductions` (each a scalar; 'none' is one value per row). */
function pythonPrint(reductions: readonly Reduction[], expression: (r: Reduction) => string): string {
  if (reductions.length === 1 && reductions[0] === 'none')
    return `print(" ".join(f"{v:.${D}f}" for v in ${expression('none')}))`;
  if (reductions.length === 1) return `print(f"{${expression(reductions[0]!)}:.${D}f}")`;
  return `print(f"${reductions.map((r) => `{${expression(r)}:.${D}f}`).join(' ')}")`;
}

function jsPrint(reductions: readonly Reduction[], expression: (r: Reduction) => string): string {
  if (reductions.length === 1 && reductions[0] === 'none')
    return `console.log(Array.from(${expression('none')}, (v) => v.toFixed(${D})).join(' '));`;
  if (reductions.length === 1) return `console.log(${expression(reductions[0]!)}.toFixed(${D}));`;
  return `console.log(\`${reductions.map((r) => `\${${expression(r)}.toFixed(${D})}`).join(' ')}\`);`;
}

const NAME: Record<Reduction, string> = { mean: 'mean', sum: 'total', none: 'losses' };

export function snippet(c: Computation, language: Language): string {
  const text = { numpy, pytorch, tfjs, keras, xentropy }[language](c);
  return text.join('\n');
}

function numpy(c: Computation): string[] {
  const head = ['import numpy as np', ''];
  if (c.kind === 'binary') {
    return [
      ...head,
      `p = np.array(${list(c.p)})  # predicted P(y = 1), one per sample`,
      `y = np.array(${list(c.y)})  # labels`,
      'losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))',
      `print(f"{losses.mean():.${D}f}")`,
    ];
  }
  const C = classesOf(c);
  const targetLines = (target: Target) =>
    'indices' in target
      ? [`y = np.eye(${C})[${indices(target.indices)}]  # one-hot rows from the class indices`]
      : [`y = np.array(${matrix(target.soft)})  # target distributions, one row per sample`];
  if (c.kind === 'gradient') {
    return [
      ...head,
      `y_hat = np.array([${list(c.probabilities)}])  # softmax(z): the predicted probabilities`,
      ...targetLines(c.target),
      'grad = y_hat - y  # dL/dz = softmax(z) - y',
      `print(f"{grad[0, ${c.entry}]:.${D}f}")`,
    ];
  }
  const prediction =
    c.given === 'probabilities'
      ? [`y_hat = np.array(${matrix(c.rows)})  # predicted probabilities, one row per sample`]
      : [
          `z = np.array(${matrix(c.rows)})  # logits, one row per sample`,
          'y_hat = np.exp(z - z.max(axis=1, keepdims=True))  # softmax (shifted by the row max: same result, no ' +
            'overflow)',
          'y_hat /= y_hat.sum(axis=1, keepdims=True)',
        ];
  return [
    ...head,
    ...prediction,
    ...targetLines(c.target),
    'losses = -(y * np.log(y_hat)).sum(axis=1)  # cross-entropy of each row',
    pythonPrint(c.reductions, (r) => (r === 'none' ? 'losses' : `losses.${r}()`)),
  ];
}

function pytorch(c: Computation): string[] {
  const head = ['import torch', 'import torch.nn.functional as F', ''];
  if (c.kind === 'binary') {
    return [
      ...head,
      `p = torch.tensor(${list(c.p)})  # predicted P(y = 1), one per sample`,
      `y = torch.tensor(${list(c.y)})  # labels`,
      "loss = F.binary_cross_entropy(p, y)  # reduction='mean' is the default",
      `print(f"{loss.item():.${D}f}")`,
    ];
  }
  const targetLine = (target: Target) =>
    'indices' in target
      ? `target = torch.tensor(${indices(target.indices)})  # class indices`
      : `target = torch.tensor(${matrix(target.soft)})  # class probabilities (soft labels)`;
  if (c.kind === 'gradient') {
    return [
      ...head,
      `z = torch.log(torch.tensor([${list(c.probabilities)}])).requires_grad_()  # logits whose softmax is y_hat`,
      targetLine(c.target),
      "F.cross_entropy(z, target, reduction='sum').backward()",
      `print(f"{z.grad[0, ${c.entry}].item():.${D}f}")`,
    ];
  }
  const logits =
    c.given === 'probabilities'
      ? [
          `y_hat = torch.tensor(${matrix(c.rows)})  # predicted probabilities`,
          'logits = torch.log(y_hat)  # F.cross_entropy takes logits, and softmax(log y_hat) = y_hat',
        ]
      : [`logits = torch.tensor(${matrix(c.rows)})`];
  const call = (r: Reduction) => `F.cross_entropy(logits, target${r === 'mean' ? '' : `, reduction='${r}'`})`;
  return [
    ...head,
    ...logits,
    targetLine(c.target),
    ...c.reductions.map((r) => `${NAME[r]} = ${call(r)}${r === 'mean' ? "  # reduction='mean' is the default" : ''}`),
    pythonPrint(c.reductions, (r) => (r === 'none' ? `${NAME[r]}.tolist()` : `${NAME[r]}.item()`)),
  ];
}

const TF_REDUCTION: Record<Reduction, string> = {
  mean: 'tf.Reduction.SUM_BY_NONZERO_WEIGHTS',
  sum: 'tf.Reduction.SUM',
  none: 'tf.Reduction.NONE',
};

function tfjs(c: Computation): string[] {
  const head = ["import * as tf from '@tensorflow/tfjs-core';", "import '@tensorflow/tfjs-backend-cpu';", ''];
  if (c.kind === 'binary') {
    return [
      ...head,
      `const p = tf.tensor1d(${list(c.p)}); // predicted P(y = 1), one per sample`,
      `const y = tf.tensor1d(${list(c.y)}); // labels`,
      '// logLoss is binary cross-entropy of probabilities (it adds epsilon = 1e-7 inside the logs); default: the mean',
      'const loss = tf.losses.logLoss(y, p);',
      `console.log(loss.dataSync()[0].toFixed(${D}));`,
    ];
  }
  const C = classesOf(c);
  const targetLine = (target: Target) =>
    'indices' in target
      ? `const y = tf.oneHot(tf.tensor1d(${indices(target.indices)}, 'int32'), ${C}); // one-hot rows`
      : `const y = tf.tensor2d(${matrix(target.soft)}); // target distributions (soft labels)`;
  const call = (logits: string, r: Reduction) =>
    r === 'mean'
      ? `tf.losses.softmaxCrossEntropy(y, ${logits})`
      : `tf.losses.softmaxCrossEntropy(y, ${logits}, undefined, undefined, ${TF_REDUCTION[r]})`;
  if (c.kind === 'gradient') {
    return [
      ...head,
      `const z = tf.log(tf.tensor2d([${list(c.probabilities)}])); // logits whose softmax is y_hat`,
      targetLine(c.target),
      '// Reduction.NONE: with one row, the loss of the row is the sum; tfjs-core alone registers no Sum gradient',
      `const grad = tf.grad((logits) => ${call('logits', 'none')})(z);`,
      `console.log(grad.arraySync()[0][${c.entry}].toFixed(${D}));`,
    ];
  }
  const logits =
    c.given === 'probabilities'
      ? [
          `const yHat = tf.tensor2d(${matrix(c.rows)}); // predicted probabilities`,
          'const logits = tf.log(yHat); // softmaxCrossEntropy takes logits, and softmax(log yHat) = yHat',
        ]
      : [`const logits = tf.tensor2d(${matrix(c.rows)});`];
  return [
    ...head,
    ...logits,
    targetLine(c.target),
    ...c.reductions.map(
      (r) => `const ${NAME[r]} = ${call('logits', r)};${r === 'mean' ? ' // default: the mean over the rows' : ''}`,
    ),
    jsPrint(c.reductions, (r) => (r === 'none' ? `${NAME[r]}.dataSync()` : `${NAME[r]}.dataSync()[0]`)),
  ];
}

function keras(c: Computation): string[] {
  const head = ['import tensorflow as tf', ''];
  if (c.kind === 'binary') {
    return [
      ...head,
      `p = tf.constant(${list(c.p)})  # predicted P(y = 1), one per sample`,
      `y = tf.constant(${list(c.y)})  # labels`,
      'loss = tf.keras.losses.BinaryCrossentropy()(y, p)  # from_logits=False: takes probabilities',
      `print(f"{float(loss):.${D}f}")`,
    ];
  }
  const targetLine = (target: Target) =>
    'indices' in target
      ? `y = tf.one_hot(${indices(target.indices)}, depth=${classesOf(c)})  # one-hot rows from the class indices`
      : `y = tf.constant(${matrix(target.soft)})  # target distributions (soft labels)`;
  if (c.kind === 'gradient') {
    return [
      ...head,
      `z = tf.Variable(tf.math.log([${list(c.probabilities)}]))  # logits whose softmax is y_hat`,
      targetLine(c.target),
      'with tf.GradientTape() as tape:',
      "    loss = tf.keras.losses.CategoricalCrossentropy(from_logits=True, reduction='sum')(y, z)",
      `print(f"{tape.gradient(loss, z)[0, ${c.entry}].numpy():.${D}f}")`,
    ];
  }
  const fromLogits = c.given === 'logits';
  const make = (r: Reduction) => {
    const args = [...(fromLogits ? ['from_logits=True'] : []), ...(r === 'mean' ? [] : [`reduction='${r}'`])];
    return `tf.keras.losses.CategoricalCrossentropy(${args.join(', ')})`;
  };
  return [
    ...head,
    fromLogits
      ? `z = tf.constant(${matrix(c.rows)})  # logits`
      : `y_hat = tf.constant(${matrix(c.rows)})  # predicted probabilities`,
    targetLine(c.target),
    ...c.reductions.map((r) => `${NAME[r]} = ${make(r)}(y, ${fromLogits ? 'z' : 'y_hat'})`),
    pythonPrint(c.reductions, (r) => (r === 'none' ? `${NAME[r]}.numpy()` : `float(${NAME[r]})`)),
  ];
}

function xentropy(c: Computation): string[] {
  const head = [
    "import { createEngine } from 'xentropy';",
    '',
    'const engine = await createEngine(); // WebGPU when there is an adapter, else the f64 CPU reference',
  ];
  const tail = ['engine.destroy();'];
  if (c.kind === 'binary') {
    return [
      ...head,
      `const p = new Float32Array(${list(c.p)}); // predicted P(y = 1), one per sample`,
      `const y = new Float32Array(${list(c.y)}); // labels`,
      `const { loss } = await engine.binaryCrossEntropy(p, y, { shape: [${c.p.length}] }); // reduction 'mean' is ` +
        `the default`,
      `console.log(loss.toFixed(${D}));`,
      ...tail,
    ];
  }
  const C = classesOf(c);
  const targetLine = (target: Target) =>
    'indices' in target
      ? `const target = new Int32Array(${indices(target.indices)}); // class indices`
      : `const target = new Float32Array(${flat(target.soft)}); // class probabilities (soft labels), row-major`;
  if (c.kind === 'gradient') {
    return [
      ...head,
      `const z = Float32Array.from(${list(c.probabilities)}, Math.log); // logits whose softmax is y_hat`,
      targetLine(c.target),
      `const { grad } = await engine.crossEntropy(z, target, { shape: [1, ${C}], reduction: 'sum' });`,
      `console.log(grad[${c.entry}].toFixed(${D}));`,
      ...tail,
    ];
  }
  const rows = c.rows.length;
  const input =
    c.given === 'probabilities'
      ? [`const yHat = new Float32Array(${flat(c.rows)}); // predicted probabilities, [rows, classes] row-major`]
      : [`const z = new Float32Array(${flat(c.rows)}); // logits, [rows, classes] row-major`];
  // inputs: 'probabilities' takes ŷ as it is (Keras' from_logits=False); logits are the default, as in PyTorch.
  const options = `{ shape: [${rows}, ${C}]${c.given === 'probabilities' ? ", inputs: 'probabilities'" : ''} }`;
  const name = c.given === 'probabilities' ? 'yHat' : 'z';
  const call = (r: Reduction) =>
    r === 'mean'
      ? `await engine.crossEntropy(${name}, target, options)`
      : `await engine.crossEntropy(${name}, target, { ...options, reduction: '${r}' })`;
  return [
    ...head,
    ...input,
    targetLine(c.target),
    `const options = ${options};`,
    ...c.reductions.map(
      (r) => `const ${NAME[r]} = ${call(r)};${r === 'mean' ? " // reduction 'mean' is the default" : ''}`,
    ),
    jsPrint(c.reductions, (r) => `${NAME[r]}.loss`),
    ...tail,
  ];
}
