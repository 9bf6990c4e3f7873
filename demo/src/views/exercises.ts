/**
 * View: practice problems (exercises/problems.ts) generated from a seed. The learner types an answer; the page checks
 * it against the library's result for the problem's computation (on the GPU when there is one) within
 * ANSWER_TOLERANCE. A wrong answer brings the hint, a second one the worked solution; the score counts the problems
 * answered right before their solution was shown.
 */
import type { Engine } from 'xentropy';
import { runComputation } from '../code/run.js';
import { FIXTURE_SEED } from '../code/cases.js';
import { element } from '../dom.js';
import { ANSWER_TOLERANCE, problemSet, type Problem } from '../exercises/problems.js';

/** Asks the code view to show a case (main.ts switches to it, views/code.ts selects the case). Samples: seed null. */
export function showCode(caseId: string, seed: number): void {
  window.dispatchEvent(new CustomEvent('demo:show-code', { detail: { caseId, seed } }));
}

/** The seed of the set on screen; views/code.ts lists that set's exercises. */
export let currentSeed = FIXTURE_SEED;

export function mountExercises(root: HTMLElement, engine: Engine): void {
  const where = engine.backend === 'webgpu' ? 'on your GPU (WebGPU)' : 'on the CPU fallback (no WebGPU here)';
  const seedInput = element('input', {
    id: 'exercise-seed',
    type: 'number',
    min: '1',
    step: '1',
    value: String(currentSeed),
    size: '6',
  });
  const newSet = element('button', { id: 'exercise-new' }, 'New problems');
  const score = element('p', { id: 'exercise-score', class: 'score' });
  const list = element('div', { id: 'exercise-list' });
  root.append(
    element('h2', {}, 'Exercises'),
    element(
      'p',
      { class: 'lead' },
      `Eight problems, one of each kind, generated from a seed. Type your answer and press Check (or Enter): the ` +
        `page compares it with the library’s result, computed ${where}. ` +
        `An answer counts as right when it is within ±${ANSWER_TOLERANCE} of that value, so three decimals are ` +
        `enough. Logs are natural logs. ` +
        'A wrong answer shows a hint; a second one, the worked solution.',
    ),
    element('div', { class: 'controls' }, element('label', {}, 'seed', seedInput), newSet, score),
    list,
  );

  let right = 0;
  let attempted = 0;
  const showScore = () => {
    score.textContent = `Score this session: ${right} right of ${attempted} tried`;
    score.dataset.right = String(right);
    score.dataset.attempted = String(attempted);
  };
  showScore();

  let generation = 0;
  const load = async (seed: number) => {
    const mine = ++generation;
    currentSeed = seed;
    root.dataset.state = 'computing';
    const problems = problemSet(seed);
    const values = await Promise.all(problems.map((p) => runComputation(engine, p.computation)));
    if (mine !== generation) return;
    list.replaceChildren(
      ...problems.map((p, i) =>
        card(p, p.answers(values[i]!), seed, where, (outcome) => {
          if (outcome !== 'shown') attempted++;
          if (outcome === 'right') right++;
          showScore();
        }),
      ),
    );
    root.dataset.seed = String(seed);
    window.dispatchEvent(new CustomEvent('demo:exercise-seed', { detail: seed }));
    root.dataset.state = 'ready';
    root.dataset.loaded = 'true';
  };
  newSet.addEventListener('click', () => {
    seedInput.value = String(currentSeed + 1);
    void load(currentSeed + 1);
  });
  seedInput.addEventListener('change', () => {
    const seed = Math.max(1, Math.floor(Number(seedInput.value)) || 1);
    seedInput.value = String(seed);
    void load(seed);
  });
  void load(currentSeed);
}

/**
 * One problem: statement, answer fields, Check / Hint / Solution / Code buttons. `report` is told once per problem:
 * 'right' or 'wrong' at its first decided outcome, 'shown' when the solution was opened before any answer.
 */
