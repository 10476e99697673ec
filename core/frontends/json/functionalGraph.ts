import type { Node } from 'jsonc-parser';
import { itemsOf, numberOf, prop, stringOf } from './jsonTree';

/**
 * The call graph of a functional model (`Functional` / `Model` with `inbound_nodes`), and the forward order of its
 * layers. Two spellings of a layer's inputs exist:
 * - Keras 2 / tfjs: `"inbound_nodes": [[["dense_1", 0, 0, {}], ["dense", 0, 0, {}]]]` (a list of calls, each a list
 *   of [layer, node_index, tensor_index, kwargs]; tf.keras `TFOpLambda` puts more references in kwargs: {"y": [...]})
 * - Keras 3: `"inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history":
 *   ["dense", 0, 0]}}, ...]], "kwargs": {}}]` with tensors anywhere inside args / kwargs.
 */

/** One input reference of a layer call. */
export interface TensorRef {
  layer: string;
  tensor: number;
  /** The node that holds the reference, for ranges in messages. */
  at: Node;
}

/** A layer of the functional graph as read from the file. */
export interface GraphLayer {
  name: string;
  /** Inputs of the first call (Keras layers may be shared; NormLens follows the first call). */
  inputs: TensorRef[];
  /** How many times the layer is called (length of inbound_nodes). */
  calls: number;
}

/** Forward order plus what got in the way of a clean one. */
export interface GraphOrder {
  /** Positions in the `layers` array, dependencies first, otherwise in file order. */
  order: number[];
  /** Names of layers that take part in a reference cycle (read in file order, cyclic inputs unknown). */
  cyclic: string[];
  /** References to layer names that are not in the model. */
  missing: TensorRef[];
}

/** How deep inside args / kwargs a Keras 3 tensor reference is searched for (nesting is 1-3 in real files). */
const MAX_REF_DEPTH = 16;

function keras2Ref(node: Node): TensorRef | null {
  const items = itemsOf(node);
  if (!items || items.length < 3) return null;
  const layer = stringOf(items[0]);
  const tensor = numberOf(items[2]);
  return layer !== null && tensor !== null && numberOf(items[1]) !== null ? { layer, tensor, at: node } : null;
}

/** Collect Keras 3 `__keras_tensor__` references in document order. */
function collectKeras3(node: Node | undefined, out: TensorRef[], depth: number): void {
  if (!node || depth > MAX_REF_DEPTH) return;
  if (node.type === 'object') {
    if (stringOf(prop(node, 'class_name')) === '__keras_tensor__') {
      const history = itemsOf(prop(prop(node, 'config'), 'keras_history'));
      const layer = stringOf(history?.[0]);
      const tensor = numberOf(history?.[2]);
      if (layer !== null) out.push({ layer, tensor: tensor ?? 0, at: node });
      return;
    }
    for (const p of node.children ?? []) collectKeras3(p.children?.[1], out, depth + 1);
  } else if (node.type === 'array') {
    for (const item of node.children ?? []) collectKeras3(item, out, depth + 1);
  }
}

/** The inputs of a layer's first call and its call count. */
export function readInbound(layerNode: Node): { inputs: TensorRef[]; calls: number } {
  const calls = itemsOf(prop(layerNode, 'inbound_nodes')) ?? [];
  const first = calls[0];
  const inputs: TensorRef[] = [];
  if (first?.type === 'object') {
    collectKeras3(first, inputs, 0);
  } else if (first?.type === 'array') {
    for (const item of first.children ?? []) {
      const ref = keras2Ref(item);
      if (!ref) continue;
      inputs.push(ref);
      // tf.keras TFOpLambda: a second operand as kwargs {"y": ["dense", 0, 0]}.
      const kwargs = itemsOf(item)?.[3];
      for (const p of kwargs?.type === 'object' ? (kwargs.children ?? []) : []) {
        const extra = p.children?.[1] ? keras2Ref(p.children[1]) : null;
        if (extra) inputs.push(extra);
      }
    }
  }
  return { inputs, calls: calls.length };
}

/**
 * Order layers so each comes after the layers it reads from, keeping file order otherwise (Keras writes layers in
 * a valid order already; this guards hand-edited and corrupted files). Iterative DFS: a 10,000-layer chain must not
 * overflow the stack. A reference back into the current path is a cycle: it is dropped and reported.
 */
export function orderGraph(layers: GraphLayer[]): GraphOrder {
  const byName = new Map<string, number>();
  layers.forEach((l, i) => {
    if (!byName.has(l.name)) byName.set(l.name, i);
  });
  const state = new Uint8Array(layers.length); // 0 new, 1 on the current path, 2 done
  const order: number[] = [];
  const cyclic = new Set<string>();
  const missing: TensorRef[] = [];

  for (let root = 0; root < layers.length; root++) {
    if (state[root] !== 0) continue;
    const stack: { at: number; next: number }[] = [{ at: root, next: 0 }];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const refs = layers[top.at].inputs;
      if (top.next < refs.length) {
        const ref = refs[top.next++];
        const dep = byName.get(ref.layer);
        if (dep === undefined) {
          missing.push(ref);
        } else if (state[dep] === 1) {
          // Every layer on the path from `dep` back to here is on the cycle.
          for (let k = stack.length - 1; k >= 0; k--) {
            cyclic.add(layers[stack[k].at].name);
            if (stack[k].at === dep) break;
          }
        } else if (state[dep] === 0) {
          state[dep] = 1;
          stack.push({ at: dep, next: 0 });
        }
      } else {
        state[top.at] = 2;
        order.push(top.at);
        stack.pop();
      }
    }
  }
  return { order, cyclic: [...cyclic], missing };
}
