/**
 * View: code side by side. Every worked example and every exercise of the set on screen, as a NumPy, PyTorch,
 * TensorFlow.js, Keras and xentropy program (code/snippets.ts). Under the code: the line the program prints, which is
 * the library's result for the same computation (code/run.ts), run here on the page's engine.
 */
import type { Engine } from 'xentropy';
import { exerciseCases, sampleCases } from '../code/cases.js';
import { printedLine, type CodeCase } from '../code/computation.js';
import { runComputation } from '../code/run.js';
import { LANGUAGE_NAMES, LANGUAGES, RUN_BY_GENERATOR, snippet, type Language } from '../code/snippets.js';
import { element } from '../dom.js';
import { currentSeed } from './exercises.js';

let select: ((caseId: string, seed: number | null) => Promise<void>) | null = null;

/** Show `caseId` (an exercise of the set `seed`, or a sample: seed null); the view must be mounted. */
export function selectCodeCase(caseId: string, seed: number | null): Promise<void> {
  return select ? select(caseId, seed) : Promise.resolve();
}

export function mountCode(root: HTMLElement, engine: Engine): void {
  const where = engine.backend === 'webgpu' ? 'on your GPU (WebGPU)' : 'on the CPU fallback (no WebGPU here)';
  const picker = element('select', { id: 'code-case', 'aria-label': 'worked example or exercise' });
  const tabs = element('div', { class: 'code-tabs', role: 'tablist' });
  const title = element('p', { id: 'code-title', class: 'case-title' });
  const code = element('code', {});
  const output = element('p', { id: 'code-output', class: 'printed' });
  root.append(
    element('h2', {}, 'Code, side by side'),
    element(
      'p',
      { class: 'lead' },
      'Each worked example and each exercise of the current problem set, written in NumPy, PyTorch, TensorFlow.js, ' +
        'TensorFlow (Keras) and xentropy. ' +
        `Every program prints the line shown under it: the library’s result for the same numbers, computed ${where}. ` +
        'The NumPy, PyTorch, TensorFlow.js and xentropy programs were run to record what they print, and the ' +
        'page’s tests check these lines against that record.',
    ),
    element('div', { class: 'controls' }, element('label', {}, 'computation', picker)),
    title,
    tabs,
    element('pre', { id: 'code-text', class: 'code' }, code),
    output,
  );

  const buttons = LANGUAGES.map((language) => {
    const button = element('button', { 'data-lang': language, role: 'tab' }, LANGUAGE_NAMES[language]);
    button.addEventListener('click', () => void show(current, language));
    return button;
  });
  tabs.append(...buttons);

  let seed = currentSeed;
  let cases: CodeCase[] = [];
  const values = new Map<string, Promise<number[]>>();
  const fill = (forSeed: number) => {
    seed = forSeed;
    cases = [...sampleCases(), ...exerciseCases(seed)];
    for (const key of [...values.keys()]) if (key.startsWith('exercise-')) values.delete(key);
    const group = (label: string, list: CodeCase[]) =>
      element('optgroup', { label }, ...list.map((c) => element('option', { value: c.id }, c.title)));
    picker.replaceChildren(
      group(
        'Worked examples',
        cases.filter((c) => c.id.startsWith('sample-')),
      ),
      group(
        `Exercises (seed ${seed})`,
        cases.filter((c) => c.id.startsWith('exercise-')),
      ),
    );
    root.dataset.seed = String(seed);
  };

  let current = 'sample-1';
  let language: Language = 'numpy';
  let version = 0;
  const show = async (caseId: string, next: Language) => {
    const mine = ++version;
    current = caseId;
    language = next;
    picker.value = caseId;
    const c = cases.find((x) => x.id === caseId) ?? cases[0]!;
    for (const button of buttons) button.classList.toggle('active', button.dataset.lang === language);
    title.textContent = c.title;
    code.textContent = snippet(c.computation, language);
    root.dataset.state = 'computing';
    if (!values.has(c.id)) values.set(c.id, runComputation(engine, c.computation));
    const line = printedLine(await values.get(c.id)!);
    if (mine !== version) return;
    const note = RUN_BY_GENERATOR.includes(language)
      ? ''
      : ' (not run for the record: TensorFlow for Python is not installed where it was made; the other tabs were)';
    output.replaceChildren('prints: ', element('samp', { 'data-printed': line }, line), note);
    output.dataset.verified = String(note === '');
    root.dataset.case = c.id;
    root.dataset.language = language;
    root.dataset.state = 'ready';
  };
  picker.addEventListener('change', () => void show(picker.value, language));
  select = async (caseId, forSeed) => {
    if (forSeed !== null && forSeed !== seed) fill(forSeed);
    await show(caseId, language);
  };
  // A new problem set in the exercises view: list its exercises here.
  window.addEventListener('demo:exercise-seed', (event) => {
    const next = (event as CustomEvent<number>).detail;
    if (next === seed) return;
    fill(next);
    void show(current, language);
  });
  fill(seed);
  void show(current, language).then(() => (root.dataset.loaded = 'true'));
}
