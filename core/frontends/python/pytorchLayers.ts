import { bindSignature, flagArg, numberArg, stringArg, tupleArg } from './argBinding';
import type { Bound } from './argBinding';
import type { Args } from './interpreter';
import { activationAt, activationByName, makeSpec } from './specs';
import { asNumber, iterate, unknown } from './values';
import type { LayerSpec, Value } from './values';

const CONV_SIG = ['in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation', 'groups', 'bias', 'padding_mode'];
const NORM_SIG = ['num_features', 'eps', 'momentum', 'affine', 'track_running_stats'];

/** Signatures of activation modules (their only numeric parameter matters). */
const ACTIVATION_SIG: Record<string, string[]> = {
  ReLU: ['inplace'], ReLU6: ['inplace'], SELU: ['inplace'], ELU: ['alpha', 'inplace'], LeakyReLU: ['negative_slope', 'inplace'],
  GELU: ['approximate'], Tanh: [], Sigmoid: [], Hardsigmoid: ['inplace'], Softplus: ['beta', 'threshold'], Softsign: [],
  SiLU: ['inplace'], Mish: ['inplace'], Softmax: ['dim'], LogSoftmax: ['dim'], PReLU: ['num_parameters', 'init'], Identity: [],
};

/** Modules that are not layers of a forward pass (losses, parameter holders): not modelled, not reported. */
const NOT_LAYERS = /(Loss|^Parameter|^ParameterList|^ParameterDict|^Module)$/;

/**
 * Build the layer value for `torch.nn.<cls>(...)`. PyTorch activations stay layers of their own (kind
 * 'activation'); they are never merged into the preceding Linear / Conv.
 */
export function buildTorchLayer(cls: string, args: Args, calleeText: string): Value | undefined {
  if (NOT_LAYERS.test(cls)) return unknown(null);
  const path = `torch.nn.${cls}`;
  const leaf = (spec: LayerSpec): Value => ({ t: 'mod', mk: 'leaf', spec });
  if (cls === 'Linear') {
    const spec = makeSpec('dense', 'pytorch', path, calleeText, args.node);
    const b = bindSignature(args, ['in_features', 'out_features', 'bias']);
    spec.inArg = b.get('in_features') ?? unknown('in_features');
    spec.outArg = b.get('out_features') ?? unknown('out_features');
    spec.hasWeight = true;
    spec.hasBias = flagArg(spec, b, 'bias', true);
    return leaf(spec);
  }
  if (cls === 'LazyLinear') {
    // in_features is inferred by PyTorch on the first call: it is the width flowing in.
    const spec = makeSpec('dense', 'pytorch', path, calleeText, args.node);
    const b = bindSignature(args, ['out_features', 'bias']);
    spec.outArg = b.get('out_features') ?? unknown('out_features');
    spec.hasWeight = true;
    spec.hasBias = flagArg(spec, b, 'bias', true);
    return leaf(spec);
  }
  const conv = /^Conv([12])d$/.exec(cls);
  if (conv) return leaf(convLayer(path, calleeText, args, Number(conv[1]) as 1 | 2));
  const pool = /^(Max|Avg|AdaptiveAvg|AdaptiveMax)Pool([12])d$/.exec(cls);
  if (pool) return leaf(poolLayer(path, calleeText, args, pool[1], Number(pool[2]) as 1 | 2));
  const norm = normLayer(cls, path, calleeText, args);
  if (norm) return leaf(norm);
  if (cls === 'Flatten') {
    const spec = makeSpec('flatten', 'pytorch', path, calleeText, args.node);
    spec.flattens = true;
    return leaf(spec);
  }
  const drop = /^(Dropout|Dropout1d|Dropout2d|AlphaDropout|FeatureAlphaDropout)$/.exec(cls);
  if (drop) {
    const spec = makeSpec(cls.includes('Alpha') ? 'alphadropout' : 'dropout', 'pytorch', path, calleeText, args.node);
    spec.rate = numberArg(spec, bindSignature(args, ['p', 'inplace']), 'p', 0.5);
    return leaf(spec);
  }
  const actSig = ACTIVATION_SIG[cls];
  if (actSig) {
    const spec = makeSpec('activation', 'pytorch', path, calleeText, args.node);
    const b = bindSignature(args, actSig);
    const known = activationByName(cls);
    const param = cls === 'ELU' ? numberArg(spec, b, 'alpha', 1) : cls === 'LeakyReLU' ? numberArg(spec, b, 'negative_slope', 0.01) : cls === 'PReLU' ? numberArg(spec, b, 'init', 0.25) : null;
    if (known) spec.activation = activationAt(known.name, args.node, param ?? undefined);
    return leaf(spec);
  }
  if (!/^[A-Z]/.test(cls)) return undefined;
  const spec = makeSpec('other', 'pytorch', path, calleeText, args.node);
  if (cls === 'Embedding') spec.outArg = bindSignature(args, ['num_embeddings', 'embedding_dim']).get('embedding_dim');
  spec.issues.push({ symbol: null, reason: `${calleeText} is not modelled; treated as an opaque layer`, node: args.node, spec });
  return leaf(spec);
}

