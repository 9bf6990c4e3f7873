/**
 * Node: a device from Dawn's bindings (npm `webgpu`), trying the adapters in order of preference: a real GPU over
 * Vulkan, SwiftShader (core WebGPU on the CPU, shipped in Debian's chromium package), Mesa llvmpipe over OpenGL ES in
 * compatibility mode. Loaded by src/gpu/adapter.ts in Node only.
 */
import { deviceFrom, type AcquiredDevice, type NodeAdapter } from './adapter.js';

/** Default path of the SwiftShader Vulkan driver in Debian's chromium package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

function isSwiftShader(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  return /swiftshader/i.test(`${info?.architecture} ${info?.description} ${info?.device}`);
}

/** Import a Node-only module; the variable specifier keeps browser bundlers from trying to resolve it. */
function nodeImport(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ specifier);
}

/** The part of the `webgpu` package used here (not its `globals`: the engine installs nothing on globalThis). */
interface DawnModule {
  create(options: string[]): GPU;
}

/** Node: Dawn's bindings, trying the adapters in order of preference. */
export async function nodeDevice(choice: NodeAdapter): Promise<AcquiredDevice | null> {
  let dawn: DawnModule;
  try {
    dawn = (await nodeImport('webgpu')) as DawnModule;
  } catch {
    return null;
  }
  // The drivers read these variables while the adapter and device are made; they are put back as they were afterwards,
  // so that the engine changes nothing in the process that the caller did not ask for.
  const env = process.env;
  const saved = ENV_SET.map((name) => [name, env[name]] as const);
  try {
    return await findDevice(dawn, choice);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
  }
}

/** Environment variables the lookup sets (see nodeDevice). */
const ENV_SET = ['XDG_RUNTIME_DIR', 'VK_ICD_FILENAMES', 'EGL_PLATFORM'] as const;

async function findDevice(dawn: DawnModule, choice: NodeAdapter): Promise<AcquiredDevice | null> {
  const env = process.env;
  // Silences a harmless Dawn warning.
  env.XDG_RUNTIME_DIR ??= ((await nodeImport('node:os')) as typeof import('node:os')).tmpdir();
  const { existsSync } = (await nodeImport('node:fs')) as typeof import('node:fs');

  // Extra dawn.node options, space-separated (e.g. 'disable-dawn-features=timestamp_quantization': the benchmarks use it
  // so timestamp queries are not rounded to ~65 us).
  const extra = (env.XENTROPY_DAWN_OPTIONS ?? '').split(/\s+/).filter((o) => o !== '');
  if (choice === 'auto' || choice === 'vulkan') {
    const gpu = dawn.create([...extra]);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (adapter) {
      const source = isSwiftShader(adapter) ? 'swiftshader' : 'vulkan';
      if (choice === 'auto' || source === 'vulkan') return deviceFrom(adapter, source, 'core', gpu);
    }
    if (choice === 'vulkan') return null;
  }
  if (choice === 'auto' || choice === 'swiftshader') {
    const icd = env.XENTROPY_SWIFTSHADER_ICD ?? SWIFTSHADER_ICD;
    // Never overwrite a driver choice the user made, except when SwiftShader was asked for by name.
    if (existsSync(icd) && (choice === 'swiftshader' || env.VK_ICD_FILENAMES === undefined)) {
      env.VK_ICD_FILENAMES = icd;
      const gpu = dawn.create([...extra]);
      const adapter = await gpu.requestAdapter();
      if (adapter) return deviceFrom(adapter, 'swiftshader', 'core', gpu);
    }
    if (choice === 'swiftshader') return null;
  }
  env.EGL_PLATFORM ??= 'surfaceless';
  const gpu = dawn.create(['backend=opengles', ...extra]);
  const adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  return adapter ? deviceFrom(adapter, 'llvmpipe', 'compatibility', gpu) : null;
}

