import type { Node } from 'web-tree-sitter';
import type { Activation } from '../../ir';
import { bindSignature, flagArg, numberArg, stringArg, tupleArg } from './argBinding';
import type { Bound } from './argBinding';
import type { Args } from './interpreter';
import { kerasBiasSpec, kerasInitSpec } from './kerasInit';
import { activationAt, activationByName, makeSpec } from './specs';
import { asNumber, iterate } from './values';
import type { LayerSpec, Value } from './values';

/** Keras aliases -> the class name this module handles. */
const ALIASES: Record<string, string> = {
  Convolution1D: 'Conv1D', Convolution2D: 'Conv2D', MaxPool1D: 'MaxPooling1D', MaxPool2D: 'MaxPooling2D',
  AvgPool1D: 'AveragePooling1D', AvgPool2D: 'AveragePooling2D', GlobalAvgPool1D: 'GlobalAveragePooling1D',
  GlobalAvgPool2D: 'GlobalAveragePooling2D', GlobalMaxPool1D: 'GlobalMaxPooling1D', GlobalMaxPool2D: 'GlobalMaxPooling2D',
};

/** Keras activation argument: a string, a function reference, or an activation layer instance. */
function kerasActivation(v: Value | undefined, node: Node | null): Activation | null | 'unknown' {
  if (!v || v.t === 'none') return null;
  if (v.t === 'str' || v.t === 'ref') {
    const a = activationByName(v.t === 'str' ? v.v : v.path);
    return a ? activationAt(a.name, node, a.param) : 'unknown';
  }
  if (v.t === 'mod' && v.mk === 'leaf' && v.spec.activation) return { ...v.spec.activation, range: node ? activationAt('linear', node).range : undefined };
  return 'unknown';
}

function setActivation(spec: LayerSpec, b: Bound): void {
  const a = kerasActivation(b.get('activation'), b.node('activation'));
  if (a === 'unknown') {
    spec.issues.push({ symbol: null, reason: `activation of ${spec.sourceType} could not be resolved`, node: b.node('activation'), spec });
  } else spec.activation = a;
}

/** Weight layers: kernel / bias initializers and `use_bias`. */
function setWeights(spec: LayerSpec, b: Bound): void {
  spec.hasWeight = true;
  spec.hasBias = flagArg(spec, b, 'use_bias', true);
  const k = b.get('kernel_initializer');
  if (k !== undefined) {
    const { spec: init, ok } = kerasInitSpec(k, b.node('kernel_initializer'));
    spec.init = init;
    if (!ok) spec.issues.push({ symbol: k.t === 'unknown' ? k.symbol : null, reason: `kernel_initializer of ${spec.sourceType} could not be resolved`, node: b.node('kernel_initializer'), spec });
  }
  if (b.has('bias_initializer')) spec.biasInit = kerasBiasSpec(b.get('bias_initializer'));
}

/** First-layer input declarations: input_shape=(784,), input_dim=784, batch_input_shape=(None, 784). */
function setInputShape(spec: LayerSpec, b: Bound): void {
  const shape = b.get('input_shape') ?? b.get('shape');
  const batch = b.get('batch_input_shape');
  const dim = asNumber(b.get('input_dim'));
  const dims = shape ? (iterate(shape) ?? [shape]) : batch ? (iterate(batch) ?? []).slice(1) : null;
  const ns = dims?.map(asNumber);
  if (ns && ns.length && ns.every((n) => n !== null)) spec.inputShape = ns as number[];
  else if (dim !== null) spec.inputShape = [dim];
}

