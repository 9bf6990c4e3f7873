/**
 * One loss computation as data: what the worked examples and the exercises ask, and what every code tab computes.
 * The page runs it with the library (run.ts), snippets.ts writes it out in NumPy, PyTorch, TensorFlow.js, Keras and
 * xentropy, and test/fixtures/generate_demo_snippets.ts runs those snippets to record what they print. All three
 * read the same object, so the code a visitor reads and the number the page shows cannot drift apart.
 *
 * Values are kept as the text a person reads ("0.8", "1/3", "2.0"): the same text goes into every language.
 */

export type Reduction = 'mean' | 'sum' | 'none';

/** Class-index targets (one per row) or target distributions (one per row, `classes` values each). */
export type Target = { indices: number[] } | { soft: string[][] };

export type Computation =
  /** Cross-entropy of `rows` (probabilities, or logits) against `target`, printed once per reduction. */
  | {
      kind: 'crossEntropy';
      given: 'probabilities' | 'logits';
      rows: string[][];
      target: Target;
      reductions: Reduction[];
    }
  /** d loss / d z of entry `entry` of the one row, z = log ŷ (so softmax(z) = ŷ), with reduction 'sum'. */
  | { kind: 'gradient'; probabilities: string[]; target: Target; entry: number }
  /** Binary cross-entropy of P(y = 1) = p against labels y, the mean over the samples. */
  | { kind: 'binary'; p: string[]; y: string[] };

/** A computation with a name, as the code view lists it. */
export interface CodeCase {
  /** 'sample-1' ... 'sample-8', 'exercise-1' ...: the key in the committed fixture. */
  id: string;
  title: string;
  computation: Computation;
}

/** Decimals every snippet prints, as the worked-examples table shows its losses. */
export const PRINTED_DECIMALS = 3;

/** "0.8", "2", "-1.5" or a fraction "1/3" → its value. */
export function valueOf(text: string): number {
  const fraction = /^(-?[0-9.]+)\/([0-9.]+)$/.exec(text);
  const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(text);
  if (!Number.isFinite(value)) throw new Error(`computation: "${text}" is not a number`);
  return value;
}

export function classesOf(c: Computation): number {
  if (c.kind === 'crossEntropy') return c.rows[0]!.length;
  if (c.kind === 'gradient') return c.probabilities.length;
  return 1;
}

/** The line every snippet of `c` prints, given the values it computes (one per reduction, per row for 'none'). */
export function printedLine(values: readonly number[]): string {
  return values.map((v) => v.toFixed(PRINTED_DECIMALS)).join(' ');
}

/** The target as dense rows of probabilities (one-hot for class indices). */
export function targetRows(target: Target, classes: number): number[][] {
  if ('soft' in target) return target.soft.map((row) => row.map(valueOf));
  return target.indices.map((t) => Array.from({ length: classes }, (_, c) => (c === t ? 1 : 0)));
}
