/**
 * Parsing and checking the probability vectors a visitor types into the worked-examples table. Every problem becomes
 * a sentence that says what is wrong and what would be right.
 */

/** Most classes a row may have (the table is for reading, not for big vectors). */
export const MAX_CLASSES = 32;
/** How far from 1 a distribution's sum may be: the seed's own vectors are printed to 2-3 decimals. */
export const SUM_TOLERANCE = 1e-3;

export type Parsed = { ok: true; values: number[] } | { ok: false; message: string };

/** "0.7, 0.2, 0.1", "[0.7 0.2 0.1]" or "1/3, 1/3, 1/3" → numbers. */
export function parseVector(name: string, text: string): Parsed {
  const body = text.trim().replace(/^\[|\]$/g, '').trim();
  if (body === '') return { ok: false, message: `${name} is empty: type one probability per class, e.g. 0.7, 0.2, 0.1` };
  const tokens = body.split(/[\s,;]+/).filter((t) => t !== '');
  const values: number[] = [];
  for (const token of tokens) {
    const fraction = /^([0-9.eE+-]+)\/([0-9.eE+-]+)$/.exec(token);
    const value = fraction ? Number(fraction[1]) / Number(fraction[2]) : Number(token);
    if (!Number.isFinite(value)) return { ok: false, message: `${name}: "${token}" is not a number (use decimals like 0.25 or fractions like 1/3)` };
    values.push(value);
  }
  return { ok: true, values };
}

/** A target/prediction pair checked for a cross-entropy row. */
export type CheckedRow =
  | { ok: true; target: number[]; prediction: number[]; hardClass: number | null }
  | { ok: false; message: string };

export function checkRow(targetText: string, predictionText: string): CheckedRow {
  const target = parseVector('Target y', targetText);
  if (!target.ok) return target;
  const prediction = parseVector('Prediction ŷ', predictionText);
  if (!prediction.ok) return prediction;
  const y = target.values;
  const p = prediction.values;
  if (p.length < 2) return { ok: false, message: `Prediction ŷ has ${p.length} value; a distribution over classes needs at least 2` };
  if (p.length > MAX_CLASSES) return { ok: false, message: `Prediction ŷ has ${p.length} values; this table takes at most ${MAX_CLASSES} classes` };
  if (y.length !== p.length) {
    return { ok: false, message: `Wrong length: target y has ${y.length} values but prediction ŷ has ${p.length}; both need one probability per class` };
  }
  for (const [name, values] of [['Target y', y], ['Prediction ŷ', p]] as const) {
    const bad = values.findIndex((v) => v < 0 || v > 1);
    if (bad >= 0) return { ok: false, message: `${name}: value ${bad + 1} is ${values[bad]}; probabilities must lie in [0, 1]` };
    const sum = values.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > SUM_TOLERANCE) {
      return { ok: false, message: `${name} sums to ${sum.toFixed(4)}, not 1 (off by ${(sum - 1).toFixed(4)}): a distribution's probabilities add up to 1` };
    }
  }
  const oneHot = y.filter((v) => v === 1).length === 1 && y.every((v) => v === 0 || v === 1);
  return { ok: true, target: y, prediction: p, hardClass: oneHot ? y.indexOf(1) : null };
}
