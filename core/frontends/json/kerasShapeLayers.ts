import type { Node } from 'jsonc-parser';
import { boolOf, describeValue, intTupleOf, itemsOf, numberOf, positiveIntOf, prop, propAny, stringOf } from './jsonTree';
import { addPartial, channelsOf, dimOf, joinDims, spatialOf, type LayerEntry, type ReadContext, type Tensor } from './readContext';
import { baseLayer, type MappedLayer, passThrough } from './layerBase';

/**
 * Layers that only move or re-shape features (Flatten, Reshape, padding, up-sampling), and the sequence layers
 * whose output width is simply their `units` (RNNs, Embedding). They matter to NormLens for the widths they hand
 * on, not for their statistics, so they map to kind 'flatten' or 'other'.
 */

/** Classes that keep shape and (for the mean-field picture) do not need modelling beyond passing widths on. */
const SHAPE_PRESERVING = new Set([
  'GaussianNoise', 'GaussianDropout', 'ActivityRegularization', 'Masking', 'Rescaling', 'Normalization', 'Identity',
  'RandomFlip', 'RandomRotation', 'RandomTranslation', 'RandomZoom', 'RandomContrast', 'RandomBrightness',
  'UnitNormalization',
]);
const RNN = new Set(['LSTM', 'GRU', 'SimpleRNN', 'CuDNNLSTM', 'CuDNNGRU']);
const SHAPE = new Set(['Flatten', 'Reshape', 'ZeroPadding1D', 'ZeroPadding2D', 'UpSampling1D', 'UpSampling2D', 'Embedding', 'Bidirectional']);

/** True when this module maps the class. */
export function isShapeLayer(className: string): boolean {
  return SHAPE_PRESERVING.has(className) || RNN.has(className) || SHAPE.has(className);
}

function product(dims: (number | null)[] | null): number | null {
  if (!dims) return null;
  let p = 1;
  for (const d of dims) {
    if (d === null) return null;
    p *= d;
  }
  return p;
}

/** Reshape's target_shape with a single -1 resolved from the input size when it is known. */
function reshapeDims(target: Node | undefined, input: Tensor): (number | null)[] | null {
  const items = itemsOf(target);
  if (!items) return null;
  const dims = items.map((i) => numberOf(i));
  if (dims.some((d) => d === null || !Number.isInteger(d))) return null;
  const total = product(input.dims);
  const known = (dims as number[]).filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  return (dims as number[]).map((d) => (d === -1 ? (total !== null && known > 0 ? total / known : null) : d));
}

/** Per-axis total padding of ZeroPadding1D/2D: `1`, `[1, 2]` (one pair or one per axis) or `[[1, 1], [2, 2]]`. */
function paddingTotals(node: Node | undefined, dims: number): number[] | null {
  const n = numberOf(node);
  if (n !== null) return new Array<number>(dims).fill(2 * n);
  const items = itemsOf(node);
  if (!items) return null;
  if (dims === 1 && items.length === 2 && items.every((i) => numberOf(i) !== null)) {
    return [numberOf(items[0])! + numberOf(items[1])!];
  }
  if (items.length !== dims) return null;
  const out: number[] = [];
  for (const item of items) {
    const single = numberOf(item);
    const pair = itemsOf(item)?.map((x) => numberOf(x));
    if (single !== null) out.push(2 * single);
    else if (pair && pair.length === 2 && pair[0] !== null && pair[1] !== null) out.push(pair[0] + pair[1]);
    else return null;
  }
  return out;
}

function reportBadInt(ctx: ReadContext, e: LayerEntry, key: string, index: number, config = e.config): void {
  const node = prop(config, key);
  addPartial(ctx, `${key} is ${describeValue(node)}, not a positive integer up to 2^53`, node ?? e.node, `${e.name}.${key}`, index);
}

