/** Where the bench's tfjs aliases (bench/tfjs-modules.d.ts) point: for bench/vite.config.ts and bench/browser.ts. */
export const TFJS_ALIASES = [
  { find: /^bench-tfjs\/core$/, replacement: '@tensorflow/tfjs-core' },
  { find: /^bench-tfjs\/gradients$/, replacement: '@tensorflow/tfjs-core/dist/register_all_gradients' },
  { find: /^bench-tfjs\/webgpu$/, replacement: '@tensorflow/tfjs-backend-webgpu' },
];
