// The browser bench's choices without a browser: Chrome's flags for each adapter and platform (bench/chromium.ts),
// --adapter, what counts as a software adapter, and how the header and the result file name report the adapter that
// ran (bench/report.ts). `npm run bench:browser` itself needs a GPU for the hardware path; these machines have none.
import { describe, expect, it } from 'vitest';
import { chromiumArgs, isSoftwareAdapter, takeAdapterFlag } from '../../bench/chromium.js';
import type { BenchReport, BrowserRun } from '../../bench/core.js';
import { browserAdapterLine, resultStem } from '../../bench/report.js';

const QUIET = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];
const WEBGPU = [...QUIET, '--enable-unsafe-webgpu', '--enable-webgpu-developer-features'];

describe("Chrome's flags", () => {
  it('hardware: Vulkan without a surface on Linux, the default backend (Metal, D3D12) on macOS and Windows', () => {
    expect(chromiumArgs('hardware', 'linux')).toEqual([
      ...WEBGPU,
      '--enable-features=Vulkan',
      '--use-angle=vulkan',
      '--disable-vulkan-surface',
    ]);
    expect(chromiumArgs('hardware', 'darwin')).toEqual(WEBGPU);
    expect(chromiumArgs('hardware', 'win32')).toEqual(WEBGPU);
  });

  it('SwiftShader on every platform (over Vulkan on Linux); no WebGPU at all', () => {
    expect(chromiumArgs('swiftshader', 'linux')).toEqual([
      ...WEBGPU,
      '--use-webgpu-adapter=swiftshader',
      '--enable-features=Vulkan',
    ]);
    expect(chromiumArgs('swiftshader', 'darwin')).toEqual([...WEBGPU, '--use-webgpu-adapter=swiftshader']);
    expect(chromiumArgs('none', 'linux')).toEqual([
      ...QUIET,
      '--disable-gpu',
      '--disable-webgpu',
      '--disable-features=WebGPU',
    ]);
  });

  it('no hardware flag ever names SwiftShader, and every WebGPU launch turns timestamp rounding off', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(chromiumArgs('hardware', platform).join(' ')).not.toMatch(/swiftshader/);
      for (const adapter of ['hardware', 'swiftshader'] as const)
        expect(chromiumArgs(adapter, platform)).toContain('--enable-webgpu-developer-features');
    }
  });
});

describe('--adapter', () => {
  it('auto by default; =VALUE or VALUE; the other flags are left for the bench', () => {
    expect(takeAdapterFlag(['--quick'])).toEqual({ adapter: 'auto', rest: ['--quick'] });
    expect(takeAdapterFlag(['--adapter=swiftshader', '--quick'])).toEqual({
      adapter: 'swiftshader',
      rest: ['--quick'],
    });
    expect(takeAdapterFlag(['--quick', '--adapter', 'hardware', '--repeats=2'])).toEqual({
      adapter: 'hardware',
      rest: ['--quick', '--repeats=2'],
    });
  });

  it("refuses an adapter the browser does not have (llvmpipe is Node's)", () => {
    expect(() => takeAdapterFlag(['--adapter=llvmpipe'])).toThrow(
      "--adapter: 'llvmpipe' is not one of auto, hardware, swiftshader",
    );
    expect(() => takeAdapterFlag(['--adapter'])).toThrow("--adapter: '' is not one of");
  });
});

describe('software adapters', () => {
  it('SwiftShader as Chrome reports it, CPU types and fallback adapters are software; an NVIDIA GPU is not', () => {
    expect(isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', description: '' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: '', architecture: '', description: '', type: 'CPU' })).toBe(true);
    expect(
      isSoftwareAdapter({ vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' }),
    ).toBe(true);
    expect(
      isSoftwareAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' }),
    ).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'x', architecture: 'y', description: 'z', isFallbackAdapter: true })).toBe(true);
    expect(
      isSoftwareAdapter({
        vendor: 'nvidia',
        architecture: 'hopper',
        description: 'NVIDIA H200',
        type: 'discrete GPU',
        backend: 'vulkan',
      }),
    ).toBe(false);
  });
});

describe('the header and the file name say which adapter ran', () => {
  const report = (browser: BrowserRun | undefined, architecture: string, vendor: string) =>
    ({
      meta: {
        runtime: 'browser',
        browser,
        adapter: {
          source: 'browser',
          architecture,
          vendor,
          description: '',
          device: '',
          featureLevel: 'core',
          features: [],
          cpuBased: false,
        },
        date: '2026-12-03T06:50:12.345Z',
        options: { vec4Io: false, maxWorkgroupSize: undefined },
      },
    }) as unknown as BenchReport;

  it("the machine's GPU", () => {
    const run: BrowserRun = { requested: 'auto', ran: 'hardware', timestamps: 'exact' };
    expect(browserAdapterLine(run, 'nvidia · hopper')).toBe(
      "WebGPU on the machine's GPU (nvidia · hopper); GPU timestamps exact",
    );
    expect(resultStem(report(run, 'hopper', 'nvidia'))).toBe('browser-hopper-20261203-0650');
  });

  it('SwiftShader after a fallback: said in the header and in the file name', () => {
    const run: BrowserRun = {
      requested: 'auto',
      ran: 'swiftshader',
      fallback: 'Chrome found no GPU adapter',
      timestamps: 'exact',
    };
    expect(browserAdapterLine(run, 'google · swiftshader')).toBe(
      'WebGPU on SwiftShader, a software adapter (fallback: Chrome found no GPU adapter); GPU timestamps exact',
    );
    expect(resultStem(report(run, 'swiftshader', 'google'))).toBe('browser-swiftshader-fallback-20261203-0650');
  });

  it('SwiftShader asked for, with rounded timestamps: no fallback in the name', () => {
    const run: BrowserRun = { requested: 'swiftshader', ran: 'swiftshader', timestamps: 'rounded' };
    expect(browserAdapterLine(run, 'google · swiftshader')).toBe(
      'WebGPU on SwiftShader, a software adapter (--adapter swiftshader); ' +
        'GPU timestamps rounded to ~100 µs (GPU ms columns are coarse)',
    );
    expect(resultStem(report(run, 'swiftshader', 'google'))).toBe('browser-swiftshader-20261203-0650');
  });
});
