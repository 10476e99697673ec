import type { Node } from 'web-tree-sitter';
import type { BiasSpec, InitSpec } from '../../ir';
import { pytorchGain } from '../../initializers';
import { bindSignature } from './argBinding';
import type { Args, Interp } from './interpreter';
import { paramRank, paramShape } from './moduleValues';
import { rangeOf } from './syntax';
import { NONE, asNumber, iterate, list, num, unknown } from './values';
import type { LayerSpec, Value } from './values';

type Param = { t: 'param'; owner: LayerSpec; which: 'weight' | 'bias' };

/** Signatures of torch.nn.init functions after the tensor argument. */
const SIGNATURES: Record<string, string[]> = {
  kaiming_normal: ['tensor', 'a', 'mode', 'nonlinearity'],
  kaiming_uniform: ['tensor', 'a', 'mode', 'nonlinearity'],
  xavier_normal: ['tensor', 'gain'],
  xavier_uniform: ['tensor', 'gain'],
  normal: ['tensor', 'mean', 'std'],
  trunc_normal: ['tensor', 'mean', 'std', 'a', 'b'],
  uniform: ['tensor', 'a', 'b'],
  orthogonal: ['tensor', 'gain'],
  constant: ['tensor', 'val'],
  zeros: ['tensor'],
  ones: ['tensor'],
  eye: ['tensor'],
  dirac: ['tensor'],
};

/** A parameter value a named numeric argument holds; `missing` marks an unresolved one. */
class Numbers {
  missing: string | null = null;
  constructor(private readonly get: (name: string) => Value | undefined) {}
  read(name: string, dflt: number): number {
    const v = this.get(name);
    if (v === undefined || v.t === 'none') return dflt;
    const n = asNumber(v);
    if (n === null) {
      this.missing ??= v.t === 'unknown' && v.symbol ? v.symbol : name;
      return dflt;
    }
    return n;
  }
}

function explicit(partial: Partial<InitSpec> & Pick<InitSpec, 'scheme' | 'distribution'>, node: Node): InitSpec {
  return { framework: 'pytorch', explicit: true, range: rangeOf(node), weightVariance: null, sigmaW2: null, ...partial };
}

/** The InitSpec an init call describes, or an 'unknown' one with the symbol it is missing. */
function weightSpec(fn: string, get: (name: string) => Value | undefined, node: Node): { spec: InitSpec; missing: string | null } {
  const n = new Numbers(get);
  let spec: InitSpec;
  if (fn.startsWith('kaiming')) {
    const a = n.read('a', 0);
    const nl = get('nonlinearity');
    const nonlinearity = nl === undefined ? 'leaky_relu' : nl.t === 'str' ? nl.v : null;
    const modeV = get('mode');
    const mode = modeV === undefined ? 'fan_in' : modeV.t === 'str' && modeV.v === 'fan_out' ? 'fan_out' : modeV.t === 'str' ? 'fan_in' : null;
    const gain = nonlinearity ? pytorchGain(nonlinearity, a) : null;
    if (gain === null || mode === null) {
      n.missing ??= (nl?.t === 'unknown' && nl.symbol) || (modeV?.t === 'unknown' && modeV.symbol) || 'nonlinearity';
      spec = explicit({ scheme: 'unknown', distribution: 'normal' }, node);
    } else {
      spec = explicit({ scheme: fn === 'kaiming_normal' ? 'kaiming_normal' : 'kaiming_uniform', distribution: fn === 'kaiming_normal' ? 'normal' : 'uniform', mode, scale: gain * gain, gain, nonlinearity: nonlinearity ?? undefined }, node);
    }
  } else if (fn.startsWith('xavier')) {
    const gain = n.read('gain', 1);
    spec = explicit({ scheme: fn === 'xavier_normal' ? 'xavier_normal' : 'xavier_uniform', distribution: fn === 'xavier_normal' ? 'normal' : 'uniform', mode: 'fan_avg', scale: gain * gain, gain }, node);
  } else if (fn === 'normal') {
    spec = explicit({ scheme: 'normal', distribution: 'normal', mean: n.read('mean', 0), std: n.read('std', 1) }, node);
  } else if (fn === 'trunc_normal') {
    spec = explicit({ scheme: 'truncated_normal', distribution: 'truncated_normal', mean: n.read('mean', 0), std: n.read('std', 1), low: n.read('a', -2), high: n.read('b', 2) }, node);
  } else if (fn === 'uniform') {
    spec = explicit({ scheme: 'uniform', distribution: 'uniform', low: n.read('a', 0), high: n.read('b', 1) }, node);
  } else if (fn === 'orthogonal') {
    spec = explicit({ scheme: 'orthogonal', distribution: 'orthogonal', gain: n.read('gain', 1) }, node);
  } else if (fn === 'zeros' || fn === 'ones' || fn === 'constant') {
    const value = fn === 'zeros' ? 0 : fn === 'ones' ? 1 : n.read('val', 0);
    spec = explicit({ scheme: fn === 'constant' ? 'constant' : fn, distribution: 'constant', value }, node);
  } else if (fn === 'eye' || fn === 'dirac') {
    spec = explicit({ scheme: 'identity', distribution: 'constant' }, node);
  } else {
    spec = explicit({ scheme: 'unknown', distribution: 'normal' }, node);
  }
  if (n.missing) spec = { ...spec, scheme: 'unknown' };
  return { spec, missing: n.missing };
}

