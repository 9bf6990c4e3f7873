/**
 * CPU reference for shaders/sum.wgsl (host: src/ops/sum.ts): a Neumaier-compensated f64 sum, so the reference's own
 * rounding is far below the GPU's f32 error bound it is compared against.
 */
export function sum(values: ArrayLike<number>): number {
  let total = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const t = total + v;
    if (Math.abs(total) >= Math.abs(v)) compensation += total - t + v;
    else compensation += v - t + total;
    total = t;
  }
  // With an infinite or NaN term the compensation is NaN; the plain total is then the IEEE answer.
  return Number.isFinite(total) ? total + compensation : total;
}

/**
 * The sum of per-item losses (rows or elements) as the engine's reductions see them: each item is an f32 on the GPU,
 * so one beyond f32's range (|v| > 3.4028235e38) counts as +-Inf, as it reads with reduction 'none' (README, Special
 * values); the others keep their f64 value.
 */
export function sumItems(values: ArrayLike<number>): number {
  return sum(Float64Array.from(values, (v) => (Number.isFinite(Math.fround(v)) ? v : Math.fround(v))));
}
