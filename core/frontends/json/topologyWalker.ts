import type { Node } from 'jsonc-parser';
import { orderGraph, readInbound, type GraphLayer } from './functionalGraph';
import { shapeInLayerConfig, shapeInModelBuild, startTensor } from './inputShapes';
import { mapKerasLayer } from './kerasLayers';
import { baseLayer, type MappedLayer } from './layerBase';
import { itemsOf, isObject, prop, stringOf } from './jsonTree';
import { addPartial, dimOf, type LayerEntry, type ReadContext, type Tensor, UNKNOWN_PRODUCER, unknownTensor } from './readContext';

/**
 * Walks a Keras model object (Sequential or Functional) into the flat IR layer list: nested models are flattened
 * into their parent's order with names prefixed ("encoder/dense_1"), InputLayers give shapes and are not layers.
 */

/** Model classes whose config holds a layer list. */
export const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);
/** How deep models may nest inside each other before reading stops (real files nest 1-3 levels). */
export const MAX_MODEL_DEPTH = 64;

/** The layer list of a model config: `config.layers`, or the config itself (Keras <= 2.1 Sequential). */
function layerList(ctx: ReadContext, modelNode: Node): Node[] {
  const config = prop(modelNode, 'config');
  const list = itemsOf(config) ?? itemsOf(prop(config, 'layers'));
  if (list) return list;
  addPartial(ctx, 'the model config has no "layers" array', prop(config, 'layers') ?? config ?? modelNode, 'layers');
  return [];
}

/** Name from the layer object (Keras 3 / functional) or its config (Keras 2 Sequential, tfjs). */
function rawName(item: Node): string | null {
  return stringOf(prop(prop(item, 'config'), 'name')) ?? stringOf(prop(item, 'name'));
}

/** Map one layer, never letting an unexpected value escape as an exception. */
function mapSafely(ctx: ReadContext, e: LayerEntry, inputs: Tensor[]): Tensor {
  if (ctx.layers.length >= ctx.layerBudget) {
    if (!ctx.truncated) {
      ctx.truncated = true;
      addPartial(ctx, `the model has more than ${ctx.layerBudget} layers; NormLens reads the first ${ctx.layerBudget}`, e.node, null);
    }
    return unknownTensor(UNKNOWN_PRODUCER, e.name);
  }
  let mapped: MappedLayer;
  try {
    mapped = mapKerasLayer(ctx, e, inputs);
  } catch (err) {
    const input = inputs[0];
    const layer = baseLayer(ctx, e, 'other', dimOf(null, input?.symbol ?? null), dimOf(null, e.name));
    addPartial(ctx, `layer could not be read: ${err instanceof Error ? err.message : String(err)}`, e.node, e.name, layer.index);
    mapped = { layer, out: unknownTensor(layer.index, e.name) };
  }
  ctx.layers.push(mapped.layer);
  return mapped.out;
}

function entryOf(ctx: ReadContext, item: Node, position: number, prefix: string): LayerEntry | null {
  const className = stringOf(prop(item, 'class_name'));
  if (!isObject(item) || className === null) {
    addPartial(ctx, `layer entry ${position} has no class_name: skipped`, item, null);
    return null;
  }
  const name = rawName(item) ?? `${className.toLowerCase()}_${position}`;
  return { node: item, className, config: prop(item, 'config'), name: prefix + name };
}

/**
 * The tensor after an InputLayer: the one fed in (nested model) unless its shape is unknown and the InputLayer
 * states one, in which case the stated shape is used with the fed tensor's producer.
 */
function inputLayerTensor(ctx: ReadContext, e: LayerEntry, fed: Tensor | null): Tensor {
  if (fed && fed.dims !== null) return fed;
  const stated = shapeInLayerConfig(e.config);
  if (!fed) return startTensor(ctx, stated);
  return stated ? { ...startTensor(ctx, stated), from: fed.from } : fed;
}

function walkSequential(ctx: ReadContext, modelNode: Node, inputs: Tensor[] | null, prefix: string, depth: number): Tensor {
  let current: Tensor | null = inputs?.[0] ?? null;
  const items = layerList(ctx, modelNode);
  for (let i = 0; i < items.length && !ctx.truncated; i++) {
    const e = entryOf(ctx, items[i], i, prefix);
    if (!e) continue;
    if (e.className === 'InputLayer') {
      current = inputLayerTensor(ctx, e, current);
      continue;
    }
    if (MODEL_CLASSES.has(e.className)) {
      // With no shape yet, the nested model's own InputLayer / first layer may state it.
      const build = current ? null : shapeInModelBuild(modelNode);
      const feed = current ?? (build ? startTensor(ctx, build) : null);
      current = walkModel(ctx, e.node, feed ? [feed] : null, `${e.name}/`, depth + 1);
      continue;
    }
    current ??= startTensor(ctx, shapeInLayerConfig(e.config) ?? shapeInModelBuild(modelNode));
    current = mapSafely(ctx, e, [current]);
  }
  return current ?? startTensor(ctx, shapeInModelBuild(modelNode));
}

