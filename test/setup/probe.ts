/**
 * Run by vitest.config.ts in a child process (Dawn's threads stay out of vitest's own process): which Node adapters
 * this machine has. Prints one JSON line: { hardware?, swiftshader?, llvmpipe? }, each the adapter's description.
 * 'hardware' is a GPU through Dawn's default backend (Vulkan, Metal or D3D12), never a CPU one (lavapipe, WARP).
 */
import { acquireDevice, type NodeAdapter } from '../../src/gpu/adapter.js';

const found: Record<string, string> = {};
const keep: unknown[] = [];
for (const [name, choice] of [
  ['hardware', 'vulkan'],
  ['swiftshader', 'swiftshader'],
  ['llvmpipe', 'llvmpipe'],
] as const) {
  try {
    const acquired = await acquireDevice(choice as NodeAdapter);
    if (!acquired) continue;
    keep.push(acquired.keepAlive);
    const { info } = acquired;
    if (name !== 'hardware' || !info.cpuBased)
      found[name] = info.description || info.device || info.architecture || info.vendor || name;
    acquired.device.destroy();
  } catch {
    // an adapter that cannot give a device counts as absent
  }
}
console.log(JSON.stringify(found));
process.exit(0);
