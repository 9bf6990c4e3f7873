// The host's f16 conversions (src/float16.ts), which f16 uploads use and the f16 tests' references are computed from:
// f16 -> f32 exact for every bit pattern, f32 -> f16 the nearest f16 with ties to even, checked against a search of
// the table of every finite f16.
import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, roundToFloat16, toFloat16Bits } from '../../src/index.js';
import { f16Bits, f16Value } from '../../src/float16.js';
import { rng } from '../helpers/data.js';

/** Every finite non-negative f16 value, ascending (index = bits). */
const TABLE = Array.from({ length: 0x7c00 }, (_, bits) => f16Value(bits));

/** The nearest f16 bits by search (ties to the even bit pattern; from 65520 up, Infinity). */
function nearest(v: number): number {
  if (Number.isNaN(v)) return 0x7e00;
  const sign = v < 0 || Object.is(v, -0) ? 0x8000 : 0;
  const a = Math.abs(v);
  if (a >= 65520) return sign | 0x7c00;
  let lo = 0;
  let hi = TABLE.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (TABLE[mid]! <= a) lo = mid;
    else hi = mid;
  }
  const dLo = a - TABLE[lo]!;
  const dHi = TABLE[hi]! - a;
  const bits = dLo < dHi ? lo : dHi < dLo ? hi : lo % 2 === 0 ? lo : hi;
  return sign | bits;
}

describe('f16 conversions on the host', () => {
  it('f16 -> f32 -> f16 gives every bit pattern back (NaNs as a quiet NaN)', () => {
    const bits = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const values = fromFloat16Bits(bits);
    const back = toFloat16Bits(values);
    for (let i = 0; i < 65536; i++) {
      const isNaN = (i & 0x7c00) === 0x7c00 && (i & 0x3ff) !== 0;
      expect(isNaN ? back[i]! & 0x7fff : back[i], `bits 0x${i.toString(16)}`).toBe(isNaN ? 0x7e00 : i);
    }
    expect(values[0x3c00]).toBe(1);
    expect(values[0x0001]).toBe(2 ** -24);
    expect(values[0x7bff]).toBe(65504);
    expect(values[0xfc00]).toBe(-Infinity);
  });

  it('f32 -> f16 is the nearest f16, ties to even (random values, exact ties, the edges)', () => {
    const next = rng(7);
    const values: number[] = [0, -0, 1, -1, 65504, 65519.99, 65520, 65536, 1e9, Infinity, -Infinity, NaN, 2 ** -25, 2 ** -25 * 1.0001, 2 ** -24, 2 ** -14, 1e-30];
    for (let i = 0; i < 20000; i++) {
      const magnitude = 2 ** (next() * 44 - 28); // 2^-28 .. 2^16
      values.push(Math.fround((next() < 0.5 ? -1 : 1) * magnitude));
    }
    for (let bits = 0; bits < 0x7bff; bits += 7) values.push((TABLE[bits]! + TABLE[bits + 1]!) / 2); // exact ties
    const got = toFloat16Bits(Float32Array.from(values));
    values.forEach((v, i) => expect(got[i], `${v}`).toBe(nearest(Math.fround(v))));
    expect(f16Bits(65519.99)).toBe(0x7bff);
    expect(f16Bits(65520)).toBe(0x7c00);
    expect(f16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie between 1 and 1 + 2^-10: to the even one, 1
    expect(f16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('roundToFloat16 is what an f16 upload holds, as f32', () => {
    const x = Float32Array.from([0.1, -2.5, 1e-6, 7e4]);
    expect([...roundToFloat16(x)]).toEqual([0.0999755859375, -2.5, 1.0132789611816406e-6, Infinity]);
  });
});