function walkFunctional(ctx: ReadContext, modelNode: Node, inputs: Tensor[] | null, prefix: string, depth: number): Tensor {
  const items = layerList(ctx, modelNode);
  const entries: (LayerEntry | null)[] = items.map((item, i) => entryOf(ctx, item, i, prefix));
  const graph: GraphLayer[] = items.map((item, i) => {
    const inbound = readInbound(item);
    return { name: rawName(item) ?? `#${i}`, inputs: inbound.inputs, calls: inbound.calls };
  });
  const { order, cyclic, missing } = orderGraph(graph);
  if (cyclic.length) {
    addPartial(ctx, `inbound_nodes form a cycle through ${cyclic.join(', ')}: read in file order, cyclic inputs unknown`, prop(modelNode, 'config'), null);
  }
  for (const ref of missing) addPartial(ctx, `inbound_nodes name "${ref.layer}", which is not a layer of this model`, ref.at, ref.layer);

  const produced = new Map<string, Tensor>();
  let inputCount = 0;
  let last: Tensor | null = null;
  for (const at of order) {
    const e = entries[at];
    if (!e || ctx.truncated) continue;
    const g = graph[at];
    if (e.className === 'InputLayer') {
      // Inside a nested model the parent's tensors stand in for the InputLayers, in order.
      const given = inputs?.[inputCount];
      const t = inputLayerTensor(ctx, e, given ?? null);
      if (!given && inputCount === 1 && depth === 0) {
        addPartial(ctx, `the model has several inputs; NormLens takes the first as the model input`, e.node, g.name);
      }
      inputCount++;
      produced.set(g.name, t);
      continue;
    }
    if (g.calls > 1) {
      addPartial(ctx, `layer "${g.name}" is called ${g.calls} times (shared); NormLens follows its first call`, e.node, e.name);
    }
    const ins = g.inputs.map((r) => produced.get(r.layer) ?? unknownTensor(UNKNOWN_PRODUCER, r.layer));
    if (g.inputs.length === 0 && inputs?.length) ins.push(inputs[0]);
    else if (g.inputs.length === 0 && !shapeInLayerConfig(e.config)) {
      // In a functional model every layer but an InputLayer is called on something; without a readable
      // inbound node its input is unknown, and the model has to say so.
      addPartial(ctx, `layer "${g.name}" has no inbound_nodes NormLens can read: its input is unknown`, prop(e.node, 'inbound_nodes') ?? e.node, e.name);
    }
    const result = MODEL_CLASSES.has(e.className)
      ? walkModel(ctx, e.node, ins, `${e.name}/`, depth + 1)
      : mapSafely(ctx, e, ins.length ? ins : [startTensor(ctx, shapeInLayerConfig(e.config))]);
    produced.set(g.name, result);
    last = result;
  }
  const outputs = itemsOf(prop(prop(modelNode, 'config'), 'output_layers')) ?? [];
  // Keras 3 writes a single output as a flat ["dense", 0, 0]; Keras 2 and tfjs as [["dense", 0, 0]].
  const firstOut = stringOf(outputs[0]) ?? stringOf(itemsOf(outputs[0])?.[0]);
  return (firstOut !== null ? produced.get(firstOut) : undefined) ?? last ?? unknownTensor(UNKNOWN_PRODUCER, 'output_layers');
}

/**
 * Walk a model object `{"class_name": "Sequential" | "Functional" | "Model", "config": ...}`, appending its layers
 * to ctx.layers. `inputs` are the tensors a parent feeds a nested model (null at the top). Returns its output.
 */
export function walkModel(ctx: ReadContext, modelNode: Node, inputs: Tensor[] | null, prefix: string, depth: number): Tensor {
  if (depth > MAX_MODEL_DEPTH) {
    addPartial(ctx, `models nested deeper than ${MAX_MODEL_DEPTH} levels are not read`, modelNode, prefix.slice(0, -1) || null);
    return unknownTensor(UNKNOWN_PRODUCER, prefix.slice(0, -1) || null);
  }
  const config = prop(modelNode, 'config');
  const functional = stringOf(prop(modelNode, 'class_name')) !== 'Sequential' || prop(config, 'input_layers') !== undefined;
  return functional
    ? walkFunctional(ctx, modelNode, inputs, prefix, depth)
    : walkSequential(ctx, modelNode, inputs, prefix, depth);
}
