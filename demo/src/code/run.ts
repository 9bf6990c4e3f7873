/**
 * A computation (computation.ts) run with the library: the same calls its xentropy snippet makes (snippets.ts), on
 * whichever engine the page has. The values come back in the order the snippets print them.
 */
import type { Engine } from 'xentropy';
import { classesOf, valueOf, type Computation, type Target } from './computation.js';

function targetArray(target: Target): Int32Array | Float32Array {
  return 'indices' in target ? Int32Array.from(target.indices) : Float32Array.from(target.soft.flat(), valueOf);
}

export async function runComputation(engine: Engine, c: Computation): Promise<number[]> {
  if (c.kind === 'binary') {
    const { loss } = await engine.binaryCrossEntropy(Float32Array.from(c.p, valueOf), Float32Array.from(c.y, valueOf), {
      shape: [c.p.length],
    });
    return [loss as number];
  }
  const classes = classesOf(c);
  if (c.kind === 'gradient') {
    const z = Float32Array.from(c.probabilities, (p) => Math.log(valueOf(p)));
    const { grad } = await engine.crossEntropy(z, targetArray(c.target), { shape: [1, classes], reduction: 'sum' });
    return [grad![c.entry]!];
  }
  const input = Float32Array.from(c.rows.flat(), valueOf);
  const options = {
    shape: [c.rows.length, classes],
    ...(c.given === 'probabilities' ? { inputs: 'probabilities' as const } : {}),
  };
  const values: number[] = [];
  for (const reduction of c.reductions) {
    const { loss } = await engine.crossEntropy(input, targetArray(c.target), { ...options, reduction });
    if (typeof loss === 'number') values.push(loss);
    else values.push(...loss);
  }
  return values;
}
