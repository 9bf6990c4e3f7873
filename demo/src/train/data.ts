/**
 * The training set: a 2-D spiral with one arm per class, generated in code from a fixed seed (the classic toy problem
 * from Stanford's CS231n notes: not linearly separable, so a hidden layer is needed, and small enough to train in seconds).
 */

/** mulberry32: a small seeded PRNG, so every visitor (and the test) trains on the same points from the same start. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One sample of N(0, 1) (Box-Muller). */
export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

export interface Dataset {
  /** [points, 2] coordinates, row-major, in about [-1, 1]. */
  points: Float32Array<ArrayBuffer>;
  /** One class index per point. */
  labels: Int32Array<ArrayBuffer>;
  classes: number;
  count: number;
}

/** `perClass` points on each of `classes` spiral arms, radius 0..1, angle noise `noise` radians. */
export function spiral(classes: number, perClass: number, noise = 0.2, seed = 7): Dataset {
  const random = seededRandom(seed);
  const count = classes * perClass;
  const points = new Float32Array(count * 2);
  const labels = new Int32Array(count);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const n = c * perClass + i;
      const radius = i / (perClass - 1);
      const angle = (c * 4 + (4 * i) / (perClass - 1)) + gaussian(random) * noise;
      points[2 * n] = radius * Math.sin(angle);
      points[2 * n + 1] = radius * Math.cos(angle);
      labels[n] = c;
    }
  }
  return { points, labels, classes, count };
}
