/**
 * Which adapter each GPU test project runs on, decided once when vitest loads its config: the adapters this machine
 * has (probe.ts, in a child process) and the browser (bench/chromium.ts). A project whose adapter is missing fails,
 * each file saying what to install (missing.ts), or, where another adapter ran the GPU tests, runs one skipped test
 * naming the reason (missing.test.ts). A GPU test never falls back to the CPU.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findChromium } from '../../bench/chromium.js';
import { SWIFTSHADER_ICD } from '../../src/gpu/nodeAdapter.js';

/** The adapters probe.ts found, by project name, each with its description. */
export type Probe = Partial<Record<'hardware' | 'swiftshader' | 'llvmpipe', string>>;

export interface ProjectAdapter {
  /** The vitest project. */
  project: 'hardware' | 'swiftshader' | 'llvmpipe' | 'browser';
  /** XENTROPY_ADAPTER for the project's tests (createEngine's `adapter`). */
  adapter: string;
  /** What the tests run on, when it is there. */
  found?: string;
  /** Why it is not, and what to install. */
  missing?: string;
  /** Missing, and skipped rather than failed: another adapter took the GPU tests (a hardware GPU, or for the
   * hardware project the software adapters). */
  skip?: boolean;
}

const DEBIAN_SWIFTSHADER = 'apt-get install chromium libvulkan1';
const DEBIAN_LLVMPIPE = 'apt-get install libegl1 libgles2 libegl-mesa0 libgl1-mesa-dri';

/** Run probe.ts; any failure of the probe itself reads as "no adapter" (the projects then say what is missing). */
export function probeAdapters(): Probe {
  const probe = fileURLToPath(new URL('./probe.ts', import.meta.url));
  const run = spawnSync(process.execPath, ['--import', 'tsx', probe], { encoding: 'utf8', timeout: 60_000 });
  const line = run.stdout?.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Probe;
  } catch {
    return {};
  }
}

/** Each GPU project's adapter from a probe; `browser` is the browser found (or the error saying there is none). */
export function planAdapters(probe: Probe, browser: () => string, icd: string): ProjectAdapter[] {
  const hardware = probe.hardware;
  const instead = hardware ? `; the GPU tests ran on the hardware adapter (${hardware})` : '';
  const plan: ProjectAdapter[] = [
    {
      project: 'swiftshader',
      adapter: 'swiftshader',
      found: probe.swiftshader,
      missing:
        `no SwiftShader adapter: it needs Chromium's SwiftShader Vulkan driver (${icd}, or ` +
        `XENTROPY_SWIFTSHADER_ICD) and the Vulkan loader (on Debian: ${DEBIAN_SWIFTSHADER}; npm test's pretest does ` +
        `it as root)${instead}`,
    },
    {
      project: 'llvmpipe',
      adapter: 'llvmpipe',
      found: probe.llvmpipe,
      missing: `no llvmpipe adapter: it needs Mesa's EGL and OpenGL ES (on Debian: ${DEBIAN_LLVMPIPE})${instead}`,
    },
    {
      project: 'hardware',
      adapter: 'vulkan',
      found: hardware,
      missing: 'no hardware GPU adapter (Vulkan, Metal or D3D12); the GPU tests ran on the software adapters above',
      skip: true,
    },
  ];
  for (const p of plan) {
    if (p.found) {
      delete p.missing;
      delete p.skip;
    } else {
      p.skip ||= hardware !== undefined;
    }
  }
  let chromium: ProjectAdapter;
  try {
    chromium = { project: 'browser', adapter: 'swiftshader', found: `${browser()}, WebGPU on SwiftShader` };
  } catch (error) {
    chromium = { project: 'browser', adapter: 'swiftshader', missing: (error as Error).message };
  }
  return [...plan, chromium];
}

/** The plan for this machine. */
export function machineAdapters(): ProjectAdapter[] {
  const icd = process.env.XENTROPY_SWIFTSHADER_ICD ?? SWIFTSHADER_ICD;
  return planAdapters(
    probeAdapters(),
    () => {
      const found = findChromium();
      return `${found.path} (${found.source})`;
    },
    icd,
  );
}
