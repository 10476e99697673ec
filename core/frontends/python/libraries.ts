import type { Args, Interp } from './interpreter';
import { cloneModule } from './moduleValues';
import { NONE, asNumber, bool, iterate, list, num, str, unknown } from './values';
import type { ObjValue, Value } from './values';

/** Numeric constants of math / numpy that model code uses in init formulas. */
const CONSTANTS: Record<string, number> = {
  'math.pi': Math.PI,
  'math.e': Math.E,
  'math.inf': Infinity,
  'numpy.pi': Math.PI,
  'numpy.e': Math.E,
  'numpy.inf': Infinity,
  'torch.pi': Math.PI,
};

/** A library constant (`math.pi`), else undefined. */
export function libraryConstant(path: string): Value | undefined {
  const v = CONSTANTS[path];
  return v === undefined ? undefined : num(v);
}

const MATH: Record<string, (...xs: number[]) => number> = {
  sqrt: Math.sqrt,
  log: (x, base) => (base ? Math.log(x) / Math.log(base) : Math.log(x)),
  log2: Math.log2,
  log10: Math.log10,
  exp: Math.exp,
  pow: Math.pow,
  ceil: Math.ceil,
  floor: Math.floor,
  fabs: Math.abs,
  abs: Math.abs,
  tanh: Math.tanh,
  isqrt: (x) => Math.floor(Math.sqrt(x)),
};

/** Standard library, numpy and argparse calls. Returns undefined when the path is not one of them. */
export function callLibrary(path: string, args: Args): Value | undefined {
  const m = /^(math|numpy)\.(\w+)$/.exec(path);
  if (m) {
    if (m[2] === 'prod') {
      const ns = (args.pos[0] ? iterate(args.pos[0]) : null)?.map(asNumber);
      return ns && ns.every((n) => n !== null) ? num((ns as number[]).reduce((a, b) => a * b, 1)) : unknown(null);
    }
    const fn = MATH[m[2]];
    const ns = args.pos.map(asNumber);
    if (!fn) return unknown(null);
    if (ns.some((n) => n === null)) {
      const u = args.pos.find((a) => a.t === 'unknown');
      return unknown(u?.t === 'unknown' ? u.symbol : null);
    }
    return num(fn(...(ns as number[])));
  }
  switch (path) {
    case 'collections.OrderedDict':
      return orderedDict(args);
    case 'argparse.ArgumentParser':
      return { t: 'obj', kind: 'argparser', attrs: new Map() };
    case 'os.getenv':
    case 'os.environ.get':
      return args.pos[1] ?? args.kw.get('default') ?? unknown(args.pos[0]?.t === 'str' ? args.pos[0].v : null);
    case 'functools.partial': {
      const [fn, ...rest] = args.pos;
      if (!fn) return unknown(null);
      return { t: 'obj', kind: 'partial', attrs: new Map<string, Value>([['fn', fn], ['args', list(rest)], ['kw', { t: 'dict', entries: new Map(args.kw) }]]) };
    }
    case 'copy.deepcopy':
    case 'copy.copy':
      return args.pos[0] ? cloneModule(args.pos[0]) : unknown(null);
    default:
      return undefined;
  }
}

function orderedDict(args: Args): Value {
  const entries = new Map<string, Value>();
  const src = args.pos[0];
  if (src?.t === 'dict') for (const [k, v] of src.entries) entries.set(k, v);
  for (const pair of src && src.t !== 'dict' ? (iterate(src) ?? []) : []) {
    const kv = iterate(pair);
    if (kv && kv.length === 2 && (kv[0].t === 'str' || kv[0].t === 'num')) entries.set(String(kv[0].v), kv[1]);
  }
  for (const [k, v] of args.kw) entries.set(k, v);
  return { t: 'dict', entries };
}

/** `functools.partial(f, ...)(...)`: call f with the bound and the new arguments. */
export function callPartial(ip: Interp, obj: ObjValue, args: Args): Value {
  if (obj.kind !== 'partial') return unknown(null);
  const fn = obj.attrs.get('fn');
  const bound = obj.attrs.get('args');
  const kw = obj.attrs.get('kw');
  if (!fn) return unknown(null);
  const pos = [...(bound?.t === 'list' ? bound.items : []), ...args.pos];
  const merged = new Map(kw?.t === 'dict' ? kw.entries : []);
  for (const [k, v] of args.kw) merged.set(k, v);
  return ip.callValue(fn, { ...args, pos, posNodes: pos.map(() => null), kw: merged }, 'partial');
}

const BATCH_DESTS = /^(batch_size|batchsize|batch|bs|train_batch_size|per_device_train_batch_size)$/;

/** argparse parser and namespace methods: defaults become the values `args.x` evaluates to. */
export function argparseMethod(ip: Interp, obj: ObjValue, name: string, args: Args): Value | undefined {
  if (obj.kind !== 'argparser') return undefined;
  switch (name) {
    case 'add_argument': {
      const flags = args.pos.filter((a) => a.t === 'str').map((a) => (a as { v: string }).v);
      const destKw = args.kw.get('dest');
      const long = flags.find((f) => f.startsWith('--')) ?? flags[0];
      const dest = destKw?.t === 'str' ? destKw.v : long?.replace(/^-+/, '').replace(/-/g, '_');
      if (!dest) return NONE;
      const action = args.kw.get('action');
      let value = args.kw.get('default');
      if (!value && action?.t === 'str') value = action.v === 'store_true' ? bool(false) : action.v === 'store_false' ? bool(true) : undefined;
      if (!value || value.t === 'none') value = value?.t === 'none' ? value : ip.pinned(unknown(dest));
      obj.attrs.set(dest, value);
      const n = asNumber(value);
      if (BATCH_DESTS.test(dest) && n !== null && n > 0 && ip.batchSize === null) ip.batchSize = n;
      return NONE;
    }
    case 'set_defaults':
      for (const [k, v] of args.kw) obj.attrs.set(k, v);
      return NONE;
    case 'add_argument_group':
    case 'add_mutually_exclusive_group':
      return obj;
    case 'parse_args':
      return { t: 'obj', kind: 'namespace', attrs: new Map(obj.attrs) };
    case 'parse_known_args':
      return list([{ t: 'obj', kind: 'namespace', attrs: new Map(obj.attrs) }, list([])], true);
    case 'print_help':
    case 'error':
      return NONE;
    default:
      return str('');
  }
}
