/**
 * The one comparison helper: |actual - expected| <= atol + rtol * |expected| element-wise, NaN only where NaN is
 * expected and infinities only where the same infinity is expected. A failure reports the number of mismatches and a
 * table of the worst ones (index, actual, expected, error, allowed).
 */
import { expect } from 'vitest';

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** The core issue's tolerance relative to the f64 reference. */
export const DEFAULT_TOLERANCE: Tolerance = { atol: 1e-6, rtol: 1e-5 };

export function mismatchReport(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = DEFAULT_TOLERANCE): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != expected ${expected.length}`;
  const bad: { i: number; a: number; e: number; err: number; allowed: number }[] = [];
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    let ok: boolean;
    let err = Math.abs(a - e);
    const allowed = tol.atol + tol.rtol * Math.abs(e);
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e)) ok = a === e;
    else ok = Number.isFinite(a) && err <= allowed;
    if (!Number.isFinite(err)) err = Infinity;
    if (!ok) {
      count++;
      bad.push({ i, a, e, err, allowed });
      if (bad.length > 64) {
        bad.sort((x, y) => y.err - x.err);
        bad.length = 8;
      }
    }
  }
  if (count === 0) return null;
  bad.sort((x, y) => y.err - x.err);
  const rows = bad.slice(0, 8).map((b) => `  ${String(b.i).padStart(10)} ${String(b.a).padStart(24)} ${String(b.e).padStart(24)} ${b.err.toExponential(3).padStart(11)} ${b.allowed.toExponential(3).padStart(11)}`);
  return [`${count} of ${actual.length} elements differ (atol ${tol.atol}, rtol ${tol.rtol})`, '       index                   actual                 expected       error     allowed', ...rows].join('\n');
}

/** Assert closeness; `label` names the case in the failure message. */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, label: string, tol: Tolerance = DEFAULT_TOLERANCE): void {
  const a = typeof actual === 'number' ? [actual] : actual;
  const e = typeof expected === 'number' ? [expected] : expected;
  const report = mismatchReport(a, e, tol);
  expect(report, `${label}\n${report}`).toBeNull();
}
