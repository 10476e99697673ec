import type { Node } from 'jsonc-parser';
import type { ConvSpec, Layer, PoolSpec } from '../../ir';
import { resolveInitVariances } from '../../initializers';
import { convOutputSpatial, kernelVolume, poolOutputSpatial } from '../../shapes';
import { activationFromValue } from './kerasActivations';
import { readBias, readInitializer } from './kerasInitializers';
import { boolOf, describeValue, intTupleOf, positiveIntOf, prop, propAny, stringOf } from './jsonTree';
import { addPartial, dimOf, joinDims, type LayerEntry, type ReadContext, type Tensor } from './readContext';
import { baseLayer, type MappedLayer } from './layerBase';

/**
 * Convolution and pooling layers (1-D and 2-D): channels and spatial size through core/shapes.ts. Keras 1 spellings
 * (nb_filter, nb_row/nb_col, subsample, border_mode, dim_ordering) are read too: old Sequential files use them.
 */

const CONV: Record<string, 1 | 2> = { Conv1D: 1, Convolution1D: 1, Conv2D: 2, Convolution2D: 2, DepthwiseConv2D: 2 };
const POOL: Record<string, { op: PoolSpec['op']; dims: 1 | 2 }> = {
  MaxPooling1D: { op: 'max', dims: 1 }, MaxPool1D: { op: 'max', dims: 1 },
  MaxPooling2D: { op: 'max', dims: 2 }, MaxPool2D: { op: 'max', dims: 2 },
  AveragePooling1D: { op: 'avg', dims: 1 }, AvgPool1D: { op: 'avg', dims: 1 },
  AveragePooling2D: { op: 'avg', dims: 2 }, AvgPool2D: { op: 'avg', dims: 2 },
  GlobalAveragePooling1D: { op: 'global_avg', dims: 1 }, GlobalAvgPool1D: { op: 'global_avg', dims: 1 },
  GlobalAveragePooling2D: { op: 'global_avg', dims: 2 }, GlobalAvgPool2D: { op: 'global_avg', dims: 2 },
  GlobalMaxPooling1D: { op: 'global_max', dims: 1 }, GlobalMaxPool1D: { op: 'global_max', dims: 1 },
  GlobalMaxPooling2D: { op: 'global_max', dims: 2 }, GlobalMaxPool2D: { op: 'global_max', dims: 2 },
};

/** True when this module maps the class. */
export function isSpatialLayer(className: string): boolean {
  return className in CONV || className in POOL;
}

/** 'channels_first' from data_format or Keras 1 dim_ordering 'th'. */
function channelsFirstOf(config: Node | undefined): boolean {
  const df = stringOf(prop(config, 'data_format')) ?? stringOf(prop(config, 'dim_ordering'));
  return df === 'channels_first' || df === 'th';
}

/** 'valid' / 'same'; causal keeps the length like 'same'; null for anything else (Keras 1 'full'). */
function paddingOf(config: Node | undefined): 'valid' | 'same' | null {
  const p = stringOf(propAny(config, 'padding', 'border_mode')) ?? 'valid';
  if (p === 'valid' || p === 'same') return p;
  return p === 'causal' ? 'same' : null;
}

/** Split the input into spatial axes and channels for a layer with `dims` spatial axes, or report a rank mismatch. */
function splitInput(ctx: ReadContext, e: LayerEntry, input: Tensor, dims: number, cf: boolean) {
  if (!input.dims) return { spatial: null as (number | null)[] | null, channels: null as number | null };
  if (input.dims.length !== dims + 1) {
    addPartial(ctx, `${e.className} expects a rank-${dims + 1} input per sample, got [${input.dims.join(', ')}]`, e.node, e.name, ctx.layers.length);
    return { spatial: null, channels: null };
  }
  return cf
    ? { spatial: input.dims.slice(1), channels: input.dims[0] }
    : { spatial: input.dims.slice(0, -1), channels: input.dims[dims] };
}

function reportNoFit(ctx: ReadContext, e: LayerEntry, spatial: (number | null)[] | null, out: number[] | null): void {
  if (out === null && spatial && spatial.every((s) => s !== null)) {
    addPartial(ctx, `${e.className} window does not fit its input [${spatial.join(', ')}]: no output positions`, e.node, e.name, ctx.layers.length);
  }
}

