import type { Node } from 'web-tree-sitter';
import type { Framework, InitAnchor, Model, ModelInput, PartialReason } from '../../ir';
import { newGraph, callModule } from './forward';
import { BudgetExceeded } from './interpreter';
import type { Candidate, Interp } from './interpreter';
import { buildLayers } from './layerShapes';
import type { BadWidth, LayerNaming } from './layerShapes';
import { initAnchor, moduleNaming } from './naming';
import { inputShapeFor } from './modelInput';
import { rangeOf } from './syntax';
import type { Emitted, Graph, Issue, LayerSpec, Value } from './values';

function frameworkOf(v: Value): Framework {
  if (v.t === 'inst') return v.cls.framework ?? 'pytorch';
  if (v.t === 'mod' && (v.mk === 'kseq' || v.mk === 'kmodel')) return 'keras';
  return 'pytorch';
}

/** Run the candidate's forward pass (or fold its Sequential) into a fresh graph. */
function trace(ip: Interp, c: Candidate, framework: Framework): { graph: Graph; emitted: Emitted[]; failure: Issue | null } {
  const v = c.value;
  if (v.t === 'mod' && v.mk === 'kmodel') return { graph: v.graph, emitted: ancestors(v.graph, v.outputs), failure: null };
  const hint = v.t === 'inst' || (v.t === 'mod' && v.mk !== 'leaf') ? (v.inputHint ?? null) : null;
  const graph = newGraph(framework, hint);
  const args = { pos: [{ t: 'tensor', graph, at: -1 } as Value], kw: new Map(), posNodes: [null], kwNodes: new Map(), node: c.node, issues: [] };
  let failure: Issue | null = null;
  ip.modelDepth++;
  ip.traceRoot = c.node;
  ip.resetBudget();
  try {
    callModule(ip, v, args);
  } catch (err) {
    if (!(err instanceof BudgetExceeded)) throw err;
    failure = { symbol: null, reason: 'analysis stopped: evaluation budget exhausted (model truncated)', node: c.node };
  } finally {
    ip.modelDepth--;
    ip.traceRoot = null;
  }
  return { graph, emitted: graph.layers, failure };
}

/** A functional model's layers: those its outputs depend on, in call order, re-indexed. */
function ancestors(graph: Graph, outputs: number[]): Emitted[] {
  const keep = new Set<number>();
  const stack = [...outputs];
  while (stack.length) {
    const i = stack.pop() as number;
    if (i < 0 || keep.has(i)) continue;
    keep.add(i);
    const e = graph.layers[i];
    stack.push(e.inputAt);
    if (e.residualFrom !== undefined) stack.push(e.residualFrom);
  }
  const order = [...keep].sort((a, b) => a - b);
  const remap = new Map<number, number>([[-1, -1]]);
  order.forEach((old, i) => remap.set(old, i));
  return order.map((old) => {
    const e = graph.layers[old];
    const copy: Emitted = { ...e, inputAt: remap.get(e.inputAt) ?? -1 };
    if (e.residualFrom !== undefined) copy.residualFrom = remap.get(e.residualFrom) ?? -1;
    return copy;
  });
}

/** Issues of every value reachable from the model (instances, containers) plus the forward pass. */
function collectIssues(root: Value, graph: Graph, emitted: Emitted[]): Issue[] {
  const out: Issue[] = [...graph.issues];
  const seen = new Set<unknown>();
  const walk = (v: Value, depth: number): void => {
    if (seen.has(v) || depth > 64) return;
    seen.add(v);
    if (v.t === 'inst') {
      out.push(...v.issues);
      for (const a of v.attrs.values()) walk(a, depth + 1);
    } else if (v.t === 'mod' && v.mk !== 'leaf') {
      out.push(...v.issues);
      if (v.mk !== 'kmodel') for (const c of v.children) walk(c.value, depth + 1);
    } else if (v.t === 'list') {
      out.push(...v.issues);
      for (const i of v.items) walk(i, depth + 1);
    }
  };
  walk(root, 0);
  const specs = new Set<LayerSpec>(emitted.map((e) => e.spec));
  for (const s of specs) out.push(...s.issues);
  return out;
}

