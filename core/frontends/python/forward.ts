import type { Node } from 'web-tree-sitter';
import type { Framework } from '../../ir';
import type { Args, Interp } from './interpreter';
import { derivesFromSequential } from './attributes';
import { childModules } from './moduleValues';
import { makeSpec } from './specs';
import { asNumber, unknown } from './values';
import type { Graph, InstValue, LayerSpec, TensorValue, Value } from './values';

/** A fresh forward-pass graph. */
export function newGraph(framework: Framework, inputShape: number[] | null = null): Graph {
  return { framework, layers: [], inputShape, issues: [], capped: false };
}

/**
 * Append one layer application to a graph and return the tensor it produces. Past `limits.maxLayers` nothing more
 * is recorded (once reported), so a generated million-layer loop stays bounded.
 */
export function emit(
  ip: Interp,
  graph: Graph,
  spec: LayerSpec,
  inputAt: number,
  useNode: Node | null,
  residualFrom?: number,
): TensorValue {
  if (graph.layers.length >= ip.limits.maxLayers) {
    if (!graph.capped) {
      graph.capped = true;
      graph.issues.push({ symbol: null, reason: `model truncated at ${ip.limits.maxLayers} layers`, node: useNode ?? spec.node });
    }
    return { t: 'tensor', graph, at: inputAt };
  }
  // A use is only worth a second range when it is somewhere else than the definition (not `nn.ReLU()(x)`,
  // not a Sequential whose call contains its children).
  const separate = useNode && useNode !== ip.traceRoot && !(spec.node.startIndex >= useNode.startIndex && spec.node.endIndex <= useNode.endIndex);
  const e: (typeof graph.layers)[number] = { spec, inputAt, useNode: separate ? useNode : null };
  if (residualFrom !== undefined) e.residualFrom = residualFrom;
  graph.layers.push(e);
  return { t: 'tensor', graph, at: graph.layers.length - 1 };
}

/**
 * A call NormLens does not model that receives a forward-pass tensor: the tensor flows on unchanged (so the
 * layers after it are still seen) and the model says which call was skipped. Null when no tensor is involved.
 */
export function passThrough(ip: Interp, args: Args, calleeText: string): Value | null {
  const tensor = args.pos.find((a): a is TensorValue => a.t === 'tensor');
  if (!tensor) return null;
  ip.issue({ symbol: null, reason: `\`${calleeText}(...)\` is not modelled; its input is passed through unchanged`, node: args.node });
  return tensor;
}

/** `a + b` of two tensors from the same pass is a residual connection: a layer of its own. */
export function tensorBinary(ip: Interp, op: string, a: Value, b: Value, node: Node): Value {
  if (a.t === 'tensor' && b.t === 'tensor') {
    const [late, early] = a.at >= b.at ? [a, b] : [b, a];
    if (op !== '+' || a.graph !== b.graph) return late;
    const spec = makeSpec('residual', a.graph.framework, 'builtins.add', node.type === 'augmented_assignment' ? '+=' : '+', node);
    return emit(ip, a.graph, spec, late.at, null, early.at);
  }
  // Scaling or shifting by a constant (x / 255, 0.5 * x) keeps the tensor's producer.
  return a.t === 'tensor' ? a : b;
}

