/**
 * The one command-line parser of every bench entry (bench/node.ts, browser.ts, host.ts, huge.ts,
 * linearCrossEntropy.ts, profile.ts, tfjs.ts): Node's `util.parseArgs` (`--name=value` or `--name value`; flags take
 * no value) over option declarations that also give each option's check, default and `--help` line.
 *
 * COMMON declares the options several entries share (--adapter, --cases, --out, --quick, --repeats, --vec4-io, ...);
 * an entry picks those it takes and adds its own. BENCH_OPTIONS (the main bench, Node and browser) and
 * LINEAR_CE_OPTIONS (the fused linear cross-entropy bench, Node and browser) are here because two entries share each.
 * Node only (node:util): the browser bench's page gets options already parsed by its Node driver.
 */
import { parseArgs } from 'node:util';
import type { LinearCeOptions } from './linearCe.js';
import { CONTENDERS, DEFAULT_CASES, OPS, parseCases, QUICK_CASES, type BenchOptions, type Shape } from './options.js';

/** One option: its `--help` line, its default, and how its text becomes a value (throwing names the option). */
export interface Option<T> {
  /** The value's placeholder in `--help` (`LIST`, `N`); none for a flag, which takes no value. */
  arg?: string;
  help: string;
  default: T;
  /** The default as `--help` shows it (absent: the default itself; '' shows none). */
  shown?: string;
  /** The value from its text (a flag from an environment variable: 1, 0, true or false). */
  parse(text: string, name: string): T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a record of options of different value types
export type Options = Record<string, Option<any>>;
export type Values<S extends Options> = { -readonly [K in keyof S]: S[K] extends Option<infer T> ? T : never };

/** A flag: false unless given. */
export function flag(help: string): Option<boolean> {
  return {
    help,
    default: false,
    shown: '',
    parse(text, name) {
      if (text === '' || text === '1' || text === 'true') return true;
      if (text === '0' || text === 'false') return false;
      throw new Error(`--${name}: a flag takes no value (got '${text}')`);
    },
  };
}

/** Any text. */
export function text<D extends string | undefined>(arg: string, help: string, def: D): Option<string | D> {
  return { arg, help, default: def, parse: (value) => value };
}

/** A whole number of at least `min`. */
export function integer<D extends number | undefined>(arg: string, help: string, def: D, min = 0): Option<number | D> {
  return {
    arg,
    help,
    default: def,
    parse(value, name) {
      const v = Number(value);
      if (value.trim() === '' || !Number.isInteger(v) || v < min)
        throw new Error(`--${name}: expected a whole number >= ${min} (got '${value}')`);
      return v;
    },
  };
}

/** A non-negative number. */
export function number(arg: string, help: string, def: number): Option<number> {
  return {
    arg,
    help,
    default: def,
    parse(value, name) {
      const v = Number(value);
      if (value.trim() === '' || !(v >= 0) || !Number.isFinite(v))
        throw new Error(`--${name}: expected a non-negative number (got '${value}')`);
      return v;
    },
  };
}

/** One of `values`. */
export function choice<C extends string>(values: readonly C[], help: string, def: C): Option<C> {
  return {
    arg: values.join('|'),
    help,
    default: def,
    parse(value, name) {
      if (!values.includes(value as C)) throw new Error(`--${name}: '${value}' is not one of ${values.join(', ')}`);
      return value as C;
    },
  };
}

/** A comma-separated list of `values` (at least one). */
export function list<C extends string>(values: readonly C[], help: string, def: readonly C[]): Option<C[]> {
  return {
    arg: 'LIST',
    help: `${help}: ${values.join(',')}`,
    default: [...def],
    shown: def.length === values.length ? 'all' : def.join(','),
    parse(value, name) {
      const items = value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      for (const item of items)
        if (!values.includes(item as C))
          throw new Error(`--${name}: unknown '${item}' (expected ${values.join(', ')})`);
      if (items.length === 0) throw new Error(`--${name}: empty list`);
      return items as C[];
    },
  };
}

/** `--cases`: RxC for the row ops, N for the sum (`rowsOnly`: RxC only). */
export function cases(help: string, def: string, rowsOnly = false): Option<Shape[]> {
  return {
    arg: 'LIST',
    help,
    default: parseCases(def),
    shown: def,
    parse(value, name) {
      const shapes = parseCases(value);
      if (shapes.length === 0) throw new Error(`--${name}: no case in '${value}'`);
      if (rowsOnly && shapes.some((s) => 'n' in s))
        throw new Error(`--${name}: expected ROWSxCOLS cases (got '${value}')`);
      return shapes;
    },
  };
}

/** Sizes joined by `separator` ('x' for ROWSxCOLS, ',' for N,D,V), `count` of them, each at least 1. */
export function dims(arg: string, help: string, separator: string, count: number): Option<number[] | undefined> {
  return {
    arg,
    help,
    default: undefined,
    shown: '',
    parse(value, name) {
      const parts = value.split(separator).map(Number);
      if (parts.length !== count || parts.some((v) => !Number.isInteger(v) || v < 1))
        throw new Error(`--${name}: expected ${arg} (got '${value}')`);
      return parts;
    },
  };
}

/** The Node benches' adapters (createEngine's `adapter`). */
export const NODE_ADAPTERS = ['auto', 'vulkan', 'swiftshader', 'llvmpipe'] as const;
/** The browser bench's adapters: the machine's GPU else SwiftShader, the GPU or fail, SwiftShader. */
export const BROWSER_ADAPTERS = ['auto', 'hardware', 'swiftshader'] as const;
/** The browser bench's --adapter (bench/chromium.ts, takeAdapterFlag). */
export const BROWSER_ADAPTER = choice(
  BROWSER_ADAPTERS,
  "Chrome's WebGPU adapter: the machine's GPU else SwiftShader (auto), the GPU or fail (hardware), SwiftShader",
  'auto',
);

/** The options several entries share; an entry may replace a default or a help line with its own (spread). */
export const COMMON = {
  adapter: choice(NODE_ADAPTERS, 'the WebGPU adapter (auto: a real GPU, else SwiftShader, else llvmpipe)', 'auto'),
  cases: cases('RxC for the row ops, N for the sum', DEFAULT_CASES),
  out: text('DIR', 'where the JSON and markdown results go', 'bench/results'),
  quick: flag(`small cases (${QUICK_CASES}), 3 repeats: about 2 minutes on SwiftShader`),
  repeats: integer('N', 'timed samples per contender', 5, 1),
  'vec4-io': flag('createEngine({ vec4Io: true }): f32 rows read and written as vec4 where aligned'),
  'max-workgroup-size': integer('N', 'createEngine({ maxWorkgroupSize: N })', undefined as number | undefined, 1),
  tuning: choice(['auto', 'cpu', 'gpu'] as const, 'createEngine({ tuning }): the launch plan, on any adapter', 'auto'),
  full: flag("the issue's full size (a real GPU)"),
};

/** What `parseCli` found: the values (defaults where not given), the names given, and whether --help was asked. */
export interface Parsed<S extends Options> {
  values: Values<S>;
  given: Set<keyof S & string>;
  help: boolean;
}

/** The environment variable of option `name` (for entries that read them), e.g. XENT_BENCH_MIN_REPEATS. */
export const envName = (name: string): string => `XENT_BENCH_${name.toUpperCase().replace(/-/g, '_')}`;

/**
 * Parse `argv` against `spec`; with `env`, XENT_BENCH_<NAME> variables give values too (the flags win). Throws on an
 * unknown option, a positional argument or a bad value, naming the option. `passThrough`: unknown options and
 * positionals are left in `rest` instead (for a first pass that takes a few options out).
 */
export function parseCli<S extends Options>(
  spec: S,
  argv: readonly string[],
  env?: Record<string, string | undefined>,
  passThrough = false,
): Parsed<S> & { rest: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, option] of Object.entries(spec)) config[name] = { type: option.arg ? 'string' : 'boolean' };
  let tokens;
  try {
    ({ tokens } = parseArgs({
      args: [...argv],
      options: config,
      strict: !passThrough,
      allowPositionals: true,
      tokens: true,
    }));
  } catch (error) {
    throw new Error(`${(error as Error).message.split('. To specify')[0]} (--help lists the options)`, {
      cause: error,
    });
  }
  const values = Object.fromEntries(Object.entries(spec).map(([name, o]) => [name, o.default])) as Values<S>;
  const given = new Set<keyof S & string>();
  const set = (name: string, value: string) => {
    (values as Record<string, unknown>)[name] = spec[name]!.parse(value, name);
    given.add(name);
  };
  let help = false;
  const taken = new Set<number>();
  for (const token of tokens) {
    if (token.kind === 'option' && token.name === 'help' && !passThrough) {
      help = true;
      taken.add(token.index);
    } else if (token.kind === 'option' && Object.hasOwn(spec, token.name)) {
      const option = spec[token.name]!;
      if (option.arg) {
        // Non-strict parsing (passThrough) leaves a missing value undefined: checked like an empty one.
        set(token.name, token.value ?? '');
        taken.add(token.index);
        if (token.inlineValue === false) taken.add(token.index + 1);
      } else {
        if (token.value !== undefined) throw new Error(`--${token.name}: a flag takes no value (got '${token.value}')`);
        set(token.name, '');
        taken.add(token.index);
      }
    } else if (token.kind === 'positional' && !passThrough) {
      throw new Error(`unexpected argument '${token.value}' (--help lists the options)`);
    }
  }
  if (env && !help) {
    for (const name of Object.keys(spec)) {
      const value = env[envName(name)];
      if (given.has(name) || value === undefined || value === '') continue;
      try {
        set(name, value);
      } catch (error) {
        throw new Error(`${envName(name)}=${value}: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const rest = argv.filter((_, i) => !taken.has(i));
  return { values, given, help, rest };
}

/** The `--help` text: usage, what the entry does, one line per option with its default. */
export function helpText(usage: string, about: string, spec: Options, env = false): string {
  const lines = [`Usage: ${usage}`, '', about, '', 'Options:'];
  const entries = Object.entries(spec).map(([name, o]) => {
    const left = `  --${name}${o.arg ? `=${o.arg}` : ''}`;
    const def =
      o.shown ?? (o.default === undefined ? '' : Array.isArray(o.default) ? o.default.join(',') : String(o.default));
    return [left, `${o.help}${def ? ` (default ${def})` : ''}`] as const;
  });
  const width = Math.min(34, Math.max(...entries.map(([left]) => left.length)) + 2);
  // The help column wrapped at 118 characters.
  const wrap = (words: string): string[] => {
    const out = [''];
    for (const word of words.split(' ')) {
      const last = out[out.length - 1]!;
      if (last && width + last.length + 1 + word.length > 118) out.push(word);
      else out[out.length - 1] = last ? `${last} ${word}` : word;
    }
    return out;
  };
  for (const [left, right] of [...entries, ['  --help', 'this text'] as const]) {
    const [first, ...more] = wrap(right);
    if (left.length < width) lines.push(left.padEnd(width) + first);
    else lines.push(left, ' '.repeat(width) + first);
    for (const line of more) lines.push(' '.repeat(width) + line);
  }
  if (env) {
    lines.push('', 'Every option can also be set by an environment variable XENT_BENCH_<NAME> (e.g. XENT_BENCH_CASES,');
    lines.push('XENT_BENCH_KEEP_GOING=1); the command line wins.');
  }
  return lines.join('\n');
}

/**
 * An entry's command line: parse process.argv (or `argv`) against `spec` (and XENT_BENCH_* with `env`); `--help`
 * prints the help (with `alsoListed`: options taken out of argv before) and exits 0; a bad command line prints the
 * error and exits 2.
 */
export function commandLine<S extends Options>(
  usage: string,
  about: string,
  spec: S,
  options: { argv?: readonly string[]; env?: boolean; alsoListed?: Options } = {},
): Parsed<S> {
  try {
    const parsed = parseCli(spec, options.argv ?? process.argv.slice(2), options.env ? process.env : undefined);
    if (parsed.help) {
      console.log(helpText(usage, about, { ...options.alsoListed, ...spec }, options.env));
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    console.error((error as Error).message);
    process.exit(2);
  }
}

/** The main bench's options (`npm run bench`, and `npm run bench:browser` but for --adapter and --poll). */
export const BENCH_OPTIONS = {
  quick: COMMON.quick,
  cases: COMMON.cases,
  ops: list(OPS, 'ops', OPS),
  contenders: list(CONTENDERS, 'contenders', CONTENDERS),
  repeats: { ...COMMON.repeats, default: 5, shown: '5, quick 3' },
  'min-repeats': integer('N', 'fewest samples for slow contenders', 1, 1),
  'budget-s': {
    ...number('S', 'seconds per contender, op and case; slower contenders take fewer samples', 10),
    shown: '10, quick 5',
  },
  'min-sample-ms': {
    arg: 'MS|auto',
    help: 'back-to-back calls per sample last at least this long (auto: 0 on CPU adapters, 25 on a GPU)',
    default: 'auto' as number | 'auto',
    parse: (value: string, name: string) =>
      value === 'auto' ? ('auto' as const) : number('MS', '', 0).parse(value, name),
  },
  'cpu-time-max': integer('N', 'time the CPU reference repeatedly only up to N elements', 4_200_000),
  poll: choice(
    ['auto', 'timer', 'immediate'] as const,
    "dawn.node's event polling (auto: timer on CPU adapters)",
    'auto',
  ),
  adapter: COMMON.adapter,
  out: COMMON.out,
  seed: integer('N', 'data seed', 1),
  'keep-going': flag('on a validation failure, mark that contender INVALID and go on (exit status still 1)'),
  'vec4-io': COMMON['vec4-io'],
  'max-workgroup-size': {
    ...COMMON['max-workgroup-size'],
    help: 'createEngine({ maxWorkgroupSize: N })',
    shown: '256',
  },
};

/** BenchOptions from the main bench's parsed options (--quick changes the defaults of cases, repeats and budget). */
export function benchOptions(v: Partial<Values<typeof BENCH_OPTIONS>>, givenNames: ReadonlySet<string>): BenchOptions {
  const quick = v.quick === true;
  const given = (name: keyof typeof BENCH_OPTIONS) => givenNames.has(name);
  const repeats = given('repeats') ? v.repeats! : quick ? 3 : 5;
  return {
    cases: given('cases') ? v.cases! : parseCases(quick ? QUICK_CASES : DEFAULT_CASES),
    ops: v.ops ?? [...OPS],
    contenders: v.contenders ?? [...CONTENDERS],
    repeats,
    minRepeats: Math.min(v['min-repeats'] ?? 1, repeats),
    budgetMs: (given('budget-s') ? v['budget-s']! : quick ? 5 : 10) * 1000,
    minSampleMs: v['min-sample-ms'] ?? 'auto',
    cpuTimeMaxElements: v['cpu-time-max'] ?? 4_200_000,
    poll: v.poll ?? 'auto',
    adapter: v.adapter ?? 'auto',
    outDir: v.out ?? 'bench/results',
    seed: v.seed ?? 1,
    keepGoing: v['keep-going'] === true,
    vec4Io: v['vec4-io'] === true,
    maxWorkgroupSize: v['max-workgroup-size'],
  };
}

export const LINEAR_CE_CONTENDERS = ['xentropy-fused', 'unfused', 'tfjs'] as const;

/** The fused linear cross-entropy bench's options (`npm run bench:linear-ce`, and the browser's --linear-ce). */
export const LINEAR_CE_OPTIONS = {
  full: { ...COMMON.full, help: "the issue's size N=4096, D=768, V=50257 (a real GPU)" },
  shape: dims('N,D,V', 'rows, hidden size and classes (default 256,128,8192; --full 4096,768,50257)', ',', 3),
  repeats: { ...COMMON.repeats, default: 3 },
  contenders: list(
    LINEAR_CE_CONTENDERS,
    'contenders (xentropy-fused always: the others are checked against it)',
    LINEAR_CE_CONTENDERS,
  ),
  matmul: flag("the fused call's matmuls alone against tfjs matMul (GFLOP/s), instead of the contenders"),
  dtype: choice(['f32', 'f16'] as const, "the fused op's hidden and weight as f32 or f16 GpuTensors", 'f32'),
  adapter: COMMON.adapter,
  tuning: COMMON.tuning,
  'max-workgroup-size': { ...COMMON['max-workgroup-size'], default: 256 },
};

/** LinearCeOptions from the linear cross-entropy bench's parsed options. */
export function linearCeOptions(v: Partial<Values<typeof LINEAR_CE_OPTIONS>>): LinearCeOptions {
  const [N, D, V] = (v.shape ?? (v.full ? [4096, 768, 50257] : [256, 128, 8192])) as [number, number, number];
  const contenders = v.contenders ?? [...LINEAR_CE_CONTENDERS];
  if (!contenders.includes('xentropy-fused'))
    throw new Error('--contenders: must include xentropy-fused (the other contenders are validated against it)');
  return {
    N,
    D,
    V,
    repeats: v.repeats ?? 3,
    adapter: v.adapter ?? 'auto',
    contenders,
    matmul: v.matmul === true,
    tuning: v.tuning ?? 'auto',
    maxWorkgroupSize: v['max-workgroup-size'] ?? 256,
    dtype: v.dtype ?? 'f32',
  };
}
