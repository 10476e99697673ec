import type { Layer } from '../../ir';
import { resolveInitVariances } from '../../initializers';
import { activationFromLayerClass, activationFromValue } from './kerasActivations';
import { readBias, readInitializer } from './kerasInitializers';
import { isNormLayer, mapNormLayer } from './kerasNormLayers';
import { isShapeLayer, mapShapeLayer } from './kerasShapeLayers';
import { isSpatialLayer, mapSpatialLayer } from './kerasSpatialLayers';
import { boolOf, describeValue, numberOf, positiveIntOf, prop, propAny, stringOf } from './jsonTree';
import { addPartial, channelsOf, dimOf, type LayerEntry, type ReadContext, type Tensor, UNKNOWN_PRODUCER, unknownTensor } from './readContext';
import { baseLayer, type MappedLayer, passThrough } from './layerBase';

/**
 * One Keras / tfjs layer object -> one IR layer, given the tensors flowing into it. Dispatches by `class_name`;
 * classes NormLens does not model become kind 'other' with a partial reason (never a throw, never a guess).
 */

const DROPOUT = new Set(['Dropout', 'SpatialDropout1D', 'SpatialDropout2D', 'SpatialDropout3D']);
const MERGE = new Set(['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'TFOpLambda']);
const WRAPPERS = new Set(['TimeDistributed', 'WeightNormalization', 'Addons>WeightNormalization']);
/** tf.keras 2.x functional `x + y` becomes a TFOpLambda layer with one of these functions. */
const TF_ADD = new Set(['__operators__.add', 'math.add', 'add']);

function mapDense(ctx: ReadContext, e: LayerEntry, input: Tensor): MappedLayer {
  const c = e.config;
  const index = ctx.layers.length;
  // Dense acts on the last axis whatever the layout.
  const inWidth = input.dims && input.dims.length ? input.dims[input.dims.length - 1] : null;
  const unitsNode = propAny(c, 'units', 'output_dim');
  const units = positiveIntOf(unitsNode);
  if (units === null) {
    addPartial(ctx, `units is ${describeValue(unitsNode)}, not a positive integer up to 2^53`, unitsNode ?? e.node, `${e.name}.units`, index);
  }
  const outSymbol = units === null ? `${e.name}.units` : null;
  const layer = baseLayer(ctx, e, 'dense', dimOf(inWidth, inWidth === null ? input.symbol : null), dimOf(units, outSymbol));
  const initNode = propAny(c, 'kernel_initializer', 'init');
  const read = readInitializer(initNode, ctx.framework, ctx.lines.rangeOf);
  if (read.unrecognised) addPartial(ctx, `initializer "${read.unrecognised}" is not recognised`, initNode, read.unrecognised, index);
  layer.init = resolveInitVariances(read.spec, inWidth, units);
  layer.bias = readBias(boolOf(propAny(c, 'use_bias', 'bias')) ?? true, prop(c, 'bias_initializer'), ctx.framework);
  layer.activation = activationFromValue(ctx, prop(c, 'activation'), index);
  const dims = input.dims && input.dims.length ? [...input.dims.slice(0, -1), units] : [units];
  return { layer, out: { from: index, dims, symbol: outSymbol, channelsFirst: false } };
}

function mapRateLayer(ctx: ReadContext, e: LayerEntry, input: Tensor, kind: 'dropout' | 'alphadropout'): MappedLayer {
  const inDim = dimOf(channelsOf(input), input.symbol);
  const layer = baseLayer(ctx, e, kind, inDim, inDim);
  const rateNode = propAny(e.config, 'rate', 'p');
  const rate = numberOf(rateNode);
  if (rate === null || rate < 0 || rate >= 1) {
    addPartial(ctx, `rate is ${describeValue(rateNode)}, not a number in [0, 1)`, rateNode ?? e.node, `${e.name}.rate`, layer.index);
  } else {
    layer.rate = rate;
  }
  return { layer, out: passThrough(input, layer.index) };
}

/** Pick the main branch (the previous layer when it is an input) and the skip branch(es) of a merge. */
function splitBranches(inputs: Tensor[], index: number): { main: Tensor; others: Tensor[] } {
  let mainAt = inputs.findIndex((t) => t.from === index - 1);
  if (mainAt < 0) mainAt = inputs.reduce((best, t, i) => (t.from > inputs[best].from ? i : best), 0);
  return { main: inputs[mainAt], others: inputs.filter((_, i) => i !== mainAt) };
}

function mapMerge(ctx: ReadContext, e: LayerEntry, inputs: Tensor[]): MappedLayer {
  const index = ctx.layers.length;
  const fn = stringOf(prop(e.config, 'function'));
  const isAdd = e.className === 'Add' || (e.className === 'TFOpLambda' && fn !== null && TF_ADD.has(fn));
  const { main, others } = splitBranches(inputs, index);
  const inW = channelsOf(main);
  const inDim = dimOf(inW, inW === null ? main.symbol : null);

  if (e.className === 'Concatenate') {
    const widths = inputs.map((t) => channelsOf(t));
    const total = widths.every((w) => w !== null) ? (widths as number[]).reduce((a, b) => a + b, 0) : null;
    const layer = baseLayer(ctx, e, 'other', inDim, dimOf(total, total === null ? `${e.name}.inputs` : null));
    const dims = main.dims ? (main.channelsFirst ? [total, ...main.dims.slice(1)] : [...main.dims.slice(0, -1), total]) : null;
    return { layer, out: { ...main, from: index, dims, symbol: layer.out.symbol } };
  }
  if (!isAdd || others.length === 0) {
    // Elementwise merges keep the shape; a TFOpLambda other than add is an arbitrary TF op.
    const known = e.className !== 'TFOpLambda' || (fn !== null && TF_ADD.has(fn));
    const layer = baseLayer(ctx, e, 'other', inDim, known ? inDim : dimOf(null, e.name));
    if (!known) {
      addPartial(ctx, `TFOpLambda "${fn ?? '?'}" is not modelled: widths after it are unknown`, e.node, e.name, index);
      return { layer, out: unknownTensor(index, e.name) };
    }
    if (e.className === 'Add') addPartial(ctx, 'Add has a single input: no residual branch found', e.node, e.name, index);
    return { layer, out: passThrough(main, index) };
  }
  const layer = baseLayer(ctx, e, 'residual', inDim, inDim);
  const skip = others.reduce((a, b) => (b.from < a.from ? b : a));
  // A skip branch from an unresolved reference has no index to name (its reason is already reported).
  if (skip.from !== UNKNOWN_PRODUCER) layer.residual = { from: skip.from };
  if (others.length > 1) {
    addPartial(ctx, `Add of ${inputs.length} tensors: residual.from names only the earliest branch`, e.node, e.name, index);
  }
  const skipW = channelsOf(skip);
  if (inW !== null && skipW !== null && inW !== skipW) {
    addPartial(ctx, `Add of tensors with ${inW} and ${skipW} features: the shapes do not match`, e.node, e.name, index);
  }
  return { layer, out: passThrough(main, index) };
}

function mapUnknown(ctx: ReadContext, e: LayerEntry, input: Tensor): MappedLayer {
  const inW = channelsOf(input);
  const layer = baseLayer(ctx, e, 'other', dimOf(inW, inW === null ? input.symbol : null), dimOf(null, e.name));
  addPartial(ctx, `layer class "${e.className}" is not modelled by NormLens: widths after it are unknown`, e.node, e.name, layer.index);
  return { layer, out: unknownTensor(layer.index, e.name) };
}

/** Wrappers hold the real layer in `config.layer`; TimeDistributed applies it per time step. */
function mapWrapper(ctx: ReadContext, e: LayerEntry, inputs: Tensor[], depth: number): MappedLayer {
  const innerNode = prop(e.config, 'layer');
  const innerClass = stringOf(prop(innerNode, 'class_name'));
  if (!innerClass || depth > 4) return mapUnknown(ctx, e, inputs[0]);
  const inner: LayerEntry = { node: e.node, className: innerClass, config: prop(innerNode, 'config'), name: e.name };
  const perStep = e.className === 'TimeDistributed';
  const input = inputs[0];
  const innerInput = perStep && input.dims && input.dims.length > 1 ? { ...input, dims: input.dims.slice(1) } : input;
  const mapped = mapKerasLayer(ctx, inner, [innerInput], depth + 1);
  mapped.layer.sourceType = `${e.className}(${innerClass})`;
  if (!perStep) mapped.layer.weightNorm = true;
  if (perStep && input.dims && input.dims.length > 1 && mapped.out.dims) {
    mapped.out = { ...mapped.out, dims: [input.dims[0], ...mapped.out.dims] };
  }
  return mapped;
}

/**
 * Map one layer. `inputs` are the tensors it consumes (one for Sequential; the inbound tensors for functional
 * models, first = the main path). `depth` guards wrapper recursion.
 */
export function mapKerasLayer(ctx: ReadContext, e: LayerEntry, inputs: Tensor[], depth = 0): MappedLayer {
  const input = inputs[0] ?? unknownTensor(UNKNOWN_PRODUCER, 'input_shape');
  const cls = e.className;
  if (cls === 'Dense') return mapDense(ctx, e, input);
  if (DROPOUT.has(cls)) return mapRateLayer(ctx, e, input, 'dropout');
  if (cls === 'AlphaDropout') return mapRateLayer(ctx, e, input, 'alphadropout');
  if (isSpatialLayer(cls)) return mapSpatialLayer(ctx, e, input);
  if (isNormLayer(cls)) return mapNormLayer(ctx, e, input);
  if (MERGE.has(cls)) return mapMerge(ctx, e, inputs.length ? inputs : [input]);
  if (WRAPPERS.has(cls)) return mapWrapper(ctx, e, [input], depth);
  if (isShapeLayer(cls)) return mapShapeLayer(ctx, e, input);

  const index = ctx.layers.length;
  const classNode = prop(e.node, 'class_name');
  const fromClass = activationFromLayerClass(ctx, cls, e.config, classNode);
  if (cls === 'Activation' || fromClass !== undefined) {
    const activation = cls === 'Activation' ? activationFromValue(ctx, prop(e.config, 'activation'), index) : fromClass!;
    const inDim = dimOf(channelsOf(input), input.symbol);
    const layer: Layer = baseLayer(ctx, e, 'activation', inDim, inDim);
    layer.activation = activation;
    return { layer, out: passThrough(input, index) };
  }
  return mapUnknown(ctx, e, input);
}