/** Map a shape layer (see isShapeLayer). */
export function mapShapeLayer(ctx: ReadContext, e: LayerEntry, input: Tensor): MappedLayer {
  const c = e.config;
  const index = ctx.layers.length;
  const inCh = channelsOf(input);
  const inDim = dimOf(inCh, inCh === null ? input.symbol : null);
  const cls = e.className;

  if (SHAPE_PRESERVING.has(cls)) {
    const layer = baseLayer(ctx, e, 'other', inDim, inDim);
    const rate = numberOf(prop(c, 'rate'));
    if (rate !== null) layer.rate = rate;
    return { layer, out: passThrough(input, index) };
  }
  if (cls === 'Flatten') {
    const total = product(input.dims);
    const layer = baseLayer(ctx, e, 'flatten', inDim, dimOf(total, total === null ? (input.symbol ?? 'input_shape') : null));
    return { layer, out: { from: index, dims: [total], symbol: layer.out.symbol, channelsFirst: false } };
  }
  if (cls === 'Reshape') {
    const dims = reshapeDims(prop(c, 'target_shape'), input);
    const last = dims && dims.length ? dims[dims.length - 1] : null;
    if (last === null && input.dims !== null) {
      addPartial(ctx, `target_shape ${describeValue(prop(c, 'target_shape'))} cannot be resolved against the input`, prop(c, 'target_shape') ?? e.node, `${e.name}.target_shape`, index);
    }
    const layer = baseLayer(ctx, e, 'other', inDim, dimOf(last, last === null ? `${e.name}.target_shape` : null));
    return { layer, out: { from: index, dims, symbol: layer.out.symbol, channelsFirst: false } };
  }
  if (cls.startsWith('ZeroPadding') || cls.startsWith('UpSampling')) {
    const dims = cls.endsWith('1D') ? 1 : 2;
    const cf = input.channelsFirst || stringOf(prop(c, 'data_format')) === 'channels_first';
    const spatial = spatialOf({ ...input, channelsFirst: cf });
    let outSpatial: (number | null)[] | null = null;
    if (spatial && spatial.length === dims) {
      // Keras defaults: padding 1 on each side, up-sampling by 2.
      const padNode = prop(c, 'padding');
      const sizeNode = propAny(c, 'size', 'length');
      const pad = cls.startsWith('ZeroPadding') ? (padNode ? paddingTotals(padNode, dims) : new Array<number>(dims).fill(2)) : null;
      const size = cls.startsWith('UpSampling') ? (sizeNode ? intTupleOf(sizeNode, dims) : new Array<number>(dims).fill(2)) : null;
      if (!pad && !size) {
        addPartial(ctx, `${cls} ${describeValue(padNode ?? sizeNode)} is not a padding / size NormLens reads`, padNode ?? sizeNode ?? e.node, e.name, index);
      }
      outSpatial = spatial.map((s, i) => (s === null ? null : pad ? s + pad[i] : size ? s * size[i] : null));
    }
    const layer = baseLayer(ctx, e, 'other', inDim, inDim);
    layer.spatial = outSpatial && outSpatial.every((s) => s !== null) ? (outSpatial as number[]) : null;
    if (spatial && spatial.length !== dims) {
      addPartial(ctx, `${cls} expects ${dims} spatial axes, got input [${input.dims!.join(', ')}]`, e.node, e.name, index);
    }
    // Channels survive even when the spatial size does not.
    const outDims = input.dims ? joinDims(outSpatial ?? new Array<number | null>(dims).fill(null), inCh, cf) : null;
    return { layer, out: { from: index, dims: outDims, symbol: input.symbol, channelsFirst: cf } };
  }
  if (cls === 'Embedding') {
    const width = positiveIntOf(prop(c, 'output_dim'));
    if (width === null) reportBadInt(ctx, e, 'output_dim', index);
    const layer = baseLayer(ctx, e, 'other', inDim, dimOf(width, `${e.name}.output_dim`));
    const dims = input.dims ? [...input.dims, width] : null;
    return { layer, out: { from: index, dims, symbol: layer.out.symbol, channelsFirst: false } };
  }
  // RNNs and Bidirectional(RNN): width = units (x2 for a concatenating Bidirectional); sequences keep their length.
  const inner = cls === 'Bidirectional' ? prop(prop(c, 'layer'), 'config') : c;
  const units = positiveIntOf(prop(inner, 'units'));
  if (units === null) reportBadInt(ctx, e, 'units', index, inner);
  const mergeMode = stringOf(prop(c, 'merge_mode')) ?? 'concat';
  const width = units === null ? null : cls === 'Bidirectional' && mergeMode === 'concat' ? 2 * units : units;
  const layer = baseLayer(ctx, e, 'other', inDim, dimOf(width, `${e.name}.units`));
  const sequences = boolOf(prop(inner, 'return_sequences')) === true;
  const steps = input.dims && input.dims.length >= 2 ? input.dims[0] : null;
  return { layer, out: { from: index, dims: sequences ? [steps, width] : [width], symbol: layer.out.symbol, channelsFirst: false } };
}