function card(
  problem: Problem,
  answers: (number | string)[],
  seed: number,
  where: string,
  report: (outcome: 'right' | 'wrong' | 'shown') => void,
): HTMLElement {
  const inputs = problem.fields.map((field) =>
    element('input', {
      'data-field': field.key,
      'aria-label': `${problem.title}: ${field.label}`,
      size: field.kind === 'choice' ? '3' : '9',
      autocomplete: 'off',
    }),
  );
  const check = element('button', { 'data-action': 'check' }, 'Check');
  const hintButton = element('button', { 'data-action': 'hint' }, 'Hint');
  const solutionButton = element('button', { 'data-action': 'solution' }, 'Solution');
  const codeButton = element('button', { 'data-action': 'code' }, 'Code');
  const feedback = element('p', { class: 'feedback', 'aria-live': 'polite', hidden: '' });
  const hint = element('p', { class: 'exercise-hint', hidden: '' }, `Hint: ${problem.hint}`);
  const library = answers.map((a) => (typeof a === 'number' ? a.toFixed(4) : a)).join(', ');
  const solution = element(
    'div',
    { class: 'solution', hidden: '' },
    element('strong', {}, 'Worked solution'),
    ...problem.solution.map((line) => element('div', {}, line)),
    element('div', { class: 'hint' }, `The library’s result (${where}): ${library}`),
  );
  const fields = problem.fields.map((field, i) => element('label', {}, `${field.label} =`, inputs[i]!));
  const node = element(
    'article',
    {
      class: 'exercise',
      'data-problem': problem.id,
      'data-kind': problem.kind,
      'data-answers': JSON.stringify(answers),
    },
    element('h3', {}, problem.title),
    ...problem.statement.map((line) => element('p', {}, line)),
    element('div', { class: 'controls' }, ...fields, check, hintButton, solutionButton, codeButton),
    feedback,
    hint,
    solution,
  );

  let wrongTries = 0;
  let decided = false;
  const decide = (outcome: 'right' | 'wrong' | 'shown') => {
    if (decided) return;
    decided = true;
    report(outcome);
  };
  const reveal = () => {
    hint.hidden = false;
    solution.hidden = false;
  };
  const runCheck = () => {
    const verdicts = problem.fields.map((field, i) => {
      const text = inputs[i]!.value.trim();
      const expected = answers[i]!;
      if (field.kind === 'choice') {
        const choice = text.toUpperCase();
        if (!field.choices.includes(choice))
          return { ok: false, empty: text === '', message: `${field.label}: type ${field.choices.join(' or ')}` };
        return {
          ok: choice === expected,
          empty: false,
          message: choice === expected ? `${choice} is right` : `${choice} is not the lower one`,
        };
      }
      const value = Number(text.replace('−', '-').replace(',', '.'));
      if (text === '' || !Number.isFinite(value))
        return { ok: false, empty: true, message: `${field.label}: type a number, e.g. 0.693` };
      const ok = Math.abs(value - (expected as number)) <= ANSWER_TOLERANCE;
      // A wrong answer is not told the value: the hint comes first, then the solution.
      const message = ok
        ? `${field.label}: ${text}; the library gives ${(expected as number).toFixed(4)}`
        : `${field.label}: ${text} is not within ±${ANSWER_TOLERANCE} of the library’s value`;
      return { ok, empty: false, message };
    });
    feedback.hidden = false;
    if (verdicts.some((v) => v.empty)) {
      feedback.className = 'feedback';
      feedback.dataset.result = 'incomplete';
      feedback.textContent = verdicts
        .filter((v) => v.empty)
        .map((v) => v.message)
        .join('; ');
      return;
    }
    const ok = verdicts.every((v) => v.ok);
    feedback.className = `feedback ${ok ? 'right' : 'wrong'}`;
    feedback.dataset.result = ok ? 'right' : 'wrong';
    feedback.textContent = `${ok ? '✓ Right.' : '✗ Not quite.'} ${verdicts.map((v) => v.message).join('; ')}.`;
    if (ok) {
      decide('right');
      solution.hidden = false;
      return;
    }
    decide('wrong');
    wrongTries++;
    hint.hidden = false;
    if (wrongTries >= 2) solution.hidden = false;
  };
  check.addEventListener('click', runCheck);
  for (const input of inputs) input.addEventListener('keydown', (event) => event.key === 'Enter' && runCheck());
  hintButton.addEventListener('click', () => (hint.hidden = false));
  solutionButton.addEventListener('click', () => {
    decide('shown');
    reveal();
  });
  codeButton.addEventListener('click', () => showCode(problem.id, seed));
  return node;
}