function toReasons(issues: Issue[], emitted: Emitted[]): PartialReason[] {
  const firstUse = new Map<LayerSpec, number>();
  emitted.forEach((e, i) => firstUse.has(e.spec) || firstUse.set(e.spec, i));
  const seen = new Set<string>();
  const out: PartialReason[] = [];
  for (const issue of issues) {
    const range = issue.node ? rangeOf(issue.node) : null;
    const key = `${issue.reason}@${range?.startLine}:${range?.startColumn}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const r: PartialReason = { symbol: issue.symbol, reason: issue.reason, range };
    const layer = issue.spec ? firstUse.get(issue.spec) : undefined;
    if (layer !== undefined) r.layer = layer;
    out.push(r);
  }
  return out;
}

function modelRange(c: Candidate): Node {
  return c.value.t === 'inst' ? c.value.cls.node : c.node;
}

/** Build the IR model for one candidate. */
export function buildModel(ip: Interp, c: Candidate, defaults: { inputSize?: number }): Model {
  const framework = frameworkOf(c.value);
  const { graph, emitted, failure } = trace(ip, c, framework);
  const naming: Map<LayerSpec, LayerNaming> = framework === 'pytorch' ? moduleNaming(c) : new Map();
  const input = inputShapeFor(ip, c, graph, emitted, framework, defaults);
  const badWidths: BadWidth[] = [];
  const layers = buildLayers(emitted, input.running, framework, naming, badWidths);
  const issues = collectIssues(c.value, graph, emitted);
  if (failure) issues.push(failure);
  issues.push(...input.issues);
  for (const other of c.otherCalls) {
    issues.push({ symbol: null, reason: `${c.name} is also built with other arguments at line ${other.startPosition.row + 1}; analysed with the first call (line ${c.node.startPosition.row + 1})`, node: other });
  }
  const partial = toReasons(issues, emitted);
  // One reason per source location: a loop builds thousands of layers from one bad line, and 6,000 identical
  // reasons would bury the one that matters.
  const grouped = new Map<string, { first: BadWidth; count: number }>();
  for (const b of badWidths) {
    const l = layers[b.layer];
    const key = `${l.range.startLine}:${l.range.startColumn}|${b.side}|${b.shown}|${l.kind === 'flatten'}`;
    const g = grouped.get(key);
    if (g) g.count++;
    else grouped.set(key, { first: b, count: 1 });
  }
  for (const { first: b, count } of grouped.values()) {
    const l = layers[b.layer];
    const what = l.kind === 'flatten' ? 'flattened width' : b.side === 'in' ? 'input width' : 'output width';
    const more = count > 1 ? ` (and ${count - 1} more built here)` : '';
    partial.push({ symbol: null, reason: `layer ${l.name}${more}: ${what} is ${b.shown}, not a positive integer up to 2^53; treated as unknown`, range: l.range, layer: l.index });
  }
  // Widths that stayed unresolved: one reason per symbol, at the first layer that needs it.
  const reported = new Set(partial.map((p) => p.symbol).filter(Boolean));
  layers.forEach((l) => {
    for (const d of [l.in, l.out]) {
      if (d.value === null && d.symbol && !reported.has(d.symbol)) {
        reported.add(d.symbol);
        partial.push({ symbol: d.symbol, reason: `width of ${l.name} depends on ${d.symbol}, which could not be resolved`, range: l.range, layer: l.index });
      }
    }
  });
  // A weight layer whose width is unknown without a symbol to name (an expression the evaluator cannot follow)
  // still needs a reason, or the model would be incomplete without saying why.
  // Explained by layer or by source location (layers built in a loop share one).
  const at = (r: { startLine: number; startColumn: number }) => `${r.startLine}:${r.startColumn}`;
  const explained = new Set(partial.map((p) => p.layer).filter((i): i is number => i !== undefined));
  const explainedAt = new Set(partial.flatMap((p) => (p.range ? [at(p.range)] : [])));
  for (const l of layers) {
    const weighted = l.kind === 'dense' || l.kind === 'conv1d' || l.kind === 'conv2d';
    const silent = [l.in, l.out].some((d) => d.value === null && !d.symbol);
    if (weighted && silent && !explained.has(l.index) && !explainedAt.has(at(l.range)) && !partial.some((p) => p.symbol && [l.in.symbol, l.out.symbol].includes(p.symbol))) {
      explainedAt.add(at(l.range));
      partial.push({ symbol: null, reason: `width of ${l.name} could not be resolved from the code`, range: l.range, layer: l.index });
    }
  }
  const model: Model = {
    name: c.value.t === 'mod' && c.value.mk !== 'leaf' && c.value.explicitName ? c.value.explicitName : c.name,
    framework,
    range: rangeOf(modelRange(c)),
    input: input.input as ModelInput,
    batchSize: null,
    layers,
    partial,
  };
  if (framework === 'pytorch') {
    const anchor: InitAnchor | null = initAnchor(ip, c, emitted.map((e) => e.spec.node));
    if (anchor) model.initAnchor = anchor;
  }
  return model;
}
