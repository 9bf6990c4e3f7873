/**
 * View 4, benchmark: the bench cases in the visitor's browser (bench/cases.ts), with a progress bar, a bar chart of
 * GB/s per implementation and case, a table of times, and the adapter's description and limits.
 */
import type { Engine } from 'xentropy';
import { ALL_CASES, IMPLEMENTATIONS, SMALL_CASE, runCase, ticksFor, type BenchCase, type Measurement } from '../bench/cases.js';
import { loadTfjs, type TfjsRunner } from '../bench/tfjs.js';
import { COLORS, makeChart } from '../charts.js';
import { element } from '../dom.js';

const LIMITS: (keyof GPUSupportedLimits)[] = ['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupStorageSize', 'maxStorageBuffersPerShaderStage'];

export function mountBench(root: HTMLElement, engine: Engine, cpu: Engine): void {
  const gpu = engine.device !== null;
  root.append(
    element('h2', {}, 'Benchmark'),
    element(
      'p',
      { class: 'lead' },
      'Cross-entropy forward+backward over [rows, classes] logits, in this browser: the library’s fused kernel, a vec4 read+write kernel moving the same bytes (the bandwidth roofline), and the CPU reference. ' +
        'Each case is validated against the reference before it is timed; GB/s = rows × classes × 4 bytes × 2 (logits in, gradient out) / median time.',
    ),
  );
  const runSmall = element('button', { id: 'bench-run-small' }, `Run the small case ${SMALL_CASE.name.replace('small ', '')}`);
  const runAll = element('button', { id: 'bench-run-all' }, 'Run all cases');
  const withTfjs = element('input', { type: 'checkbox', id: 'bench-tfjs' });
  if (!gpu) withTfjs.disabled = true;
  const progress = element('progress', { id: 'bench-progress', max: '1', value: '0' });
  const status = element('span', { id: 'bench-status', class: 'hint' }, 'Not run yet.');
  root.append(element('div', { class: 'controls' }, runSmall, runAll, element('label', {}, withTfjs, 'also TensorFlow.js on WebGPU (loads ~0.6 MB)'), progress, status));

  if (/swiftshader/i.test(`${engine.adapterInfo?.architecture} ${engine.adapterInfo?.description}`)) {
    root.append(element('p', { class: 'hint', id: 'bench-software-note' }, 'This adapter is SwiftShader, WebGPU emulated on the CPU: its absolute numbers say little about a real GPU; compare the bars with each other.'));
  }
  const chartHolder = element('div', { class: 'charts' });
  root.append(chartHolder);
  const chart = makeChart(chartHolder, 'chart-bench', {
    type: 'bar',
    data: { labels: [], datasets: [] },
    options: {
      plugins: { title: { display: true, text: 'Effective bandwidth (GB/s, higher is better)' } },
      scales: { y: { type: 'linear', beginAtZero: true, title: { display: true, text: 'GB/s' } } },
    },
  });
  const table = element('table', { class: 'examples', id: 'bench-table' });
  table.append(element('thead', {}, element('tr', {}, ...['case', 'implementation', 'median ms', 'GB/s', 'of roofline', 'note'].map((h) => element('th', {}, h)))));
  const body = element('tbody', {});
  table.append(body);

  const adapter = element('table', { class: 'examples', id: 'bench-adapter' });
  const info = engine.adapterInfo;
  const adapterRows: [string, string][] = info
    ? [
        ['backend', engine.backend],
        ['vendor', info.vendor],
        ['architecture', info.architecture],
        ['device', info.device],
        ['description', info.description],
        ['feature level', info.featureLevel],
        ['features', info.features.join(', ')],
        ['kernel workgroup size', String(engine.workgroupSize)],
        ...LIMITS.map((name): [string, string] => [name, String(engine.device!.limits[name])]),
      ]
    : [['backend', 'cpu (no WebGPU adapter): only the CPU reference runs']];
  adapter.append(element('tbody', {}, ...adapterRows.map(([k, v]) => element('tr', {}, element('th', {}, k), element('td', {}, v || '(not reported)')))));
  root.append(element('h3', {}, 'Results'), table, element('h3', {}, 'Adapter'), adapter);

  const results: Measurement[] = [];
  const render = () => {
    const cases = [...new Set(results.map((r) => r.benchCase.name))];
    chart.data.labels = cases;
    // One bar per implementation that ran (tfjs only when asked for), in a fixed order and color.
    chart.data.datasets = IMPLEMENTATIONS.flatMap((implementation, i) =>
      results.some((r) => r.implementation === implementation)
        ? [{ label: implementation, backgroundColor: COLORS[i]!, data: cases.map((name) => results.find((r) => r.benchCase.name === name && r.implementation === implementation)?.gigabytesPerSecond ?? 0) }]
        : [],
    );
    chart.update();
    body.replaceChildren(
      ...results.map((r) => {
        const roofline = results.find((o) => o.benchCase === r.benchCase && o.implementation === 'roofline (vec4 read+write)');
        return element(
          'tr',
          { 'data-case': r.benchCase.name, 'data-implementation': r.implementation, 'data-gbps': String(r.gigabytesPerSecond) },
          element('td', {}, r.benchCase.name),
          element('td', {}, r.implementation),
          element('td', {}, r.milliseconds.toFixed(2)),
          element('td', {}, r.gigabytesPerSecond.toFixed(2)),
          element('td', {}, roofline ? `${((100 * r.gigabytesPerSecond) / roofline.gigabytesPerSecond).toFixed(0)}%` : '—'),
          element('td', {}, r.note),
        );
      }),
    );
  };

  const run = async (cases: BenchCase[]) => {
    runSmall.disabled = runAll.disabled = true;
    root.dataset.state = 'running';
    results.length = 0;
    const total = cases.length * ticksFor(gpu, withTfjs.checked);
    let done = 0;
    progress.max = total;
    progress.value = 0;
    try {
      let tfjs: TfjsRunner | null = null;
      if (withTfjs.checked) {
        status.textContent = 'Loading TensorFlow.js…';
        tfjs = await loadTfjs();
      }
      for (const c of cases) {
        status.textContent = `Running ${c.name}…`;
        const tick = () => (progress.value = ++done);
        results.push(...(await runCase(engine, cpu, c, tick, tfjs)));
        render();
      }
      progress.value = total;
      status.textContent = `Done: ${cases.length} case${cases.length > 1 ? 's' : ''}.`;
      root.dataset.state = 'done';
    } catch (error) {
      console.error(error);
      status.textContent = `Failed: ${error instanceof Error ? error.message : String(error)}`;
      root.dataset.state = 'failed';
    } finally {
      runSmall.disabled = runAll.disabled = false;
    }
  };
  runSmall.addEventListener('click', () => void run([SMALL_CASE]));
  runAll.addEventListener('click', () => void run(ALL_CASES));
  root.dataset.loaded = 'true';
}
