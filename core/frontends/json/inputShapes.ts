import type { Node } from 'jsonc-parser';
import { positiveIntOf, prop, shapeOf } from './jsonTree';
import type { ReadContext, Tensor } from './readContext';

/**
 * Where a Keras / tfjs file states the model input. In order of precedence:
 * - `batch_input_shape` (Keras 2, tfjs) or `batch_shape` (Keras 3) on an InputLayer or on the first layer: the
 *   batch axis first, usually null;
 * - `input_shape` (hand-written configs) without the batch axis; Keras 1 `input_dim` for a Dense;
 * - the Sequential's `build_input_shape` (Keras 2) or the model's `build_config.input_shape` (Keras 3).
 */

/** A shape found in the file: per-sample dims, the batch size when fixed, and the node it came from. */
export interface StatedShape {
  dims: (number | null)[];
  batch: number | null;
  node: Node;
}

function withBatch(node: Node | undefined): StatedShape | null {
  const shape = shapeOf(node);
  if (!node || !shape || shape.length === 0) return null;
  return { dims: shape.slice(1), batch: shape[0], node };
}

/** The input shape a layer config states (InputLayer or first layer of a Sequential), or null. */
export function shapeInLayerConfig(config: Node | undefined): StatedShape | null {
  const batched = withBatch(prop(config, 'batch_input_shape')) ?? withBatch(prop(config, 'batch_shape'));
  if (batched) return batched;
  const inputShapeNode = prop(config, 'input_shape');
  const inputShape = shapeOf(inputShapeNode);
  if (inputShapeNode && inputShape) return { dims: inputShape, batch: null, node: inputShapeNode };
  const dimNode = prop(config, 'input_dim');
  const dim = positiveIntOf(dimNode);
  return dimNode && dim !== null ? { dims: [dim], batch: null, node: dimNode } : null;
}

/** The shape a model object states about its own input after building (Keras 2 / Keras 3 build records). */
export function shapeInModelBuild(modelNode: Node): StatedShape | null {
  const config = prop(modelNode, 'config');
  return withBatch(prop(config, 'build_input_shape')) ?? withBatch(prop(prop(modelNode, 'build_config'), 'input_shape'));
}

/**
 * Turn a stated shape into the tensor entering the model (from = -1) and remember it as the model input the first
 * time one is read. With no shape at all, the `inputSize` default (if any) stands in for a flat input.
 */
export function startTensor(ctx: ReadContext, stated: StatedShape | null): Tensor {
  if (stated) {
    ctx.input ??= { dims: stated.dims, batch: stated.batch, node: stated.node };
    return { from: -1, dims: stated.dims, symbol: 'input_shape', channelsFirst: false };
  }
  if (ctx.defaultInputSize !== null) return { from: -1, dims: [ctx.defaultInputSize], symbol: null, channelsFirst: false };
  return { from: -1, dims: null, symbol: 'input_shape', channelsFirst: false };
}
