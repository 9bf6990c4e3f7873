/**
 * Finding a WebGPU device: `navigator.gpu` in a browser, Dawn's Node bindings (npm `webgpu`) in Node, where the best
 * adapter that exists is taken: a real GPU over Vulkan, else SwiftShader (core WebGPU on the CPU, shipped in Debian's
 * chromium package), else Mesa llvmpipe over OpenGL ES in compatibility mode. See ../../README.md, "Adapters".
 */

/** Which adapter to use in Node. 'auto' tries vulkan, then swiftshader, then llvmpipe. */
export type NodeAdapter = 'auto' | 'vulkan' | 'swiftshader' | 'llvmpipe';

/** What was chosen, for logs, benchmarks and tests. */
export interface AdapterInfo {
  /** Where the device came from. */
  source: 'browser' | 'vulkan' | 'swiftshader' | 'llvmpipe' | 'external';
  /** 'compatibility' for OpenGL ES / older hardware adapters, else 'core'. */
  featureLevel: 'core' | 'compatibility';
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Features enabled on the device (e.g. 'subgroups', 'shader-f16', 'timestamp-query'). */
  features: string[];
  /** The adapter emulates a GPU on the CPU (SwiftShader, llvmpipe, lavapipe, WARP, or a fallback adapter). */
  cpuBased: boolean;
}

export interface AcquiredDevice {
  device: GPUDevice;
  info: AdapterInfo;
  /** Objects that must stay referenced while the device is used (Dawn's GPU instance in Node). */
  keepAlive: unknown;
}

/** Default path of the SwiftShader Vulkan driver in Debian's chromium package. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Limits the kernels benefit from: ask for whatever the adapter offers. */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupStorageSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Optional features used when present. */
const WANTED_FEATURES: GPUFeatureName[] = ['subgroups', 'shader-f16', 'timestamp-query'];

type Source = AdapterInfo['source'];

/**
 * What createEngine asks an adapter for when it requests the device itself: the optional features the kernels use
 * ('subgroups', 'shader-f16', 'timestamp-query') where the adapter has them, and the adapter's own (largest) limits on
 * buffer sizes and workgroups. Pass it to `adapter.requestDevice()` to make a device of your own that the engine
 * runs on as well as on one it requested (`createEngine({ device })`); any device works, with smaller limits only
 * smaller problems do.
 */
export function deviceDescriptor(adapter: GPUAdapter): GPUDeviceDescriptor & { requiredFeatures: GPUFeatureName[]; requiredLimits: Record<string, number> } {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  return { requiredFeatures, requiredLimits, label: 'xentropy' };
}

/** Request a device with the adapter's larger limits and the optional features it has. */
async function deviceFrom(adapter: GPUAdapter, source: Source, featureLevel: AdapterInfo['featureLevel'], keepAlive: unknown): Promise<AcquiredDevice> {
  const device = await adapter.requestDevice(deviceDescriptor(adapter));
  return { device, info: describe(adapter, device, source, featureLevel), keepAlive };
}

/** Describe a device for `engine.adapterInfo`. */
export function describe(adapter: GPUAdapter | undefined, device: GPUDevice, source: Source, featureLevel: AdapterInfo['featureLevel']): AdapterInfo {
  const info = (adapter?.info ?? (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo) as
    | (GPUAdapterInfo & { isFallbackAdapter?: boolean })
    | undefined;
  const text = `${info?.vendor} ${info?.architecture} ${info?.device} ${info?.description}`;
  return {
    source,
    featureLevel,
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    features: [...device.features].sort(),
    cpuBased: source === 'swiftshader' || source === 'llvmpipe' || info?.isFallbackAdapter === true || /swiftshader|llvmpipe|lavapipe|softpipe|warp/i.test(text),
  };
}

function isSwiftShader(adapter: GPUAdapter): boolean {
  const info = adapter.info;
  return /swiftshader/i.test(`${info?.architecture} ${info?.description} ${info?.device}`);
}

/** Browser: navigator.gpu, core first, then compatibility mode. */
async function browserDevice(): Promise<AcquiredDevice | null> {
  const gpu = (globalThis as { navigator?: Navigator }).navigator?.gpu;
  if (!gpu) return null;
  const core = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (core) return deviceFrom(core, 'browser', 'core', null);
  const compat = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  return compat ? deviceFrom(compat, 'browser', 'compatibility', null) : null;
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
async function nodeDevice(choice: NodeAdapter): Promise<AcquiredDevice | null> {
  let dawn: DawnModule;
  try {
    dawn = (await nodeImport('webgpu')) as DawnModule;
  } catch {
    return null;
  }
  const env = process.env;
  env.XDG_RUNTIME_DIR ??= ((await nodeImport('node:os')) as typeof import('node:os')).tmpdir(); // silences a harmless Dawn warning
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

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The best WebGPU device this environment has, or null. */
export async function acquireDevice(choice: NodeAdapter = 'auto'): Promise<AcquiredDevice | null> {
  const fromBrowser = await browserDevice();
  if (fromBrowser) return fromBrowser;
  return isNode() ? nodeDevice(choice) : null;
}
