import type { Node } from 'jsonc-parser';
import type { Dim, Framework, Layer, PartialReason } from '../../ir';
import { knownDim, unknownDim } from '../../ir';
import type { LineIndex } from './sourceRanges';

/**
 * State shared by the pieces of the JSON front end while one model is read. One context per model, created by
 * readJson and threaded through explicitly (no module-level state, so concurrent reads cannot interfere).
 */
export interface ReadContext {
  lines: LineIndex;
  /** 'keras' for Keras to_json files, 'tfjs' for tfjs-layers model.json: decides init truncation and defaults. */
  framework: Framework;
  /** The IR layers in forward order; a layer's index is its position here. */
  layers: Layer[];
  partial: PartialReason[];
  /** Layers still allowed before the size guard stops reading (a 10,000-layer file must not stall the host). */
  layerBudget: number;
  /** Set once the budget ran out, so the reason is reported once. */
  truncated: boolean;
  /** Per-sample width used when the file gives no input shape (the `inputSize` setting), else null. */
  defaultInputSize: number | null;
  /** The model input as first read from the file (InputLayer, batch_input_shape, ...), null until found. */
  input: { dims: (number | null)[]; batch: number | null; node: Node | undefined } | null;
  /** Layout of the first conv / pool layer, which is the layout of a spatial model input. */
  layout: 'channels_first' | 'channels_last' | null;
}

/** `Tensor.from` when the producing layer is not known (dangling reference, cut-off read): never written to the IR. */
export const UNKNOWN_PRODUCER = -2;

/**
 * Per-sample tensor shape flowing between layers, in the file's own axis order (channels last unless a layer said
 * channels_first). `dims` null means the rank itself is unknown.
 */
export interface Tensor {
  /** Index of the layer that produced it; -1 for the model input; UNKNOWN_PRODUCER when not known. */
  from: number;
  dims: (number | null)[] | null;
  /** What an unknown width depends on ("input_shape", "dense_2.units"), carried into Dim.symbol. */
  symbol: string | null;
  /** True when the channel axis is the first per-sample axis (a channels_first conv produced it). */
  channelsFirst: boolean;
}

/** A layer object from the file, with the name it gets in the IR (prefixed inside nested models). */
export interface LayerEntry {
  node: Node;
  className: string;
  config: Node | undefined;
  name: string;
}

/** Record a reason the model is incomplete, with the range of the node it concerns. */
export function addPartial(
  ctx: ReadContext,
  reason: string,
  node: Node | undefined,
  symbol: string | null = null,
  layer?: number,
): void {
  const entry: PartialReason = { symbol, reason, range: node ? ctx.lines.rangeOf(node) : null };
  if (layer !== undefined) entry.layer = layer;
  ctx.partial.push(entry);
}

/** The channel / feature width of a tensor (last axis, or first when channels_first). */
export function channelsOf(t: Tensor): number | null {
  if (!t.dims || t.dims.length === 0) return null;
  return t.channelsFirst ? t.dims[0] : t.dims[t.dims.length - 1];
}

/** The spatial axes of a tensor (all but the channel axis), or null when the rank is unknown. */
export function spatialOf(t: Tensor): (number | null)[] | null {
  if (!t.dims) return null;
  return t.channelsFirst ? t.dims.slice(1) : t.dims.slice(0, -1);
}

/** Rebuild per-sample dims from spatial axes and a channel count, keeping the tensor's layout. */
export function joinDims(spatial: (number | null)[], channels: number | null, channelsFirst: boolean): (number | null)[] {
  return channelsFirst ? [channels, ...spatial] : [...spatial, channels];
}

/** A Dim for a width that may be unknown, naming what it depends on. */
export function dimOf(value: number | null, symbol: string | null): Dim {
  return value === null ? unknownDim(symbol) : knownDim(value);
}

/** A tensor of unknown shape that depends on `symbol`. */
export function unknownTensor(from: number, symbol: string | null): Tensor {
  return { from, dims: null, symbol, channelsFirst: false };
}