function mapConv(ctx: ReadContext, e: LayerEntry, input: Tensor, dims: 1 | 2): MappedLayer {
  const c = e.config;
  const index = ctx.layers.length;
  const cf = channelsFirstOf(c);
  const depthwise = e.className === 'DepthwiseConv2D';
  const kernelNode = prop(c, 'kernel_size') ?? prop(c, 'filter_length');
  let kernel = intTupleOf(kernelNode, dims);
  if (!kernel && dims === 2) {
    const r = positiveIntOf(prop(c, 'nb_row'));
    const k = positiveIntOf(prop(c, 'nb_col'));
    kernel = r && k ? [r, k] : null;
  }
  const conv: ConvSpec = {
    kernel: kernel ?? new Array<number>(dims).fill(1),
    stride: intTupleOf(propAny(c, 'strides', 'subsample', 'subsample_length'), dims) ?? new Array<number>(dims).fill(1),
    padding: paddingOf(c) ?? 'valid',
    dilation: intTupleOf(propAny(c, 'dilation_rate', 'atrous_rate'), dims) ?? new Array<number>(dims).fill(1),
  };
  if (!kernel) addPartial(ctx, `kernel_size is ${describeValue(kernelNode)}, not ${dims} positive integers`, kernelNode ?? e.node, `${e.name}.kernel_size`, index);
  if (paddingOf(c) === null) addPartial(ctx, `padding ${describeValue(propAny(c, 'padding', 'border_mode'))} is not modelled; read as 'valid'`, propAny(c, 'padding', 'border_mode'), `${e.name}.padding`, index);

  const { spatial, channels } = splitInput(ctx, e, input, dims, cf);
  const multiplier = positiveIntOf(prop(c, 'depth_multiplier')) ?? 1;
  const filtersNode = propAny(c, 'filters', 'nb_filter');
  let filters: number | null;
  if (depthwise) {
    filters = channels === null ? null : channels * multiplier;
    conv.groups = channels ?? undefined;
  } else {
    filters = positiveIntOf(filtersNode);
    if (filters === null) addPartial(ctx, `filters is ${describeValue(filtersNode)}, not a positive integer up to 2^53`, filtersNode ?? e.node, `${e.name}.filters`, index);
    const groups = positiveIntOf(prop(c, 'groups')) ?? 1;
    if (groups !== 1) conv.groups = groups;
  }
  const outSpatial = kernel ? convOutputSpatial(spatial, conv) : null;
  reportNoFit(ctx, e, spatial, outSpatial);

  const inSymbol = channels === null ? input.symbol : null;
  const outSymbol = filters !== null ? null : depthwise ? inSymbol : `${e.name}.filters`;
  const layer: Layer = baseLayer(ctx, e, dims === 1 ? 'conv1d' : 'conv2d', dimOf(channels, inSymbol), dimOf(filters, outSymbol));
  layer.conv = conv;
  layer.spatial = outSpatial;

  // Keras fans for a kernel of shape (k..., in/groups, filters): fan_in = in/groups * rf, fan_out = filters * rf.
  // DepthwiseConv2D's kernel is (k, k, in, multiplier), so Keras scales its init by in * rf although each output
  // only sees rf inputs: Var(w) follows Keras, sigma_w^2 uses the true fan-in rf.
  const rf = kernelVolume(conv, dims);
  const groups = depthwise ? 1 : (conv.groups ?? 1);
  const fanIn = channels === null ? null : (channels / groups) * rf;
  const fanOut = depthwise ? multiplier * rf : filters === null ? null : filters * rf;
  const initNode = propAny(c, depthwise ? 'depthwise_initializer' : 'kernel_initializer', 'init');
  const read = readInitializer(initNode, ctx.framework, ctx.lines.rangeOf);
  if (read.unrecognised) addPartial(ctx, `initializer "${read.unrecognised}" is not recognised`, initNode, read.unrecognised, index);
  layer.init = resolveInitVariances(read.spec, fanIn, fanOut);
  if (depthwise && layer.init.weightVariance !== null) layer.init.sigmaW2 = layer.init.weightVariance * rf;
  layer.bias = readBias(boolOf(propAny(c, 'use_bias', 'bias')) ?? true, prop(c, 'bias_initializer'), ctx.framework);
  layer.activation = activationFromValue(ctx, prop(c, 'activation'), index);

  const outDims = outSpatial ?? (spatial ? spatial.map(() => null) : new Array<number | null>(dims).fill(null));
  return { layer, out: { from: index, dims: joinDims(outDims, filters, cf), symbol: outSymbol, channelsFirst: cf } };
}

function mapPool(ctx: ReadContext, e: LayerEntry, input: Tensor, op: PoolSpec['op'], dims: 1 | 2): MappedLayer {
  const c = e.config;
  const index = ctx.layers.length;
  const cf = channelsFirstOf(c);
  const global = op === 'global_avg' || op === 'global_max';
  const kernel = global ? [] : (intTupleOf(propAny(c, 'pool_size', 'pool_length'), dims) ?? new Array<number>(dims).fill(2));
  // strides null means "same as pool_size" in Keras and tfjs.
  const stride = global ? [] : (intTupleOf(propAny(c, 'strides', 'stride'), dims) ?? kernel);
  const pool: PoolSpec = { op, kernel, stride, padding: paddingOf(c) ?? 'valid', dims };
  const { spatial, channels } = splitInput(ctx, e, input, dims, cf);
  const outSpatial = poolOutputSpatial(spatial, pool);
  if (!global) reportNoFit(ctx, e, spatial, outSpatial);

  const symbol = channels === null ? input.symbol : null;
  const layer: Layer = baseLayer(ctx, e, 'pool', dimOf(channels, symbol), dimOf(channels, symbol));
  layer.pool = pool;
  layer.spatial = outSpatial;
  let outDims: (number | null)[];
  if (global) {
    // keepdims (Keras >= 2.6) keeps 1-sized spatial axes.
    outDims = boolOf(prop(c, 'keepdims')) === true ? joinDims(new Array<number>(dims).fill(1), channels, cf) : [channels];
  } else {
    outDims = joinDims(outSpatial ?? new Array<number | null>(dims).fill(null), channels, cf);
  }
  return { layer, out: { from: index, dims: outDims, symbol, channelsFirst: global ? false : cf } };
}

/** Map a conv or pooling layer (see isSpatialLayer). */
export function mapSpatialLayer(ctx: ReadContext, e: LayerEntry, input: Tensor): MappedLayer {
  ctx.layout ??= channelsFirstOf(e.config) ? 'channels_first' : 'channels_last';
  const convDims = CONV[e.className];
  if (convDims) return mapConv(ctx, e, input, convDims);
  const p = POOL[e.className];
  return mapPool(ctx, e, input, p.op, p.dims);
}
