/**
 * The subgroup probe kernel (shaders/subgroup_probe.wgsl), run once per engine on devices with 'subgroups': loaded
 * then by GpuContext.enableSubgroups, which registers it (see src/shaders.ts).
 */
import subgroupProbe from '../../shaders/subgroup_probe.wgsl?raw';
import { registerKernel } from '../shaders.js';

export function registerSubgroupProbe(): void {
  registerKernel('subgroup_probe', () => subgroupProbe);
}
