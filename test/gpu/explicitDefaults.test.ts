// An option's default passed explicitly means the same as leaving it out: for every op and every option, the call
// with the default value (and with `undefined`) gives the same result, bit for bit, as the call without it, on the
// host form of the GPU and CPU backends, on engine.gpu, and recorded into a caller's encoder (engine.gpu.encodeInto).
import { describe, expect, it } from 'vitest';
import { createEngine, GpuTensor, type Engine } from '../../src/index.js';
import { classTargets, normal, softTargets } from '../helpers/data.js';
import { useGpuEngine } from '../helpers/engine.js';

const getEngine = useGpuEngine();
const cpu = await createEngine({ backend: 'cpu' });

type Options = Record<string, unknown>;
type Form = 'host' | 'gpu' | 'encoder';

interface OpCase {
  label: string;
  /** The op's options without the ones under test. */
  base: Options;
  /** Each option with its default value(s). */
  defaults: Record<string, readonly unknown[]>;
  /** Options only the GPU-resident forms take. */
  gpuDefaults?: Record<string, readonly unknown[]>;
  forms: readonly Form[];
  run(e: Engine, form: Form, options: Options): Promise<Record<string, unknown>>;
}

const [rows, cols] = [4, 6];
const shape = [rows, cols];
const x = normal(rows * cols, 2, 1);
const labels = classTargets(rows, cols, 2);
const soft = softTargets(rows, cols, 3);
const probs = softTargets(rows, cols, 4);
const binary = Float32Array.from({ length: rows * cols }, (_, i) => (i % 3) / 2);
const sigmoid = x.map((v) => 1 / (1 + Math.exp(-v)));
const logProbs = probs.map(Math.log);

/** A host result, or GPU tensors read back (and released), as plain values. */
async function settle(result: unknown): Promise<Record<string, unknown>> {
  if (result instanceof GpuTensor) return { out: await readAndRelease(result) };
  if (typeof result === 'number' || result instanceof Float32Array) return { out: result };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(result as object)) {
    out[key] = value instanceof GpuTensor ? await readAndRelease(value) : value;
  }
  return out;
}

async function readAndRelease(t: GpuTensor): Promise<Float32Array> {
  const values = (await t.read()) as Float32Array;
  t.release();
  return values;
}

type Operand = Float32Array | Int32Array;
type Outputs = Record<string, unknown>;
type Method = (...args: unknown[]) => unknown;

/** `target[op]` as a function of its arguments. */
function method(target: object, op: string): Method {
  return (...args) => (target as Record<string, Method>)[op]!.apply(target, args);
}

/** Run `op` by name on the chosen form: host data on the engine, uploaded tensors on engine.gpu or an encoding. */
async function call(e: Engine, form: Form, op: string, args: readonly Operand[], options: Options): Promise<Outputs> {
  if (form === 'host') return settle(await method(e, op)(...args, options));
  const tensors = args.map((a) => e.gpu.upload(a));
  try {
    if (form === 'gpu') return settle(await method(e.gpu, op)(...tensors, options));
    const encoder = e.device!.createCommandEncoder();
    const encoding = e.gpu.encodeInto(encoder);
    const result = method(encoding, op)(...tensors, options);
    e.device!.queue.submit([encoder.finish()]);
    await encoding.submitted();
    return settle(result);
  } finally {
    for (const t of tensors) t.release();
  }
}

const ALL: readonly Form[] = ['host', 'gpu', 'encoder'];
const loss = { reduction: ['mean', undefined], grad: [true, undefined] };
const nll = { ...loss, ignoreIndex: [-100, undefined], weight: [undefined], classDim: [1, -1, undefined] };
const smoothing = { labelSmoothing: [0, undefined], zLoss: [0, undefined], softcap: [undefined] };
const crossEntropy = { ...nll, ...smoothing, inputs: ['logits', undefined] };
const gradOut = { gradOut: [undefined] };
const inPlace = { ...gradOut, inPlace: [false, undefined] };
type Defaults = OpCase['defaults'];

/** A case for `op` on `args`: its options at their defaults, and those only the GPU-resident forms take. */
function opCase(label: string, op: string, args: readonly Operand[], defaults: Defaults, gpuDefaults: Defaults,
  extra: Partial<OpCase> = {}): OpCase {
  const run = (e: Engine, f: Form, o: Options) => call(e, f, op, args, o);
  return { label, base: { shape }, defaults, gpuDefaults, forms: ALL, run, ...extra };
}

