/**
 * Every computation the code view shows: the worked examples (samples 1-8 of seedExamples.ts) and the exercises of a
 * problem set. test/fixtures/generate_demo_snippets.ts records what their snippets print for FIXTURE_SEED.
 */
import { problemSet } from '../exercises/problems.js';
import { SEED_EXAMPLES } from '../seedExamples.js';
import type { CodeCase, Computation } from './computation.js';

/** The problem set the page opens with, and the one whose snippets the committed fixture covers. */
export const FIXTURE_SEED = 1;

const split = (text: string) => text.split(',').map((v) => v.trim());

export function sampleCases(): CodeCase[] {
  return SEED_EXAMPLES.map((seed) => {
    const y = split(seed.target);
    const oneHot = y.every((v) => v === '0' || v === '1') && y.filter((v) => v === '1').length === 1;
    const computation: Computation = {
      kind: 'crossEntropy',
      given: 'probabilities',
      rows: [split(seed.prediction)],
      target: oneHot ? { indices: [y.indexOf('1')] } : { soft: [y] },
      reductions: ['mean'],
    };
    return {
      id: `sample-${seed.sample}`,
      title: `Sample ${seed.sample}: y = [${seed.target}], ŷ = [${seed.prediction}]`,
      computation,
    };
  });
}

export function exerciseCases(seed: number): CodeCase[] {
  return problemSet(seed).map((p) => ({ id: p.id, title: p.title, computation: p.computation }));
}
