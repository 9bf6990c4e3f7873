/**
 * The demo page: finds a WebGPU adapter through the library (createEngine falls back to the CPU reference without one),
 * says plainly which one runs, and mounts each view the first time its tab is opened.
 */
import { createEngine, type Engine } from 'xentropy';
import './style.css';
import { mountExamples } from './views/examples.js';

type ViewName = 'examples' | 'exercises' | 'code' | 'curves' | 'train' | 'lm' | 'workers' | 'bench';
type Mount = (root: HTMLElement, engine: Engine, cpu: Engine) => void | Promise<void>;

/** Views other than the first are loaded on demand (Chart.js and the trainer are not needed to read the table). */
const VIEWS: Record<ViewName, () => Promise<Mount>> = {
  examples: async () => mountExamples,
  exercises: async () => (await import('./views/exercises.js')).mountExercises,
  code: async () => (await import('./views/code.js')).mountCode,
  curves: async () => (await import('./views/curves.js')).mountCurves,
  train: async () => (await import('./views/train.js')).mountTrain,
  lm: async () => (await import('./views/lm.js')).mountLm,
  workers: async () => (await import('./views/workers.js')).mountWorkers,
  bench: async () => (await import('./views/bench.js')).mountBench,
};

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`demo: #${id} is missing from index.html`);
  return node as T;
}

function describeBackend(engine: Engine): string {
  const info = engine.adapterInfo;
  if (!info) return 'Running on the CPU reference (f64).';
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s !== '').join(' · ');
  return `WebGPU adapter: ${name || 'unnamed'} (${info.featureLevel}; features: ${info.features.join(', ') || 'none'})`;
}

async function start(): Promise<void> {
  const [engine, cpu] = await Promise.all([createEngine(), createEngine({ backend: 'cpu' })]);
  document.body.dataset.backend = engine.backend;
  byId('backend').textContent = describeBackend(engine);
  if (engine.backend === 'cpu') {
    const notice = byId('fallback-notice');
    const reason = 'gpu' in navigator ? 'this browser exposes WebGPU but offered no adapter' : 'this browser has no WebGPU (navigator.gpu is missing)';
    notice.textContent = `WebGPU is not available: ${reason}. Everything on this page runs on the library's CPU fallback, its f64 reference implementation.`;
    notice.hidden = false;
  }

  const mounted = new Map<ViewName, Promise<void>>();
  const show = async (name: ViewName): Promise<void> => {
    document.querySelectorAll<HTMLButtonElement>('#tabs button').forEach((button) => button.classList.toggle('active', button.dataset.view === name));
    for (const view of Object.keys(VIEWS) as ViewName[]) byId(`view-${view}`).hidden = view !== name;
    if (!mounted.has(name)) {
      const root = byId(`view-${name}`);
      mounted.set(name, VIEWS[name]().then((mount) => mount(root, engine, cpu)));
    }
    await mounted.get(name);
  };
  document.querySelectorAll<HTMLButtonElement>('#tabs button').forEach((button) => {
    button.addEventListener('click', () => {
      history.replaceState(null, '', `#${button.dataset.view}`);
      void show(button.dataset.view as ViewName).catch(report);
    });
  });
  // An exercise's Code button: open the code view on that exercise.
  window.addEventListener('demo:show-code', (event) => {
    const { caseId, seed } = (event as CustomEvent<{ caseId: string; seed: number | null }>).detail;
    history.replaceState(null, '', '#code');
    void show('code')
      .then(async () => (await import('./views/code.js')).selectCodeCase(caseId, seed))
      .catch(report);
  });
  const initial = location.hash.slice(1) as ViewName;
  await show(initial in VIEWS ? initial : 'examples');
  document.body.dataset.ready = 'true';
}

/** Errors reach the page, not only the console, so a visitor sees that something failed and what. */
function report(error: unknown): void {
  console.error(error);
  const notice = document.getElementById('fallback-notice');
  if (notice) {
    notice.hidden = false;
    notice.classList.add('error');
    notice.textContent = `Something failed: ${error instanceof Error ? error.message : String(error)}`;
  }
}

window.addEventListener('unhandledrejection', (event) => report(event.reason));
void start().catch(report);
