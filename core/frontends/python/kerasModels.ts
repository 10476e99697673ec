import { emit, newGraph } from './forward';
import type { Args, Interp } from './interpreter';
import { makeSpec } from './specs';
import { NONE, asNumber, iterate, unknown } from './values';
import type { ContainerValue, TensorValue, Value } from './values';

/** A per-sample shape from a shape argument ((784,), [28, 28, 1], 784); null when unresolved. */
export function shapeOf(v: Value | undefined, dropBatch = false): number[] | null {
  if (!v || v.t === 'none') return null;
  const items = iterate(v) ?? [v];
  const dims = (dropBatch ? items.slice(1) : items).map(asNumber);
  return dims.length && dims.every((d) => d !== null) ? (dims as number[]) : null;
}

/** Reason recorded when keras.Input's shape cannot be read (the model input then needs no second reason). */
export const INPUT_UNRESOLVED = 'input shape could not be resolved';

/** `keras.Input(shape=...)` / `InputLayer(input_shape=...)`: the start of a functional graph. */
export function kerasInput(args: Args): Value {
  const shape = shapeOf(args.kw.get('shape') ?? args.kw.get('input_shape') ?? args.pos[0]) ?? shapeOf(args.kw.get('batch_shape') ?? args.kw.get('batch_input_shape'), true);
  const graph = newGraph('keras', shape);
  if (!shape) {
    const v = args.kw.get('shape') ?? args.pos[0];
    const missing = (v ? (iterate(v) ?? [v]) : []).find((d) => d.t === 'unknown');
    const symbol = missing?.t === 'unknown' && missing.symbol ? missing.symbol : 'input_shape';
    graph.issues.push({ symbol, reason: INPUT_UNRESOLVED, node: args.node });
  }
  return { t: 'tensor', graph, at: -1 };
}

/** keras.Sequential([...], name=...): a model candidate whose children are its layers. */
export function kerasSequential(ip: Interp, args: Args, calleeText: string): Value {
  const c: ContainerValue = { t: 'mod', mk: 'kseq', children: [], node: args.node, sourceType: calleeText, issues: [...args.issues] };
  const layers = args.pos[0] ?? args.kw.get('layers');
  const items = layers ? iterate(layers) : [];
  if (!items) c.issues.push({ symbol: layers?.t === 'unknown' ? layers.symbol : null, reason: 'layers of the Sequential could not be resolved', node: args.node });
  for (const it of items ?? []) addLayer(c, it);
  if (layers?.t === 'list') c.issues.push(...layers.issues);
  const name = args.kw.get('name');
  if (name?.t === 'str') c.explicitName = name.v;
  ip.noteModel(c, c.explicitName ?? 'sequential', args.node);
  return c;
}

function addLayer(c: ContainerValue, layer: Value): void {
  // A keras.Input in the list declares the input shape rather than adding a layer.
  if (layer.t === 'tensor') {
    c.inputShape ??= layer.graph.inputShape;
    return;
  }
  c.children.push({ name: String(c.children.length), value: layer });
}

/** keras.Model(inputs, outputs): the layers between them in the functional graph. */
export function kerasFunctionalModel(ip: Interp, args: Args): Value {
  const outputs = args.kw.get('outputs') ?? args.pos[1];
  const outs = (outputs ? (iterate(outputs) ?? [outputs]) : []).filter((t): t is TensorValue => t.t === 'tensor');
  const graph = outs[0]?.graph ?? newGraph('keras');
  const model: Value = { t: 'mod', mk: 'kmodel', graph, outputs: outs.map((o) => o.at), node: args.node, issues: [] };
  if (!outs.length) model.issues.push({ symbol: null, reason: 'model outputs could not be traced to layers', node: args.node });
  const name = args.kw.get('name');
  if (name?.t === 'str') model.explicitName = name.v;
  ip.noteModel(model, model.explicitName ?? 'model', args.node);
  return model;
}

/** keras.layers.add([x, y]) and friends, the functional forms of merge layers. */
export function kerasMerge(ip: Interp, fn: string, args: Args, calleeText: string): Value {
  const tensors = (iterate(args.pos[0] ?? unknown(null)) ?? []).filter((t): t is TensorValue => t.t === 'tensor');
  if (!tensors.length) return unknown(null);
  const sorted = [...tensors].sort((a, b) => b.at - a.at);
  const spec = makeSpec(fn === 'add' ? 'residual' : 'other', 'keras', `keras.layers.${fn}`, calleeText, args.node);
  if (fn !== 'add') spec.issues.push({ symbol: null, reason: `${calleeText} joins tensors; widths after it are not tracked`, node: args.node, spec });
  return emit(ip, sorted[0].graph, spec, sorted[0].at, null, fn === 'add' ? (sorted[1] ?? sorted[0]).at : undefined);
}

/** Methods of Keras models: add / build / fit (batch size) / compile and summary (no effect). */
export function kerasModelMethod(ip: Interp, recv: Value, name: string, args: Args): Value | undefined {
  const seq = recv.t === 'mod' && recv.mk === 'kseq' ? recv : null;
  const isKeras = seq || (recv.t === 'mod' && recv.mk === 'kmodel') || (recv.t === 'inst' && recv.cls.framework === 'keras');
  if (!isKeras) return undefined;
  switch (name) {
    case 'add':
      if (seq && args.pos[0]) addLayer(seq, args.pos[0]);
      return NONE;
    case 'pop':
      seq?.children.pop();
      return NONE;
    case 'build': {
      const shape = shapeOf(args.pos[0] ?? args.kw.get('input_shape'), true);
      if (seq && shape) seq.inputShape = shape;
      else if (recv.t === 'inst' && shape) recv.inputHint = shape;
      return NONE;
    }
    case 'fit': {
      const bs = asNumber(args.kw.get('batch_size'));
      if (bs !== null && bs > 0 && ip.batchSize === null) ip.batchSize = bs;
      return unknown(null);
    }
    case 'compile':
    case 'summary':
      return NONE;
    default:
      return undefined;
  }
}
