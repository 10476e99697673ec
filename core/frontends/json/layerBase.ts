import type { Dim, Layer, LayerKind } from '../../ir';
import type { LayerEntry, ReadContext, Tensor } from './readContext';

/** What a layer mapper returns: the IR layer (index = its future position) and the tensor it produces. */
export interface MappedLayer {
  layer: Layer;
  out: Tensor;
}

/** A layer with every optional property empty; mappers fill in what their class has. */
export function baseLayer(ctx: ReadContext, e: LayerEntry, kind: LayerKind, inDim: Dim, outDim: Dim): Layer {
  return {
    index: ctx.layers.length,
    name: e.name,
    kind,
    sourceType: e.className,
    in: inDim,
    out: outDim,
    activation: null,
    init: null,
    bias: null,
    norm: null,
    rate: null,
    range: ctx.lines.rangeOf(e.node),
  };
}

/** The input tensor re-attributed to the layer at `index` (shape-preserving layers). */
export function passThrough(input: Tensor, index: number): Tensor {
  return { ...input, from: index };
}
