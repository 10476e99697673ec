/**
 * Turns a Model IR into a network plan: per layer the operation, the per-sample input/output shapes, fans,
 * parameter shapes and resolved norm settings. Pure (no tensors), so the cost estimate and the builder share it.
 *
 * Layout: the probe runs channels-last (tfjs convolutions are NHWC / NWC). A PyTorch model's input shape
 * [C, H, W] becomes [H, W, C]; i.i.d. initial weights make the two layouts statistically identical, and PyTorch's
 * Flatten is reproduced exactly by transposing back to channels-first before flattening (so unit k of a
 * following Linear sees the same feature as in PyTorch). Keras / tfjs models are channels-last already.
 */
import type { Framework, Layer, Model } from '../ir';
import { kernelVolume, windowOutputSize } from '../shapes';
import { resolveActivation, type ProbeActivation } from './activationSpec';
import { ProbePlanError } from './config';
import { resolveNorm, type ResolvedNorm } from './normSettings';


export type PlanOp = 'dense' | 'conv' | 'pool' | 'flatten' | 'norm' | 'dropout' | 'alphadropout' | 'identity';

export interface ConvPlan {
  dims: 1 | 2;
  kernel: number[];
  stride: number[];
  dilation: number[];
  /** tfjs padding: 'valid', 'same' or symmetric explicit per spatial dim. */
  padding: 'valid' | 'same' | number[];
  groups: number;
}

export interface PoolPlan {
  op: 'max' | 'avg';
  dims: 1 | 2;
  /** Global pools reduce every spatial axis; kernel/stride unused then. */
  global: boolean;
  kernel: number[];
  stride: number[];
  padding: 'valid' | 'same' | number[];
}

export interface LayerPlan {
  layer: Layer;
  op: PlanOp;
  /** Per-sample shapes, channels last. */
  inShape: number[];
  outShape: number[];
  /** Applied after the op (null: none). Activation layers are op 'identity' with this set. */
  activation: ProbeActivation | null;
  fanIn: number;
  fanOut: number;
  /** Kernel shape in tfjs layout ([in, out] or [...kernel, in/groups, out]); null without a kernel. */
  kernelShape: number[] | null;
  useBias: boolean;
  conv: ConvPlan | null;
  pool: PoolPlan | null;
  norm: ResolvedNorm | null;
  rate: number;
  weightNorm: boolean;
  cosine: boolean;
  /** PyTorch Flatten of a spatial tensor: transpose to channels-first first. */
  flattenChannelsFirst: boolean;
  /** Output is added to the output of this position in `layers` (-1: the model input); null: no skip. */
  residualPosition: number | null;
}

