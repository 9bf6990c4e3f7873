// How the test projects pick their adapters (test/setup/adapters.ts) and how the browser is found (bench/chromium.ts):
// the decisions alone, on made-up machines; `npm test`'s adapter summary shows them on the real one.
import { describe, expect, it } from 'vitest';
import { findChromium, NO_CHROMIUM } from '../../bench/chromium.js';
import { planAdapters, type Probe } from '../setup/adapters.js';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const plan = (probe: Probe, browser: () => string = () => '/usr/bin/chromium (system)') =>
  Object.fromEntries(planAdapters(probe, browser, ICD).map((p) => [p.project, p]));

describe('test projects and their adapters', () => {
  it('every adapter there: each project runs on its own, nothing missing', () => {
    const p = plan({ hardware: 'NVIDIA H200', swiftshader: 'SwiftShader', llvmpipe: 'Mesa' });
    expect(Object.values(p).map((x) => [x.project, x.found, x.missing, x.skip])).toEqual([
      ['swiftshader', 'SwiftShader', undefined, undefined],
      ['llvmpipe', 'Mesa', undefined, undefined],
      ['hardware', 'NVIDIA H200', undefined, undefined],
      ['browser', '/usr/bin/chromium (system), WebGPU on SwiftShader', undefined, undefined],
    ]);
    expect(p.hardware!.adapter).toBe('vulkan');
  });

  it('no GPU and no SwiftShader (a fresh Debian machine): the swiftshader project fails, naming the packages', () => {
    const p = plan({ llvmpipe: 'Mesa' });
    expect(p.swiftshader!.found).toBeUndefined();
    expect(p.swiftshader!.skip).toBe(false);
    expect(p.swiftshader!.missing).toContain('apt-get install chromium libvulkan1');
    expect(p.swiftshader!.missing).toContain(ICD);
    expect(p.llvmpipe!.found).toBe('Mesa');
    expect(p.hardware!.skip).toBe(true); // the software adapters took the GPU tests
  });

  it('a hardware GPU alone (a workstation): the software projects are skipped, saying where tests ran', () => {
    const p = plan({ hardware: 'Apple M2' });
    expect(p.hardware!.found).toBe('Apple M2');
    for (const name of ['swiftshader', 'llvmpipe']) {
      expect(p[name]!.skip, name).toBe(true);
      expect(p[name]!.missing).toMatch(/ran on the hardware adapter \(Apple M2\)/);
    }
  });

  it('no browser: the browser project fails with what to install', () => {
    const p = plan({ swiftshader: 'SwiftShader' }, () => {
      throw new Error(NO_CHROMIUM);
    });
    expect(p.browser!.found).toBeUndefined();
    expect(p.browser!.skip).toBeUndefined();
    expect(p.browser!.missing).toMatch(/npx puppeteer browsers install chrome/);
  });
});

describe('findChromium', () => {
  const has =
    (...paths: string[]) =>
    (path: string) =>
      paths.includes(path);
  const managed = () => '/root/.cache/puppeteer/chrome/linux-1/chrome';

  it('XENTROPY_CHROMIUM first, and a clear error when it names nothing', () => {
    expect(findChromium({ XENTROPY_CHROMIUM: '/opt/c' }, has('/opt/c', '/usr/bin/chromium'), managed)).toEqual({
      path: '/opt/c',
      source: 'XENTROPY_CHROMIUM',
    });
    expect(() => findChromium({ XENTROPY_CHROMIUM: '/opt/c' }, has('/usr/bin/chromium'), managed)).toThrow(
      'XENTROPY_CHROMIUM=/opt/c: no such file',
    );
  });

  it("then the system's chromium, then the Chrome puppeteer manages, else what to install", () => {
    expect(findChromium({}, has('/usr/bin/chromium', managed()), managed)).toEqual({
      path: '/usr/bin/chromium',
      source: 'system',
    });
    expect(findChromium({}, has(managed()), managed)).toEqual({ path: managed(), source: 'puppeteer' });
    expect(() => findChromium({}, has(), managed)).toThrow(NO_CHROMIUM);
    expect(() =>
      findChromium({}, has(), () => {
        throw new Error('no platform');
      }),
    ).toThrow(NO_CHROMIUM);
  });
});
