import type { Node } from 'jsonc-parser';
import type { Layer, LayerKind, NormSpec } from '../../ir';
import { boolOf, itemsOf, numberOf, prop, propAny } from './jsonTree';
import { addPartial, channelsOf, dimOf, type LayerEntry, type ReadContext, type Tensor } from './readContext';
import { baseLayer, type MappedLayer, passThrough } from './layerBase';

/**
 * Normalization layers: BatchNormalization (and Batch Renormalization via `renorm`), LayerNormalization,
 * GroupNormalization, InstanceNormalization. Defaults are Keras's and tfjs's (momentum 0.99, epsilon 1e-3,
 * 32 groups); reference.md "Normalization layers".
 */

const BATCH_NORM = new Set(['BatchNormalization', 'BatchNormalizationV1', 'BatchNormalizationV2', 'SyncBatchNormalization']);
const GROUP_NORM = new Set(['GroupNormalization', 'Addons>GroupNormalization']);
const INSTANCE_NORM = new Set(['InstanceNormalization', 'Addons>InstanceNormalization']);

/** True when the class is a normalization layer this module maps. */
export function isNormLayer(className: string): boolean {
  return (
    BATCH_NORM.has(className) || GROUP_NORM.has(className) || INSTANCE_NORM.has(className) || className === 'LayerNormalization'
  );
}

/**
 * Keras `axis` (counting the batch axis: 3 and -1 are the same axis of an NHWC tensor; a built model serialises
 * `[3]`) -> per-sample axis indices; null when it cannot be placed.
 */
function perSampleAxes(axisNode: Node | undefined, rank: number): number[] | null {
  const raw = numberOf(axisNode) !== null ? [numberOf(axisNode)!] : (itemsOf(axisNode)?.map((n) => numberOf(n)) ?? [-1]);
  const out: number[] = [];
  for (const a of raw) {
    if (a === null || !Number.isInteger(a)) return null;
    const idx = a < 0 ? rank + a : a - 1;
    if (idx < 0 || idx >= rank) return null;
    out.push(idx);
  }
  return out;
}

/** The written `axis` for messages: a number or a list, as in the file. */
function axisAsWritten(axisNode: Node | undefined): number | number[] | null {
  const n = numberOf(axisNode);
  if (n !== null) return n;
  const items = itemsOf(axisNode);
  if (!items) return null;
  const values = items.map((i) => numberOf(i));
  return values.every((v) => v !== null) ? (values as number[]) : null;
}

/** Map a normalization layer; widths pass through unchanged (the width is the size of the normalised axes). */
export function mapNormLayer(ctx: ReadContext, e: LayerEntry, input: Tensor): MappedLayer {
  const c = e.config;
  const isBatch = BATCH_NORM.has(e.className);
  const renorm = isBatch && boolOf(prop(c, 'renorm')) === true;
  let kind: LayerKind = 'layernorm';
  if (isBatch) kind = renorm ? 'batchrenorm' : 'batchnorm';
  else if (GROUP_NORM.has(e.className)) kind = 'groupnorm';
  else if (INSTANCE_NORM.has(e.className)) kind = 'instancenorm';

  const axisNode = prop(c, 'axis');
  let width = channelsOf(input);
  if (input.dims && axisNode !== undefined) {
    const axes = perSampleAxes(axisNode, input.dims.length);
    if (axes === null) {
      addPartial(ctx, `axis ${JSON.stringify(axisAsWritten(axisNode))} does not fit the input rank ${input.dims.length}`, axisNode, `${e.name}.axis`, ctx.layers.length);
      width = null;
    } else {
      width = axes.reduce<number | null>((acc, a) => (acc === null || input.dims![a] === null ? null : acc * input.dims![a]!), 1);
    }
  }

  const center = boolOf(prop(c, 'center')) ?? true;
  const scale = boolOf(prop(c, 'scale')) ?? true;
  const norm: NormSpec = {
    convention: ctx.framework,
    momentum: kind === 'batchnorm' || kind === 'batchrenorm' ? (numberOf(prop(c, 'momentum')) ?? 0.99) : null,
    eps: numberOf(propAny(c, 'epsilon', 'eps')) ?? 1e-3,
    affine: center || scale,
    axis: axisAsWritten(axisNode) ?? -1,
  };
  if (kind === 'groupnorm') {
    const groups = numberOf(prop(c, 'groups'));
    norm.groups = groups ?? 32;
    norm.groupsSymbol = groups === null && prop(c, 'groups') !== undefined ? `${e.name}.groups` : null;
  }
  if (kind === 'batchrenorm') {
    // A bound missing from renorm_clipping (or renorm_clipping null) is unclipped in Keras (inf). Number.MAX_VALUE
    // stands for it because Infinity does not survive JSON on its way to the webview.
    const clip = prop(c, 'renorm_clipping');
    norm.renorm = {
      rmax: numberOf(prop(clip, 'rmax')) ?? Number.MAX_VALUE,
      dmax: numberOf(prop(clip, 'dmax')) ?? Number.MAX_VALUE,
    };
  }

  const symbol = width === null ? input.symbol : null;
  const layer: Layer = baseLayer(ctx, e, kind, dimOf(width, symbol), dimOf(width, symbol));
  layer.norm = norm;
  return { layer, out: passThrough(input, layer.index) };
}
