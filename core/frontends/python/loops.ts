import type { Node } from 'web-tree-sitter';
import { getAttr } from './attributes';
import type { Interp } from './interpreter';
import { calleeText, containsNode, field } from './syntax';
import { asNumber, iterate, lookup, num } from './values';
import type { Issue, Scope, Value } from './values';

/** What a loop could not do: its length was unknown, or it was cut at the iteration cap. */
export interface LoopStatus {
  issue: Issue | null;
}

function header(node: Node): string {
  return node.text.split('\n')[0].replace(/:\s*$/, '').trim().slice(0, 80);
}

/** True when a loop body calls something other than print / logging: only then can its length matter. */
function bodyMatters(node: Node): boolean {
  const body = node.type === 'for_in_clause' ? (node.parent ?? node) : (field(node, 'body') ?? node);
  return containsNode(body, (n) => n.type === 'call' && !/^(print|log|warn|tqdm)/.test(calleeText(n)));
}

/**
 * Iterate a value with `body` (which returns false to break). Lists are snapshotted (Python would loop forever on a
 * list appended inside its own loop; a model file never means that), ranges are generated lazily, and every loop
 * stops at `limits.maxLoop` iterations with an issue saying so.
 */
export function loopOver(ip: Interp, iterable: Value, node: Node, body: (item: Value) => boolean): LoopStatus {
  const cap = loopCap(ip, node);
  if (iterable.t === 'obj' && iterable.kind === 'range') {
    const start = asNumber(iterable.attrs.get('start')) ?? 0;
    const stop = asNumber(iterable.attrs.get('stop')) ?? 0;
    const step = asNumber(iterable.attrs.get('step')) ?? 1;
    let count = 0;
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) {
      if (count++ >= cap) return { issue: capIssue(node, cap) };
      if (!body(num(i))) break;
    }
    return { issue: null };
  }
  const items = iterate(iterable);
  if (!items) {
    if (!bodyMatters(node)) return { issue: null };
    const symbol = iterable.t === 'unknown' ? iterable.symbol : null;
    const why = symbol ? ` (depends on ${symbol})` : '';
    return { issue: { symbol, reason: `number of iterations of \`${header(node)}\` is unknown${why}; its body was skipped`, node } };
  }
  const snapshot = items.slice(0, cap);
  ip.spend(snapshot.length / 16);
  for (const item of snapshot) if (!body(item)) return { issue: null };
  return { issue: items.length > cap ? capIssue(node, cap) : null };
}

/** Iterations that never build layers (module-level epoch loops) have nothing to teach; a few are enough. */
const QUIET_LOOP_CAP = 100;

/**
 * True when a loop body may build, register or initialise layers: a class call (nn.Linear, Dense, a model
 * class), a mutation, or an in-place init (`nn.init.normal_(m.weight)`, `m.weight.data.uniform_()`). An init
 * loop over `model.modules()` of a 200-layer model has 400+ iterations; cut at 100, the later layers silently
 * kept their default init.
 */
function buildsLayers(node: Node): boolean {
  // A comprehension's element expression is a sibling of its for clause: look at the whole comprehension.
  const body = node.type === 'for_in_clause' ? (node.parent ?? node) : (field(node, 'body') ?? node);
  return containsNode(body, (n) => {
    if (n.type === 'augmented_assignment') return true;
    if (n.type !== 'call') return false;
    const callee = calleeText(n);
    const last = callee.split('.').pop() ?? '';
    return /^[A-Z]/.test(last) || /^(append|extend|insert|add|add_module|register_module|setattr|apply)$/.test(last) || /^[a-z_]+_$/.test(last);
  });
}

/** Iteration cap for a loop: the full limit in model code or when the body builds layers, a small one otherwise. */
export function loopCap(ip: Interp, node: Node): number {
  if (ip.modelDepth > 0) return ip.limits.maxLoop;
  let builds = ip.loopKinds.get(node.id);
  if (builds === undefined) {
    builds = buildsLayers(node);
    ip.loopKinds.set(node.id, builds);
  }
  return builds ? ip.limits.maxLoop : Math.min(QUIET_LOOP_CAP, ip.limits.maxLoop);
}

function capIssue(node: Node, cap: number): Issue {
  return { symbol: null, reason: `loop \`${header(node)}\` stopped after ${cap} iterations`, node };
}

/** Evaluate a name or attribute chain without calling anything (safe to do speculatively). */
function evalPure(ip: Interp, node: Node, scope: Scope): Value | null {
  if (node.type === 'identifier') return lookup(scope, node.text) ?? null;
  if (node.type === 'attribute') {
    const obj = evalPure(ip, field(node, 'object') as Node, scope);
    return obj ? getAttr(ip, obj, field(node, 'attribute')?.text ?? '', node) : null;
  }
  return null;
}

/**
 * Containers a block would add layers to (`xs.append(...)`, `xs += ...`, `self.fc = ...`), so that a loop or
 * branch that could not run can mark them incomplete.
 */
export function mutatedContainers(ip: Interp, block: Node, scope: Scope): { issues: Issue[] }[] {
  const out = new Set<{ issues: Issue[] }>();
  const stack: Node[] = [block];
  let seen = 0;
  while (stack.length && seen++ < 5000) {
    const n = stack.pop() as Node;
    let target: Node | null = null;
    if (n.type === 'call') {
      const fn = field(n, 'function');
      if (fn?.type === 'attribute' && /^(append|extend|insert|add|add_module|register_module)$/.test(field(fn, 'attribute')?.text ?? '')) {
        target = field(fn, 'object');
      } else if (fn?.text === 'setattr') target = field(n, 'arguments')?.namedChildren[0] ?? null;
    } else if (n.type === 'augmented_assignment') target = field(n, 'left');
    else if (n.type === 'assignment') {
      const left = field(n, 'left');
      if (left?.type === 'attribute') target = field(left, 'object');
    }
    const v = target ? evalPure(ip, target, scope) : null;
    if (v && (v.t === 'list' || v.t === 'inst' || (v.t === 'mod' && v.mk !== 'leaf'))) out.add(v);
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return [...out];
}
