/**
 * Turning a BenchReport into the markdown table (printed and written next to the JSON), naming the result files and
 * replacing the older ones of the same kind. No GPU code here; used by the Node bench and the browser bench's driver.
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BenchReport, BrowserRun, CaseResult } from './core.js';

function fmtMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(3);
}

function fmt(value: number | undefined, digits = 2, suffix = ''): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${value.toFixed(digits)}${suffix}`;
}

/** The adapter in a few words: source, vendor/architecture and description as Dawn or the browser reports them. */
export function adapterLabel(report: BenchReport): string {
  const a = report.meta.adapter;
  if (!a) return 'none';
  return [a.source, [a.vendor, a.architecture].filter(Boolean).join('/'), a.description || a.device].filter(Boolean).join(' · ');
}

/** The browser bench's adapter in one line: the GPU or SwiftShader (asked for, or fallen back to), its timestamps. */
export function browserAdapterLine(run: BrowserRun, adapter: string): string {
  const why =
    run.requested === 'swiftshader' ? '--adapter swiftshader' : `fallback: ${run.fallback ?? 'no GPU adapter'}`;
  const what = run.ran === 'hardware' ? `the machine's GPU (${adapter})` : `SwiftShader, a software adapter (${why})`;
  const stamps = run.timestamps === 'rounded' ? 'rounded to ~100 µs (GPU ms columns are coarse)' : run.timestamps;
  return `WebGPU on ${what}; GPU timestamps ${stamps}`;
}

/** File name stem: runtime, adapter and date, in characters any file system and the device tool accept; a browser
 * run that fell back to SwiftShader says so ('-fallback'). */
export function resultStem(report: BenchReport): string {
  const a = report.meta.adapter;
  const parts = [a?.source === report.meta.runtime ? '' : (a?.source ?? 'none'), a?.architecture || a?.vendor || ''];
  const adapter = [...new Set(parts.filter(Boolean))].join('-').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const date = report.meta.date.replace(/:\d\d\.\d+Z$/, '').replace(/[^0-9T]/g, '').replace('T', '-');
  const wg = report.meta.options.maxWorkgroupSize;
  const fallback = report.meta.browser?.fallback !== undefined ? '-fallback' : '';
  const variant = `${report.meta.options.vec4Io ? '-vec4' : ''}${wg ? `-wg${wg}` : ''}`;
  return `${report.meta.runtime}-${adapter}${fallback}-${date}${variant}`;
}

/**
 * The results in `files` (names) that are older runs of `stem`'s kind: the same name but for the date (same runtime,
 * adapter, fallback and variant), .json or .md. The folder keeps one result per kind; git keeps the history.
 */
export function olderResults(stem: string, files: readonly string[]): string[] {
  const m = /^(.*-)\d{8}-\d{4}((?:-vec4)?(?:-wg\d+)?)$/.exec(stem);
  if (!m) return [];
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const kind = new RegExp(`^${escape(m[1]!)}\\d{8}-\\d{4}${escape(m[2]!)}\\.(json|md)$`);
  return files.filter((name) => kind.test(name) && !name.startsWith(`${stem}.`));
}