/** Build `keras.layers.<cls>(...)`. Inline `activation=` stays on the layer (unlike PyTorch). */
export function buildKerasLayer(rawCls: string, args: Args, calleeText: string): Value | undefined {
  const cls = ALIASES[rawCls] ?? rawCls;
  const path = `keras.layers.${cls}`;
  const leaf = (spec: LayerSpec): Value => {
    const name = args.kw.get('name');
    if (name?.t === 'str') spec.name = name.v;
    setInputShape(spec, bindSignature(args, []));
    return { t: 'mod', mk: 'leaf', spec };
  };
  const node = args.node;
  if (cls === 'Dense') {
    const spec = makeSpec('dense', 'keras', path, calleeText, node);
    const b = bindSignature(args, ['units', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer']);
    spec.outArg = b.get('units');
    setActivation(spec, b);
    setWeights(spec, b);
    return leaf(spec);
  }
  const conv = /^Conv([12])D$/.exec(cls);
  if (conv) {
    const dims = Number(conv[1]) as 1 | 2;
    const spec = makeSpec(dims === 1 ? 'conv1d' : 'conv2d', 'keras', path, calleeText, node);
    const b = bindSignature(args, ['filters', 'kernel_size', 'strides', 'padding', 'data_format', 'dilation_rate', 'groups', 'activation', 'use_bias', 'kernel_initializer', 'bias_initializer']);
    spec.outArg = b.get('filters');
    const kernel = tupleArg(spec, b, 'kernel_size', dims, null);
    const stride = tupleArg(spec, b, 'strides', dims, Array(dims).fill(1));
    const dilation = tupleArg(spec, b, 'dilation_rate', dims, Array(dims).fill(1));
    const padding = stringArg(b, 'padding') === 'same' ? 'same' : 'valid';
    const groups = numberArg(spec, b, 'groups', 1);
    if (kernel && stride && dilation && groups !== null) spec.conv = { kernel, stride, padding, dilation, groups };
    setActivation(spec, b);
    setWeights(spec, b);
    return leaf(spec);
  }
  const pool = /^(Max|Average|GlobalAverage|GlobalMax)Pooling([12])D$/.exec(cls);
  if (pool) {
    const dims = Number(pool[2]) as 1 | 2;
    const spec = makeSpec('pool', 'keras', path, calleeText, node);
    if (pool[1].startsWith('Global')) {
      spec.pool = { op: pool[1] === 'GlobalAverage' ? 'global_avg' : 'global_max', kernel: [], stride: [], padding: 'valid', dims };
    } else {
      const b = bindSignature(args, ['pool_size', 'strides', 'padding']);
      const kernel = tupleArg(spec, b, 'pool_size', dims, Array(dims).fill(2));
      const stride = tupleArg(spec, b, 'strides', dims, kernel);
      const padding = stringArg(b, 'padding') === 'same' ? 'same' : 'valid';
      if (kernel && stride) spec.pool = { op: pool[1] === 'Max' ? 'max' : 'avg', kernel, stride, padding, dims };
    }
    return leaf(spec);
  }
  if (cls === 'Flatten') {
    const spec = makeSpec('flatten', 'keras', path, calleeText, node);
    spec.flattens = true;
    return leaf(spec);
  }
  if (/^(Dropout|AlphaDropout|SpatialDropout1D|SpatialDropout2D)$/.test(cls)) {
    const spec = makeSpec(cls === 'AlphaDropout' ? 'alphadropout' : 'dropout', 'keras', path, calleeText, node);
    spec.rate = numberArg(spec, bindSignature(args, ['rate']), 'rate', null);
    return leaf(spec);
  }
  const norm = kerasNorm(cls, path, calleeText, args);
  if (norm) return leaf(norm);
  const act = kerasActivationLayer(cls, path, calleeText, args);
  if (act) return leaf(act);
  if (cls === 'Add') return leaf(makeSpec('residual', 'keras', path, calleeText, node));
  if (!/^[A-Z]/.test(cls)) return undefined;
  const spec = makeSpec('other', 'keras', path, calleeText, node);
  spec.issues.push({ symbol: null, reason: `${calleeText} is not modelled; treated as an opaque layer`, node, spec });
  return leaf(spec);
}

function kerasActivationLayer(cls: string, path: string, calleeText: string, args: Args): LayerSpec | null {
  const spec = makeSpec('activation', 'keras', path, calleeText, args.node);
  if (cls === 'Activation') {
    const b = bindSignature(args, ['activation']);
    const a = kerasActivation(b.get('activation'), b.node('activation') ?? args.node);
    if (a === 'unknown') spec.issues.push({ symbol: null, reason: `activation of ${calleeText} could not be resolved`, node: args.node, spec });
    else spec.activation = a ?? activationAt('linear', args.node);
    return spec;
  }
  const b = bindSignature(args, cls === 'LeakyReLU' ? ['negative_slope'] : cls === 'ELU' ? ['alpha'] : []);
  if (cls === 'LeakyReLU') {
    // Keras 2 names it `alpha`, Keras 3 `negative_slope`; both default to 0.3 on the layer.
    const slope = asNumber(b.get('negative_slope') ?? args.kw.get('alpha')) ?? 0.3;
    spec.activation = activationAt('leaky_relu', args.node, slope);
    return spec;
  }
  if (cls === 'ELU') {
    spec.activation = activationAt('elu', args.node, numberArg(spec, b, 'alpha', 1) ?? 1);
    return spec;
  }
  const a = /^(ReLU|Softmax|PReLU)$/.test(cls) ? activationByName(cls) : null;
  if (!a) return null;
  spec.activation = activationAt(a.name, args.node, a.param);
  return spec;
}

/** Keras keeps unclipped Batch Renormalization when `renorm_clipping` is not given; absent keys are unclipped. */
const UNCLIPPED = Number.MAX_VALUE;

function kerasNorm(cls: string, path: string, calleeText: string, args: Args): LayerSpec | null {
  if (cls === 'BatchNormalization') {
    const b = bindSignature(args, ['axis', 'momentum', 'epsilon', 'center', 'scale']);
    const renorm = args.kw.get('renorm');
    const spec = makeSpec(renorm?.t === 'bool' && renorm.v ? 'batchrenorm' : 'batchnorm', 'keras', path, calleeText, args.node);
    const affine = flagArg(spec, b, 'center', true) || flagArg(spec, b, 'scale', true);
    spec.norm = { convention: 'keras', momentum: numberArg(spec, b, 'momentum', 0.99), eps: numberArg(spec, b, 'epsilon', 1e-3), affine, axis: asNumber(b.get('axis')) ?? -1 };
    if (spec.kind === 'batchrenorm') {
      const clip = args.kw.get('renorm_clipping');
      const get = (k: string): number => (clip?.t === 'dict' ? (asNumber(clip.entries.get(k)) ?? UNCLIPPED) : UNCLIPPED);
      spec.norm.renorm = { rmax: get('rmax'), dmax: get('dmax') };
    }
    spec.hasWeight = spec.hasBias = affine;
    return spec;
  }
  if (cls === 'LayerNormalization' || cls === 'GroupNormalization') {
    const group = cls === 'GroupNormalization';
    const spec = makeSpec(group ? 'groupnorm' : 'layernorm', 'keras', path, calleeText, args.node);
    const b = bindSignature(args, group ? ['groups', 'axis', 'epsilon', 'center', 'scale'] : ['axis', 'epsilon', 'center', 'scale']);
    const affine = flagArg(spec, b, 'center', true) || flagArg(spec, b, 'scale', true);
    spec.norm = { convention: 'keras', momentum: null, eps: numberArg(spec, b, 'epsilon', 1e-3), affine };
    if (group) {
      const g = b.get('groups');
      spec.norm.groups = g === undefined ? 32 : asNumber(g);
      spec.norm.groupsSymbol = g?.t === 'unknown' ? g.symbol : null;
    }
    spec.hasWeight = spec.hasBias = affine;
    return spec;
  }
  return null;
}