function convLayer(path: string, calleeText: string, args: Args, dims: 1 | 2): LayerSpec {
  const spec = makeSpec(dims === 1 ? 'conv1d' : 'conv2d', 'pytorch', path, calleeText, args.node);
  const b = bindSignature(args, CONV_SIG);
  spec.inArg = b.get('in_channels') ?? unknown('in_channels');
  spec.outArg = b.get('out_channels') ?? unknown('out_channels');
  spec.hasWeight = true;
  spec.hasBias = flagArg(spec, b, 'bias', true);
  const kernel = tupleArg(spec, b, 'kernel_size', dims, null);
  const stride = tupleArg(spec, b, 'stride', dims, Array(dims).fill(1));
  const dilation = tupleArg(spec, b, 'dilation', dims, Array(dims).fill(1));
  const groups = numberArg(spec, b, 'groups', 1);
  const padding = paddingArg(spec, b, dims);
  if (kernel && stride && dilation && padding && groups !== null) spec.conv = { kernel, stride, padding, dilation, groups };
  return spec;
}

function paddingArg(spec: LayerSpec, b: Bound, dims: number): 'valid' | 'same' | number[] | null {
  const s = stringArg(b, 'padding');
  if (s === 'same' || s === 'valid') return s;
  return tupleArg(spec, b, 'padding', dims, Array(dims).fill(0));
}

function poolLayer(path: string, calleeText: string, args: Args, kind: string, dims: 1 | 2): LayerSpec {
  const spec = makeSpec('pool', 'pytorch', path, calleeText, args.node);
  if (kind.startsWith('Adaptive')) {
    const b = bindSignature(args, ['output_size']);
    const out = tupleArg(spec, b, 'output_size', dims, null);
    spec.pool = { op: kind === 'AdaptiveAvg' ? 'adaptive_avg' : 'adaptive_max', kernel: [], stride: [], padding: 'valid', dims };
    if (out) spec.pool.outputSize = out;
    return spec;
  }
  const b = bindSignature(args, ['kernel_size', 'stride', 'padding']);
  const kernel = tupleArg(spec, b, 'kernel_size', dims, null);
  const stride = tupleArg(spec, b, 'stride', dims, kernel);
  const padding = tupleArg(spec, b, 'padding', dims, Array(dims).fill(0));
  if (kernel && stride && padding) spec.pool = { op: kind === 'Max' ? 'max' : 'avg', kernel, stride, padding, dims };
  return spec;
}

function normLayer(cls: string, path: string, calleeText: string, args: Args): LayerSpec | null {
  if (/^(BatchNorm[123]d|InstanceNorm[12]d)$/.test(cls)) {
    const instance = cls.startsWith('Instance');
    const spec = makeSpec(instance ? 'instancenorm' : 'batchnorm', 'pytorch', path, calleeText, args.node);
    const b = bindSignature(args, NORM_SIG);
    spec.inArg = b.get('num_features') ?? unknown('num_features');
    const affine = flagArg(spec, b, 'affine', !instance);
    const m = b.get('momentum');
    spec.norm = { convention: 'pytorch', momentum: m?.t === 'none' ? null : numberArg(spec, b, 'momentum', 0.1), eps: numberArg(spec, b, 'eps', 1e-5), affine };
    spec.hasWeight = spec.hasBias = affine;
    return spec;
  }
  if (cls === 'LayerNorm') {
    const spec = makeSpec('layernorm', 'pytorch', path, calleeText, args.node);
    const b = bindSignature(args, ['normalized_shape', 'eps', 'elementwise_affine', 'bias']);
    const shape = b.get('normalized_shape');
    const items = shape ? iterate(shape) : null;
    // LayerNorm([C, H, W]) normalises C*H*W features per sample; the width the IR tracks is the channel count.
    spec.inArg = items ? (items[0] ?? unknown(null)) : (shape ?? unknown('normalized_shape'));
    const affine = flagArg(spec, b, 'elementwise_affine', true);
    spec.norm = { convention: 'pytorch', momentum: null, eps: numberArg(spec, b, 'eps', 1e-5), affine };
    spec.hasWeight = spec.hasBias = affine;
    return spec;
  }
  if (cls === 'GroupNorm') {
    const spec = makeSpec('groupnorm', 'pytorch', path, calleeText, args.node);
    const b = bindSignature(args, ['num_groups', 'num_channels', 'eps', 'affine']);
    spec.inArg = b.get('num_channels') ?? unknown('num_channels');
    const g = b.get('num_groups');
    const affine = flagArg(spec, b, 'affine', true);
    spec.norm = { convention: 'pytorch', momentum: null, eps: numberArg(spec, b, 'eps', 1e-5), affine, groups: asNumber(g), groupsSymbol: g?.t === 'unknown' ? g.symbol : null };
    if (asNumber(g) === null) numberArg(spec, b, 'num_groups', null);
    spec.hasWeight = spec.hasBias = affine;
    return spec;
  }
  return null;
}

