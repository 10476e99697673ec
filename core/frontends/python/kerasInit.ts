import type { Node } from 'web-tree-sitter';
import type { BiasSpec, InitScheme, InitSpec } from '../../ir';
import { biasFromInitializer, namedInit } from '../../initializers';
import type { Args } from './interpreter';
import { rangeOf } from './syntax';
import { asNumber } from './values';
import type { Value } from './values';

/** Keras initializer names (string identifiers, snake_case functions, CamelCase classes) -> canonical key. */
function canonicalName(raw: string): string {
  return raw
    .split('.')
    .pop()!
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/^zero$/, 'zeros')
    .replace(/^one$/, 'ones');
}

const VARIANCE_SCALING_NAMED: Record<string, InitScheme> = {
  glorot_uniform: 'glorot_uniform',
  glorot_normal: 'glorot_normal',
  he_normal: 'he_normal',
  he_uniform: 'he_uniform',
  lecun_normal: 'lecun_normal',
  lecun_uniform: 'lecun_uniform',
  xavier_uniform: 'glorot_uniform',
  xavier_normal: 'glorot_normal',
};

/** Positional parameter order of Keras initializer classes. */
const INIT_SIGNATURES: Record<string, string[]> = {
  variance_scaling: ['scale', 'mode', 'distribution', 'seed'],
  random_normal: ['mean', 'stddev', 'seed'],
  truncated_normal: ['mean', 'stddev', 'seed'],
  random_uniform: ['minval', 'maxval', 'seed'],
  constant: ['value'],
  orthogonal: ['gain', 'seed'],
  identity: ['gain'],
};

/** `keras.initializers.X(...)`: an initializer object remembering its class and arguments. */
export function kerasInitializerObject(path: string, args: Args): Value {
  const name = canonicalName(path);
  const attrs = new Map<string, Value>([['__init__', { t: 'str', v: name }]]);
  (INIT_SIGNATURES[name] ?? []).forEach((p, i) => {
    if (i < args.pos.length) attrs.set(p, args.pos[i]);
  });
  for (const [k, v] of args.kw) attrs.set(k, v);
  return { t: 'obj', kind: 'kinit', attrs };
}

function readNum(attrs: Map<string, Value>, key: string, dflt: number): number | null {
  const v = attrs.get(key);
  return v === undefined ? dflt : asNumber(v);
}

function fromName(name: string, attrs: Map<string, Value>): Omit<InitSpec, 'range'> | null {
  const named = VARIANCE_SCALING_NAMED[name];
  if (named) return namedInit(named, 'keras');
  const base = { framework: 'keras' as const, explicit: true, weightVariance: null, sigmaW2: null };
  switch (name) {
    case 'variance_scaling': {
      const scale = readNum(attrs, 'scale', 1);
      const mode = attrs.get('mode');
      const dist = attrs.get('distribution');
      const m = mode === undefined ? 'fan_in' : mode.t === 'str' ? mode.v : null;
      const d = dist === undefined ? 'truncated_normal' : dist.t === 'str' ? dist.v : null;
      if (scale === null || (m !== 'fan_in' && m !== 'fan_out' && m !== 'fan_avg') || d === null) return null;
      // Keras reads 'normal' as its truncated normal (documented alias); 'untruncated_normal' is the plain one.
      const distribution = d === 'uniform' ? 'uniform' : d === 'untruncated_normal' ? 'normal' : 'truncated_normal';
      return { ...base, scheme: 'variance_scaling', distribution, mode: m, scale };
    }
    case 'random_normal':
    case 'truncated_normal': {
      const std = readNum(attrs, 'stddev', 0.05);
      const mean = readNum(attrs, 'mean', 0);
      if (std === null || mean === null) return null;
      const trunc = name === 'truncated_normal';
      return { ...base, scheme: trunc ? 'truncated_normal' : 'normal', distribution: trunc ? 'truncated_normal' : 'normal', std, mean };
    }
    case 'random_uniform': {
      const low = readNum(attrs, 'minval', -0.05);
      const high = readNum(attrs, 'maxval', 0.05);
      return low === null || high === null ? null : { ...base, scheme: 'uniform', distribution: 'uniform', low, high };
    }
    case 'zeros':
    case 'ones':
      return { ...base, scheme: name, distribution: 'constant', value: name === 'ones' ? 1 : 0 };
    case 'constant': {
      const value = readNum(attrs, 'value', 0);
      return value === null ? null : { ...base, scheme: 'constant', distribution: 'constant', value };
    }
    case 'orthogonal': {
      const gain = readNum(attrs, 'gain', 1);
      return gain === null ? null : { ...base, scheme: 'orthogonal', distribution: 'orthogonal', gain };
    }
    case 'identity':
      return { ...base, scheme: 'identity', distribution: 'constant', gain: readNum(attrs, 'gain', 1) ?? undefined };
    default:
      return null;
  }
}

/**
 * The InitSpec a `kernel_initializer=` value names: a string, an initializer object or an uncalled initializer
 * function. `ok` is false when it names something NormLens cannot read (the spec is then 'unknown').
 */
export function kerasInitSpec(v: Value, argNode: Node | null): { spec: InitSpec; ok: boolean } {
  let name: string | null = null;
  let attrs = new Map<string, Value>();
  if (v.t === 'str') name = canonicalName(v.v);
  else if (v.t === 'ref') name = canonicalName(v.path);
  else if (v.t === 'obj' && v.kind === 'kinit') {
    const n = v.attrs.get('__init__');
    name = n?.t === 'str' ? n.v : null;
    attrs = v.attrs;
  }
  const spec = name ? fromName(name, attrs) : null;
  const range = argNode ? rangeOf(argNode) : undefined;
  if (!spec) {
    return { spec: { scheme: 'unknown', framework: 'keras', distribution: 'normal', explicit: true, range, weightVariance: null, sigmaW2: null }, ok: false };
  }
  return { spec: { ...spec, explicit: true, range }, ok: true };
}

/** Bias from `bias_initializer=` (Keras default zeros). */
export function kerasBiasSpec(v: Value | undefined): BiasSpec {
  if (v === undefined) return { present: true, variance: 0, scheme: 'zeros' };
  const { spec, ok } = kerasInitSpec(v, null);
  return biasFromInitializer(ok ? spec : null);
}
