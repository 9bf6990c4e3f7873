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

export type Source = AdapterInfo['source'];

/**
 * What createEngine asks an adapter for when it requests the device itself: the optional features the kernels use
 * ('subgroups', 'shader-f16', 'timestamp-query') where the adapter has them, and the adapter's own (largest) limits on
 * buffer sizes and workgroups. Pass it to `adapter.requestDevice()` to make a device of your own that the engine
 * runs on as well as on one it requested (`createEngine({ device })`); any device works, with smaller limits only
 * smaller problems do.
 */
export function deviceDescriptor(
  adapter: GPUAdapter,
): GPUDeviceDescriptor & { requiredFeatures: GPUFeatureName[]; requiredLimits: Record<string, number> } {
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) {
    const value = (adapter.limits as unknown as Record<string, number | undefined>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const requiredFeatures = WANTED_FEATURES.filter((f) => adapter.features.has(f));
  return { requiredFeatures, requiredLimits, label: 'xentropy' };
}

/** Request a device with the adapter's larger limits and the optional features it has. */
export async function deviceFrom(
  adapter: GPUAdapter,
  source: Source,
  featureLevel: AdapterInfo['featureLevel'],
  keepAlive: unknown,
): Promise<AcquiredDevice> {
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

/** Browser: navigator.gpu, core first, then compatibility mode. */
async function browserDevice(): Promise<AcquiredDevice | null> {
  const gpu = (globalThis as { navigator?: Navigator }).navigator?.gpu;
  if (!gpu) return null;
  const core = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (core) return deviceFrom(core, 'browser', 'core', null);
  const compat = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
  return compat ? deviceFrom(compat, 'browser', 'compatibility', null) : null;
}

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

/** The best WebGPU device this environment has, or null. */
export async function acquireDevice(choice: NodeAdapter = 'auto'): Promise<AcquiredDevice | null> {
  const fromBrowser = await browserDevice();
  if (fromBrowser) return fromBrowser;
  if (!isNode()) return null;
  // Dawn's lookup is loaded in Node only, so that browser applications do not ship it.
  const { nodeDevice } = await import('./nodeAdapter.js');
  return nodeDevice(choice);
}