/** What an init call does to a bias vector. */
function biasSpec(spec: InitSpec): BiasSpec {
  switch (spec.scheme) {
    case 'zeros':
      return { present: true, variance: 0, scheme: 'zeros' };
    case 'ones':
    case 'constant':
      return { present: true, variance: 0, scheme: spec.value === 0 ? 'zeros' : 'constant' };
    case 'normal':
      return { present: true, variance: (spec.std ?? 1) ** 2, scheme: 'normal' };
    case 'uniform':
      return { present: true, variance: ((spec.high ?? 1) - (spec.low ?? 0)) ** 2 / 12, scheme: 'uniform' };
    default:
      return { present: true, variance: null, scheme: 'unknown' };
  }
}

/** Apply an init to the parameter it targets: weight -> layer init; bias -> layer bias. */
function applyInit(ip: Interp, target: Param, fn: string, get: (name: string) => Value | undefined, node: Node): void {
  const { spec, missing } = weightSpec(fn, get, node);
  if (missing) {
    const issue = { symbol: missing, reason: `init \`${node.text.slice(0, 60)}\` depends on ${missing}, which could not be resolved`, node, spec: target.owner };
    target.owner.issues.push(issue);
    ip.issue(issue);
  }
  if (target.which === 'bias') target.owner.biasInit = biasSpec(spec);
  else target.owner.init = spec;
}

/** `torch.nn.init.<fn>(...)`, including calculate_gain and the fan helpers init code uses. */
export function callInit(ip: Interp, fn: string, args: Args): Value {
  const name = fn.replace(/_$/, '');
  if (name === 'calculate_gain') {
    const nl = args.pos[0] ?? args.kw.get('nonlinearity');
    const g = nl?.t === 'str' ? pytorchGain(nl.v, asNumber(args.pos[1] ?? args.kw.get('param')) ?? undefined) : null;
    return g === null ? unknown(null) : num(g);
  }
  const target = args.pos[0] ?? args.kw.get('tensor');
  if (name === '_calculate_fan_in_and_fan_out' || name === '_calculate_correct_fan') {
    if (target?.t !== 'param') return unknown(null);
    const shape = iterate(paramShape(target)) ?? [];
    const rf = shape.slice(2).reduce((p, d) => p * (asNumber(d) ?? NaN), 1);
    const fanIn = asNumber(shape[1]);
    const fanOut = asNumber(shape[0]);
    const fi = fanIn === null || Number.isNaN(rf) ? unknown('fan_in') : num(fanIn * rf);
    const fo = fanOut === null || Number.isNaN(rf) ? unknown('fan_out') : num(fanOut * rf);
    if (name === '_calculate_correct_fan') return args.pos[1]?.t === 'str' && args.pos[1].v === 'fan_out' ? fo : fi;
    return list([fi, fo], true);
  }
  const sig = SIGNATURES[name];
  if (!sig || target?.t !== 'param') return NONE;
  const b = bindSignature(args, sig);
  applyInit(ip, target, name, (n) => b.get(n), args.node);
  return target;
}

/** In-place tensor init methods on parameters (`m.weight.data.normal_(0, 0.01)`, `m.bias.data.zero_()`). */
export function paramMethod(ip: Interp, p: Param, name: string, args: Args): Value {
  switch (name) {
    case 'normal_':
    case 'uniform_': {
      const sig = name === 'normal_' ? ['mean', 'std'] : ['from', 'to'];
      const b = bindSignature(args, sig);
      const get = (n: string): Value | undefined => (name === 'uniform_' ? b.get(n === 'a' ? 'from' : n === 'b' ? 'to' : n) : b.get(n));
      applyInit(ip, p, name.slice(0, -1), get, args.node);
      return p;
    }
    case 'zero_':
      applyInit(ip, p, 'zeros', () => undefined, args.node);
      return p;
    case 'fill_':
      applyInit(ip, p, 'constant', (n) => (n === 'val' ? args.pos[0] : undefined), args.node);
      return p;
    case 'copy_':
    case 'mul_':
    case 'div_':
    case 'clamp_':
    case 'add_': {
      // Rescaling or overwriting weights in place: the result is no longer a scheme NormLens can name.
      const issue = { symbol: null, reason: `weights changed in place by \`${args.node.text.slice(0, 60)}\``, node: args.node, spec: p.owner };
      if (p.which === 'weight') p.owner.init = { scheme: 'unknown', framework: 'pytorch', distribution: 'normal', explicit: true, range: rangeOf(args.node), weightVariance: null, sigmaW2: null };
      else p.owner.biasInit = { present: true, variance: null, scheme: 'unknown' };
      p.owner.issues.push(issue);
      ip.issue(issue);
      return p;
    }
    case 'size': {
      const shape = paramShape(p);
      const i = asNumber(args.pos[0]);
      if (i === null || shape.t !== 'list') return shape;
      return shape.items[i < 0 ? shape.items.length + i : i] ?? unknown(null);
    }
    case 'dim':
    case 'ndimension':
      return paramRank(p);
    case 'numel': {
      const dims = iterate(paramShape(p))?.map(asNumber) ?? [];
      return dims.every((d) => d !== null) ? num((dims as number[]).reduce((a, b) => a * b, 1)) : unknown(null);
    }
    default:
      return p;
  }
}