export interface NetworkPlan {
  model: Model;
  framework: Framework;
  inputShape: number[];
  layers: LayerPlan[];
  outputShape: number[];
  notes: string[];
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The input shape in channels-last form, from the config, the model, or the first layer. */
function inputShapeOf(model: Model, override: number[] | null, notes: string[]): number[] {
  const shape = override ?? model.input.shape;
  const layout = model.input.layout ?? (model.framework === 'pytorch' ? 'channels_first' : 'channels_last');
  if (shape && shape.length) {
    if (shape.some((d) => !Number.isInteger(d) || d <= 0)) throw new ProbePlanError(`input shape [${shape}] is not fully known`);
    return shape.length > 1 && layout === 'channels_first' ? [...shape.slice(1), shape[0]] : [...shape];
  }
  const first = model.layers[0];
  const inC = first?.in.value;
  if (!first || !inC) throw new ProbePlanError('the input shape is unknown and the first layer does not say its input width');
  if (first.kind === 'conv1d') {
    notes.push(`input length assumed 64 (the model does not say it)`);
    return [64, inC];
  }
  if (first.kind === 'conv2d') {
    notes.push(`input image assumed 32x32 (the model does not say it)`);
    return [32, 32, inC];
  }
  return [inC];
}

function perDim(v: number[], i: number): number {
  return v.length === 1 ? v[0] : v[i];
}

function planConv(l: Layer, inShape: number[], base: LayerPlan): LayerPlan {
  const dims = l.kind === 'conv1d' ? 1 : 2;
  const conv = l.conv;
  if (!conv) throw new ProbePlanError(`layer ${l.index} (${l.name}): no convolution parameters`, l.index);
  if (inShape.length !== dims + 1) throw new ProbePlanError(`layer ${l.index} (${l.name}): ${l.kind} needs a ${dims}-d spatial input, got [${inShape}]`, l.index);
  const inC = inShape[dims];
  const out = l.out.value;
  if (out === null) throw new ProbePlanError(`layer ${l.index} (${l.name}): output channels unresolved (${l.out.symbol ?? '?'})`, l.index);
  if (l.in.value !== null && l.in.value !== inC) throw new ProbePlanError(`layer ${l.index} (${l.name}): expects ${l.in.value} input channels, receives ${inC}`, l.index);
  const groups = conv.groups ?? 1;
  if (inC % groups || out % groups) throw new ProbePlanError(`layer ${l.index} (${l.name}): groups ${groups} do not divide channels ${inC} -> ${out}`, l.index);
  const kernel = Array.from({ length: dims }, (_, i) => perDim(conv.kernel, i));
  const stride = Array.from({ length: dims }, (_, i) => perDim(conv.stride, i));
  const dilation = Array.from({ length: dims }, (_, i) => perDim(conv.dilation.length ? conv.dilation : [1], i));
  if (stride.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    throw new ProbePlanError(`layer ${l.index} (${l.name}): tfjs cannot combine stride > 1 with dilation > 1`, l.index);
  }
  const padding = typeof conv.padding === 'string' ? conv.padding : Array.from({ length: dims }, (_, i) => perDim(conv.padding as number[], i));
  const spatial = kernel.map((k, i) =>
    windowOutputSize(inShape[i], k, stride[i], typeof padding === 'string' ? padding : padding[i], dilation[i]),
  );
  if (spatial.some((s) => s === null)) throw new ProbePlanError(`layer ${l.index} (${l.name}): kernel does not fit input [${inShape}]`, l.index);
  const kvol = kernelVolume(conv, dims);
  return {
    ...base,
    op: 'conv',
    outShape: [...(spatial as number[]), out],
    fanIn: (inC / groups) * kvol,
    fanOut: out * kvol,
    kernelShape: [...kernel, inC / groups, out],
    conv: { dims, kernel, stride, dilation, padding, groups },
  };
}

function planPool(l: Layer, inShape: number[], base: LayerPlan, notes: string[]): LayerPlan {
  const p = l.pool;
  if (!p) throw new ProbePlanError(`layer ${l.index} (${l.name}): no pooling parameters`, l.index);
  const dims = p.dims;
  if (inShape.length !== dims + 1) throw new ProbePlanError(`layer ${l.index} (${l.name}): ${dims}-d pooling needs a spatial input, got [${inShape}]`, l.index);
  const c = inShape[dims];
  const op = p.op.endsWith('max') ? 'max' : 'avg';
  const global = p.op.startsWith('global') || ((p.op === 'adaptive_avg' || p.op === 'adaptive_max') && (p.outputSize ?? [1]).every((o) => o === 1));
  if (global) return { ...base, op: 'pool', outShape: [c], pool: { op, dims, global: true, kernel: [], stride: [], padding: 'valid' } };
  let kernel: number[];
  let stride: number[];
  let padding: PoolPlan['padding'];
  if (p.op.startsWith('adaptive')) {
    const outSize = p.outputSize ?? [];
    kernel = inShape.slice(0, dims).map((n, i) => Math.ceil(n / perDim(outSize, i)));
    stride = inShape.slice(0, dims).map((n, i) => Math.floor(n / perDim(outSize, i)));
    if (inShape.slice(0, dims).some((n, i) => n % perDim(outSize, i))) notes.push(`layer ${l.index}: adaptive pooling with uneven windows approximated by fixed windows`);
    padding = 'valid';
  } else {
    kernel = Array.from({ length: dims }, (_, i) => perDim(p.kernel, i));
    stride = Array.from({ length: dims }, (_, i) => perDim(p.stride.length ? p.stride : p.kernel, i));
    padding = typeof p.padding === 'string' ? p.padding : Array.from({ length: dims }, (_, i) => perDim(p.padding as number[], i));
  }
  const spatial = kernel.map((k, i) => windowOutputSize(inShape[i], k, stride[i], typeof padding === 'string' ? padding : padding[i]));
  if (spatial.some((s) => s === null)) throw new ProbePlanError(`layer ${l.index} (${l.name}): pooling window does not fit input [${inShape}]`, l.index);
  return { ...base, op: 'pool', outShape: [...(spatial as number[]), c], pool: { op, dims, global: false, kernel, stride, padding } };
}

function planLayer(model: Model, l: Layer, inShape: number[], cosine: boolean, notes: string[]): LayerPlan {
  const framework = model.framework;
  const act = l.activation ? resolveActivation(l.activation, framework) : null;
  const base: LayerPlan = {
    layer: l,
    op: 'identity',
    inShape,
    outShape: inShape,
    activation: act && act.name !== 'linear' ? act : null,
    fanIn: 0,
    fanOut: 0,
    kernelShape: null,
    useBias: l.bias ? l.bias.present : true,
    conv: null,
    pool: null,
    norm: null,
    rate: 0,
    weightNorm: !!l.weightNorm,
    cosine: false,
    flattenChannelsFirst: false,
    residualPosition: null,
  };
  const units = inShape[inShape.length - 1];
  switch (l.kind) {
    case 'dense': {
      const out = l.out.value;
      if (out === null) throw new ProbePlanError(`layer ${l.index} (${l.name}): output width unresolved (${l.out.symbol ?? '?'})`, l.index);
      if (l.in.value !== null && l.in.value !== units) throw new ProbePlanError(`layer ${l.index} (${l.name}): expects ${l.in.value} inputs, receives ${units}`, l.index);
      return { ...base, op: 'dense', outShape: [...inShape.slice(0, -1), out], fanIn: units, fanOut: out, kernelShape: [units, out], cosine, useBias: base.useBias && !cosine };
    }
    case 'conv1d':
    case 'conv2d':
      return planConv(l, inShape, base);
    case 'pool':
      return planPool(l, inShape, base, notes);
    case 'flatten':
      return { ...base, op: 'flatten', outShape: [size(inShape)], flattenChannelsFirst: framework === 'pytorch' && inShape.length > 1 };
    case 'batchnorm':
    case 'batchrenorm':
    case 'layernorm':
    case 'groupnorm':
    case 'instancenorm':
      return { ...base, op: 'norm', norm: resolveNorm(l, framework, inShape) };
    case 'dropout':
    case 'alphadropout':
      return { ...base, op: l.kind, rate: l.rate ?? 0.5 };
    case 'activation':
      if (!l.activation) notes.push(`layer ${l.index} (${l.name}): activation unknown, treated as linear`);
      return base;
    case 'residual':
      return base;
    default:
      notes.push(`layer ${l.index} (${l.name}, ${l.sourceType}): not modelled by the probe, passed through unchanged`);
      return base;
  }
}

/** Plan the network for a model; throws ProbePlanError when it cannot be built. */
export function planNetwork(model: Model, options: { inputShape?: number[] | null; cosineLayers?: number[] } = {}): NetworkPlan {
  if (!model.layers.length) throw new ProbePlanError('the model has no layers');
  const notes: string[] = [];
  const inputShape = inputShapeOf(model, options.inputShape ?? null, notes);
  const cosine = new Set(options.cosineLayers ?? []);
  const position = new Map<number, number>();
  const layers: LayerPlan[] = [];
  let shape = inputShape;
  for (const l of model.layers) {
    const lp = planLayer(model, l, shape, cosine.has(l.index) || /cosine/i.test(l.sourceType), notes);
    if (l.residual) {
      const from = l.residual.from === -1 ? -1 : position.get(l.residual.from);
      if (from === undefined) throw new ProbePlanError(`layer ${l.index} (${l.name}): residual source ${l.residual.from} is not an earlier layer`, l.index);
      const skipShape = from === -1 ? inputShape : layers[from].outShape;
      if (skipShape.join() !== lp.outShape.join()) {
        throw new ProbePlanError(`layer ${l.index} (${l.name}): residual add of [${lp.outShape}] and [${skipShape}]`, l.index);
      }
      lp.residualPosition = from;
    }
    position.set(l.index, layers.length);
    layers.push(lp);
    shape = lp.outShape;
  }
  return { model, framework: model.framework, inputShape, layers, outputShape: shape, notes };
}