const bceDefaults = { ...loss, weight: [undefined], posWeight: [undefined] };
const linearDefaults = { ...loss, ...smoothing, ignoreIndex: [-100, undefined], bias: [undefined] };
const linearAll = { ...linearDefaults, classWeight: [undefined] };
const linearArgs = [x, normal(5 * cols, 1, 5), classTargets(rows, 5, 6)];
const cases: OpCase[] = [
  opCase('logSoftmax', 'logSoftmax', [x], {}, { out: [undefined] }),
  opCase('softmax', 'softmax', [x], {}, { out: [undefined] }),
  opCase('crossEntropy, class indices', 'crossEntropy', [x, labels], crossEntropy, inPlace),
  opCase('crossEntropy, probability targets', 'crossEntropy', [x, soft], crossEntropy, inPlace),
  opCase('crossEntropy, probability inputs', 'crossEntropy', [probs, labels], { ...nll, ...smoothing }, inPlace, {
    base: { shape, inputs: 'probabilities' },
  }),
  opCase('nllLoss', 'nllLoss', [logProbs, labels], nll, inPlace),
  opCase('binaryCrossEntropyWithLogits', 'binaryCrossEntropyWithLogits', [x, binary], bceDefaults, gradOut),
  opCase('binaryCrossEntropy', 'binaryCrossEntropy', [sigmoid, binary], { ...loss, weight: [undefined] }, gradOut),
  opCase('entropy', 'entropy', [probs], loss, gradOut),
  opCase('klDiv', 'klDiv', [logProbs, soft], { ...loss, logTarget: [false, undefined] }, gradOut),
  // Several submissions: no encoder form.
  opCase('linearCrossEntropy', 'linearCrossEntropy', linearArgs, linearAll, {}, { forms: ['host', 'gpu'] }),
  // The host form takes no options.
  opCase('sum', 'sum', [x], {}, { out: [undefined] }, { base: {}, forms: ['gpu', 'encoder'] }),
];

describe('an option at its default means the same as leaving it out', () => {
  for (const c of cases) {
    it(c.label, async () => {
      const gpu = getEngine();
      const engines: [string, Engine, readonly Form[]][] = [
        ['cpu', cpu, c.forms.includes('host') ? ['host'] : []],
        ['webgpu', gpu, c.forms],
      ];
      let checked = 0;
      for (const [name, e, forms] of engines) {
        for (const form of forms) {
          const omitted = await c.run(e, form, c.base);
          const options = { ...c.defaults, ...(form === 'host' ? {} : c.gpuDefaults) };
          for (const [option, values] of Object.entries(options)) {
            for (const value of values) {
              const explicit = await c.run(e, form, { ...c.base, [option]: value });
              expect(explicit, `${c.label} on ${name} (${form}): ${option}: ${String(value)}`).toEqual(omitted);
              checked++;
            }
          }
          // All at once too.
          const everything = Object.fromEntries(Object.entries(options).map(([k, v]) => [k, v[0]]));
          const all = await c.run(e, form, { ...c.base, ...everything });
          expect(all, `${c.label} on ${name} (${form}): all defaults`).toEqual(omitted);
        }
      }
      expect(checked).toBeGreaterThan(0);
    });
  }

  it('gpu.upload and gpu.wrap: dtype and byteOffset at their defaults', async () => {
    const e = getEngine();
    expect(e.device, 'a WebGPU device (the GPU test projects have one)').not.toBeNull();
    const [a, b] = [e.gpu.upload(x), e.gpu.upload(x, { dtype: 'f32' })];
    expect(await b.read()).toEqual(await a.read());
    const view = { dtype: 'f32' as const, length: x.length };
    const wrapped = [e.gpu.wrap(a.buffer, view), e.gpu.wrap(a.buffer, { ...view, byteOffset: 0 })];
    expect(await wrapped[1]!.read()).toEqual(await wrapped[0]!.read());
    for (const t of [...wrapped, a, b]) t.release();
  });

  it('createEngine: every option at its default, on the same device', async () => {
    const e = getEngine();
    expect(e.device, 'a WebGPU device (the GPU test projects have one)').not.toBeNull();
    const [plain, explicit] = await Promise.all([
      createEngine({ device: e.device! }),
      createEngine({
        device: e.device!,
        backend: 'auto',
        adapter: 'auto',
        tuning: 'auto',
        subgroups: true,
        maxWorkgroupSize: 256,
        shaderF16: true,
        vec4Io: false,
      }),
    ]);
    try {
      for (const key of ['backend', 'tuning', 'subgroups', 'workgroupSize', 'shaderF16'] as const) {
        expect(explicit[key], key).toBe(plain[key]);
      }
      expect(await explicit.crossEntropy(x, labels, { shape })).toEqual(await plain.crossEntropy(x, labels, { shape }));
    } finally {
      plain.destroy();
      explicit.destroy();
    }
  });
});
