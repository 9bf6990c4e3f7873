/**
 * A vitest reporter, after the default one: one line per adapter test project that ran, naming the adapter its tests
 * ran on (or why they did not) and how many tests passed, failed and were skipped (and files that failed to load).
 */
import type { Reporter, TestModule } from 'vitest/node';
import type { ProjectAdapter } from './adapters.js';

export class AdapterSummary implements Reporter {
  constructor(private readonly plan: readonly ProjectAdapter[]) {}

  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const counts = new Map<string, Record<'passed' | 'failed' | 'skipped' | 'files failed to load', number>>();
    for (const module of modules) {
      const count = counts.get(module.project.name) ?? { passed: 0, failed: 0, skipped: 0, 'files failed to load': 0 };
      const tests = [...module.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state !== 'pending') count[state]++;
      }
      if (tests.length === 0 && module.state() === 'failed') count['files failed to load']++;
      counts.set(module.project.name, count);
    }
    const lines = this.plan.flatMap((p) => {
      const count = counts.get(p.project);
      if (!count) return [];
      const tally =
        Object.entries(count)
          .filter(([, n]) => n > 0)
          .map(([state, n]) => `${n} ${state}`)
          .join(', ') || 'no tests';
      const on = p.found ? `ran on ${p.found}` : `${p.skip ? 'skipped' : 'FAILED'}, ${p.missing}`;
      return [`  ${p.project.padEnd(11)} ${on}: ${tally}`];
    });
    if (lines.length > 0) console.log(`\n Adapters (test project, adapter, tests):\n${lines.join('\n')}\n`);
  }
}
