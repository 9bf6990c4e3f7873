// The demo's code tabs and exercises, without a browser: the committed record of what the snippets print
// (test/fixtures/demo_snippets.json, written by test/fixtures/generate_demo_snippets.ts, which runs them) still
// matches the snippet texts and the library's answers; and problem sets from many seeds stay readable and are solved
// by their own worked solutions. The headless-Chromium test (test/browser/demo.test.ts) checks the page itself.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exerciseCases, FIXTURE_SEED, sampleCases } from '../../demo/src/code/cases.js';
import { printedLine, targetRows, valueOf, type Computation } from '../../demo/src/code/computation.js';
import { runComputation } from '../../demo/src/code/run.js';
import { RUN_BY_GENERATOR, snippet } from '../../demo/src/code/snippets.js';
import { ANSWER_TOLERANCE, PROBLEM_KINDS, problemSet } from '../../demo/src/exercises/problems.js';
import { createEngine } from '../../src/index.js';

interface Fixture {
  seed: number;
  cases: { id: string; snippets: Record<string, { sha256: string; printed: string }> }[];
}
const FIXTURE: Fixture = JSON.parse(readFileSync(new URL('../fixtures/demo_snippets.json', import.meta.url), 'utf8'));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SEEDS = Array.from({ length: 300 }, (_, i) => i + 1);

/** Every probability vector a computation holds (predictions and soft targets). */
function distributions(c: Computation): number[][] {
  if (c.kind === 'binary') return [];
  const rows = c.kind === 'gradient' ? [c.probabilities] : c.given === 'probabilities' ? c.rows : [];
  const classes = c.kind === 'gradient' ? c.probabilities.length : c.rows[0]!.length;
  return [...rows.map((r) => r.map(valueOf)), ...targetRows(c.target, classes)];
}

describe('demo code tabs: the committed record of what the snippets print', async () => {
  const cpu = await createEngine({ backend: 'cpu' });
  const cases = [...sampleCases(), ...exerciseCases(FIXTURE_SEED)];

  it('covers samples 1-8 and the exercises of the seed the page opens with', () => {
    expect(FIXTURE.seed).toBe(FIXTURE_SEED);
    expect(FIXTURE.cases.map((c) => c.id)).toEqual(cases.map((c) => c.id));
  });

  for (const c of cases) {
    it(`${c.id}: the snippets are the ones that ran, and the library prints what they printed`, async () => {
      const record = FIXTURE.cases.find((r) => r.id === c.id)!;
      expect(Object.keys(record.snippets)).toEqual([...RUN_BY_GENERATOR]);
      for (const language of RUN_BY_GENERATOR) {
        expect(
          sha256(snippet(c.computation, language)),
          `${language}: changed since the fixture was generated; rerun the generator`,
        ).toBe(record.snippets[language]!.sha256);
      }
      expect(printedLine(await runComputation(cpu, c.computation))).toBe(record.snippets.numpy!.printed);
    });
  }
});

describe('demo exercises over many seeds', async () => {
  const cpu = await createEngine({ backend: 'cpu' });

  it('one problem of each kind per set, 2-4 classes, distributions in readable steps that add up to 1', () => {
    for (const seed of SEEDS) {
      const problems = problemSet(seed);
      expect(problems.map((p) => p.kind)).toEqual(PROBLEM_KINDS);
      for (const p of problems) {
        const c = p.computation;
        if (c.kind === 'binary') {
          for (const v of [...c.p, ...c.y].map(valueOf)) expect(v === 0 || v === 1 || (v > 0 && v < 1)).toBe(true);
          continue;
        }
        for (const row of distributions(c)) {
          expect(row.length, `seed ${seed} ${p.id}`).toBeGreaterThanOrEqual(2);
          expect(row.length, `seed ${seed} ${p.id}`).toBeLessThanOrEqual(4);
          expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1), `seed ${seed} ${p.id}: sums to 1`).toBeLessThan(1e-9);
          // Steps of 0.05, except the uniform prediction's 1/C.
          if (p.kind !== 'uniform')
            for (const v of row)
              expect(Math.abs(v * 20 - Math.round(v * 20)), `seed ${seed} ${p.id}: ${v}`).toBeLessThan(1e-9);
        }
        if (c.kind === 'crossEntropy' && c.given === 'logits')
          for (const z of c.rows.flat().map(valueOf)) expect(Number.isInteger(z)).toBe(true);
      }
    }
  });

  it("every worked solution arrives at the library's answer (the CPU reference)", async () => {
    for (const seed of SEEDS) {
      for (const p of problemSet(seed)) {
        const answers = p.answers(await runComputation(cpu, p.computation));
        expect(answers.length, `seed ${seed} ${p.id}`).toBe(p.fields.length);
        p.solved.forEach((solved, i) => {
          if (typeof solved === 'string') expect(answers[i], `seed ${seed} ${p.id}`).toBe(solved);
          else
            expect(
              Math.abs(solved - (answers[i] as number)),
              `seed ${seed} ${p.id}: ${solved} vs ${answers[i]}`,
            ).toBeLessThan(ANSWER_TOLERANCE / 50);
        });
      }
    }
  });

  it('two predictions to compare differ clearly in loss; a gradient to find is not 0', async () => {
    for (const seed of SEEDS) {
      const problems = problemSet(seed);
      const compare = problems.find((p) => p.kind === 'compare')!;
      const [a, b] = await runComputation(cpu, compare.computation);
      expect(Math.abs(a! - b!), `seed ${seed}`).toBeGreaterThan(0.1);
      const [grad] = await runComputation(cpu, problems.find((p) => p.kind === 'gradient')!.computation);
      expect(Math.abs(grad!), `seed ${seed}`).toBeGreaterThan(0.01);
    }
  });
});