/** Delete the older results of `stemPath`'s kind from its folder (after the new ones are written); their names. */
export function replaceOlderResults(stemPath: string): string[] {
  const folder = dirname(stemPath);
  const older = olderResults(basename(stemPath), readdirSync(folder));
  for (const name of older) rmSync(join(folder, name));
  return older;
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.meta;
  const withGpu = report.cases.some((c) => c.results.roofline?.gpuMs !== undefined);
  const head = ['op', 'shape', 'xentropy ms', 'GB/s', 'roofline ms', 'GB/s', '% of roofline', 'tfjs ms', 'speedup vs tfjs', 'CPU ref ms'];
  if (withGpu) head.push('xentropy GPU ms', 'roofline GPU ms');
  const lines = [
    `Adapter: ${adapterLabel(report)} (${m.runtime}; features: ${m.adapter?.features.join(', ') || 'none'}; engine tuning: ${m.tuning ?? '—'}, workgroups <= ${m.workgroupSize ?? '—'}${m.options.vec4Io ? '; vec4 I/O' : ''})`,
    `Date: ${m.date}. Timing: ${m.timing}. Samples: up to ${m.options.repeats} per contender (at least ${m.options.minRepeats}), ` +
      `${m.minSampleMs > 0 ? `each at least ${m.minSampleMs} ms of back-to-back calls` : 'one call each'}; waiting for the GPU: ${m.poll}.`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => ' --- ').join('|')}|`,
  ];
  const footnotes = new Set<string>();
  for (const c of report.cases) {
    const r = c.results;
    let cpu = r.cpu?.invalid ? '**INVALID**' : fmtMs(r.cpu?.ms);
    if (r.cpu?.note) {
      cpu += ' ¹';
      footnotes.add(`¹ CPU reference: ${r.cpu.note.replace(/: \d+ > /, ': more elements than ')}.`);
    }
    const few = (ms: string, result: typeof r.tfjs) => {
      if (result?.invalid) return '**INVALID**';
      if (!result || result.note === undefined || result === r.cpu) return ms;
      footnotes.add(`² fewer samples than --repeats (the count is in brackets): one call takes more than --budget-s / --repeats.`);
      return `${ms} ²(${result.samples.length})`;
    };
    const row = [opLabel(c), c.shape, few(fmtMs(r.xentropy?.ms), r.xentropy), fmt(r.xentropy?.gbps), few(fmtMs(r.roofline?.ms), r.roofline), fmt(r.roofline?.gbps), fmt(c.percentOfRoofline, 0, '%'), few(fmtMs(r.tfjs?.ms), r.tfjs), fmt(c.speedupVsTfjs, 1, '×'), cpu];
    if (withGpu) row.push(fmtMs(r.xentropy?.gpuMs), fmtMs(r.roofline?.gpuMs));
    lines.push(`| ${row.join(' | ')} |`);
  }
  lines.push('');
  lines.push(
    'GB/s: bytes an ideal kernel moves (logits read, plus output/gradient written for log-softmax and CE fwd+bwd, 2 bytes a value for f16; the 4-byte-per-row targets not counted) / time. ' +
      '% of roofline: roofline time / xentropy time (roofline: vec4 copy of N*C floats for ops that write, vec4 read-and-reduce for CE fwd and the sum). ' +
      'speedup vs tfjs: tfjs time / xentropy time (tfjs builds one-hot labels inside the timed call: it has no class-index form).' +
      (withGpu ? ' GPU ms: the same calls timed by timestamp queries (xentropy: the compute pass holding a call\'s dispatches, as unprofiled; the roofline: its dispatch; the wall-clock overhead is the difference).' : ''),
  );
  for (const f of footnotes) lines.push('', f);
  lines.push('', ...targetLines(report));
  for (const note of m.notes) lines.push('', `Note: ${note}`);
  for (const failure of report.failures) lines.push('', `**VALIDATION FAILED** (not timed): ${failure.replace(/\n/g, ' ')}`);
  return lines.join('\n');
}

function opLabel(c: CaseResult): string {
  return { 'log-softmax': 'log-softmax', 'ce-fwd': 'CE fwd', 'ce-fwd-bwd': 'CE fwd+bwd', 'ce-fwd-bwd-f16': 'CE fwd+bwd f16', sum: 'sum' }[c.op];
}

/** The performance targets, checked on this run's numbers (each line says which adapter kind the target is for). */
function targetLines(report: BenchReport): string[] {
  const fused = report.cases.filter((c) => c.op === 'ce-fwd-bwd' && c.results.xentropy && !c.results.xentropy.invalid);
  const count = (cases: CaseResult[], ok: (c: CaseResult) => boolean) => `${cases.filter(ok).length}/${cases.length}`;
  const lines = ['Performance targets on this run:'];
  if (fused.length) {
    lines.push(`- CE fwd+bwd at least 10× faster than tfjs (SwiftShader target): ${count(fused, (c) => (c.speedupVsTfjs ?? 0) >= 10)} cases`);
    lines.push(`- CE fwd+bwd at most 2× the roofline's time (SwiftShader target): ${count(fused, (c) => (c.percentOfRoofline ?? 0) >= 50)} cases`);
    const large = fused.filter((c) => Number(c.shape.split('x')[1]) >= 32000);
    if (large.length) {
      lines.push(
        `- CE fwd+bwd at 70% or more of the copy bandwidth on large vocabularies, C >= 32000 (real-GPU target; the copy here is ` +
          `the WGSL roofline, PyTorch's copy_ is in the anchor): ${count(large, (c) => (c.percentOfRoofline ?? 0) >= 70)} cases`,
      );
    }
  }
  const sums = report.cases.filter((c) => c.op === 'sum' && c.results.xentropy && !c.results.xentropy.invalid);
  if (sums.length) lines.push(`- sum at 70% or more of the read-only roofline (SwiftShader target): ${count(sums, (c) => (c.percentOfRoofline ?? 0) >= 70)} cases`);
  const invalid = report.cases.filter((c) => c.results.xentropy?.invalid).length;
  lines.push(`- results equal to the CPU reference within the tolerance: ${invalid === 0 ? 'every case' : `${invalid} case(s) not`}`);
  return lines;
}
