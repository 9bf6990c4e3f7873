/**
 * The worked examples of the user's cross-entropy teaching page (its "Detailed Calculation
 * Examples", samples 1-8), as printed there, with what we found when computing them:
 * - Samples 1-4 and 6 reproduce the printed values exactly.
 * - Sample 5 prints the prediction [0.33, 0.33, 0.34], but its 1.099 is ln 3, the loss of the uniform prediction the
 *   row describes ("Random prediction"); -ln 0.33 would be 1.109. We show the uniform prediction, as the core tests do
 *   (test/gpu/seedExamples.test.ts), and say so beside the row.
 * - Samples 7 and 8 as printed do not give the printed values: -sum y log y_hat is 1.471 (printed 0.891) and 0.236
 *   (printed 0.021). The page shows the computed value and flags the mismatch; it does not adjust anything.
 */
export interface SeedExample {
  sample: number;
  target: string;
  prediction: string;
  /** The value the seed's table prints, to its 3 decimals. */
  tableValue: number;
  interpretation: string;
  note?: string;
}

export const SEED_EXAMPLES: readonly SeedExample[] = [
  { sample: 1, target: '1, 0, 0', prediction: '0.8, 0.1, 0.1', tableValue: 0.223, interpretation: 'Good prediction' },
  { sample: 2, target: '0, 1, 0', prediction: '0.3, 0.4, 0.3', tableValue: 0.916, interpretation: 'Uncertain prediction' },
  { sample: 3, target: '0, 0, 1', prediction: '0.9, 0.05, 0.05', tableValue: 2.996, interpretation: 'Wrong prediction' },
  { sample: 4, target: '1, 0, 0', prediction: '0.99, 0.005, 0.005', tableValue: 0.01, interpretation: 'Excellent prediction' },
  {
    sample: 5,
    target: '0, 1, 0',
    prediction: '1/3, 1/3, 1/3',
    tableValue: 1.099,
    interpretation: 'Random prediction',
    note: 'The seed prints ŷ = [0.33, 0.33, 0.34]; its 1.099 is ln 3, the loss of the uniform prediction the row describes (−ln 0.33 = 1.109). Shown with the uniform prediction.',
  },
  { sample: 6, target: '0.7, 0.2, 0.1', prediction: '0.6, 0.3, 0.1', tableValue: 0.829, interpretation: 'Close match' },
  { sample: 7, target: '0.4, 0.3, 0.3', prediction: '0.8, 0.1, 0.1', tableValue: 0.891, interpretation: 'Overconfident' },
  { sample: 8, target: '0.95, 0.03, 0.02', prediction: '0.93, 0.04, 0.03', tableValue: 0.021, interpretation: 'Excellent match' },
];