/** `module(x)`: emit a layer, fold a Sequential, or run a model class's forward() / call(). */
export function callModule(ip: Interp, callee: Value, args: Args): Value {
  const x = args.pos[0];
  if (!x) return unknown(null);
  if (x.t === 'obj' && x.kind === 'dummy') {
    // `model(torch.randn(1, 3, 32, 32))` in the file tells the input shape (batch dimension removed).
    const shape = x.attrs.get('shape');
    if ((callee.t === 'inst' || (callee.t === 'mod' && callee.mk !== 'leaf' && callee.mk !== 'kmodel')) && shape?.t === 'list') {
      const dims = shape.items.map(asNumber);
      if (dims.every((d): d is number => d !== null)) callee.inputHint = dims.slice(1);
    }
    return unknown(null);
  }
  if (callee.t === 'inst') return runForward(ip, callee, args);
  if (callee.t !== 'mod') return unknown(null);
  switch (callee.mk) {
    case 'leaf':
      if (x.t === 'tensor') return emit(ip, x.graph, callee.spec, x.at, args.node);
      if (x.t === 'list') return mergeTensors(ip, callee.spec, x.items, args.node);
      return unknown(null);
    case 'seq':
    case 'kseq': {
      // A Sequential that contains itself (`s.append(s)`) would fold forever: the inner use is not followed.
      if (ip.activeForwards.has(callee)) {
        const issue = { symbol: null, reason: `${callee.sourceType} contains itself; the inner use is not followed`, node: callee.node };
        // The graph's issues reach the model being traced even at module level, where ip.issue has no sink.
        if (x.t === 'tensor' && !x.graph.issues.some((i) => i.reason === issue.reason)) x.graph.issues.push(issue);
        else ip.issue(issue);
        return x;
      }
      ip.activeForwards.add(callee);
      try {
        let cur: Value = x;
        for (const child of callee.children) {
          // keras.Input(...) listed first in a Sequential is the model input, not a layer.
          if (child.value.t === 'tensor') continue;
          cur = callModule(ip, child.value, { ...args, pos: [cur] });
        }
        ip.carryIssues(callee.issues);
        return cur;
      } finally {
        ip.activeForwards.delete(callee);
      }
    }
    case 'kmodel':
      return x.t === 'tensor' ? replayGraph(ip, callee.graph, x) : unknown(null);
    default:
      return unknown(null);
  }
}

/** Keras merge layers called on a list of tensors: Add is a residual connection; others are opaque. */
function mergeTensors(ip: Interp, spec: LayerSpec, items: Value[], node: Node): Value {
  const tensors = items.filter((t): t is TensorValue => t.t === 'tensor');
  if (!tensors.length) return unknown(null);
  const sorted = [...tensors].sort((p, q) => q.at - p.at);
  const late = sorted[0];
  const early = sorted[1] ?? late;
  return emit(ip, late.graph, spec, late.at, node, spec.kind === 'residual' ? early.at : undefined);
}

/** A functional keras model used as a layer of another: its layers are applied in order to the new input. */
function replayGraph(ip: Interp, inner: Graph, x: TensorValue): Value {
  const map = new Map<number, number>([[-1, x.at]]);
  let last: TensorValue = x;
  inner.layers.forEach((e, i) => {
    const from = e.residualFrom !== undefined ? map.get(e.residualFrom) : undefined;
    last = emit(ip, x.graph, e.spec, map.get(e.inputAt) ?? last.at, e.useNode, from);
    map.set(i, last.at);
  });
  return last;
}

function runForward(ip: Interp, inst: InstValue, args: Args): Value {
  const name = inst.cls.framework === 'keras' ? 'call' : 'forward';
  const found = ip.findClassAttr(inst.cls, name) ?? ip.findClassAttr(inst.cls, '__call__');
  if (ip.activeForwards.has(inst)) {
    ip.issue({ symbol: null, reason: `${inst.cls.name}.${name}() calls itself; recursion not followed`, node: args.node });
    return args.pos[0];
  }
  ip.activeForwards.add(inst);
  try {
    if (found && found.value.t === 'func') return ip.callFunction({ ...found.value, self: inst, owner: found.owner }, args);
    if (!inst.cls.framework) return unknown(null);
    // No forward(): registration order is the best available order, and the model says it was assumed
    // (except for nn.Sequential subclasses, whose forward is exactly that order).
    if (!derivesFromSequential(inst.cls)) {
      inst.issues.push({ symbol: null, reason: `${inst.cls.name} has no ${name}(); layer order taken from __init__`, node: inst.cls.node });
    }
    let cur: Value = args.pos[0];
    for (const c of childModules(inst)) cur = callModule(ip, c.value, { ...args, pos: [cur] });
    return cur;
  } finally {
    ip.activeForwards.delete(inst);
  }
}
