/** Uniform parameters are u32 words (src/gpu/context.ts Batch.dispatch); an f32 field is passed as its bit pattern. */
const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

export function f32Bits(value: number): number {
  scratch[0] = value;
  return scratchBits[0]!;
}
