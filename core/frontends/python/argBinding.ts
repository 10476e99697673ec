import type { Node } from 'web-tree-sitter';
import type { Args } from './interpreter';
import { asNumber, iterate } from './values';
import type { Issue, LayerSpec, Value } from './values';

/** Call arguments bound to a library signature (positional order, then keywords), with their source nodes. */
export interface Bound {
  get(name: string): Value | undefined;
  node(name: string): Node | null;
  has(name: string): boolean;
}

/** Bind call arguments to a library signature given as parameter names in positional order. */
export function bindSignature(args: Args, signature: readonly string[]): Bound {
  const values = new Map<string, Value>();
  const nodes = new Map<string, Node | null>();
  signature.forEach((name, i) => {
    if (i < args.pos.length) {
      values.set(name, args.pos[i]);
      nodes.set(name, args.posNodes[i] ?? null);
    }
  });
  for (const [name, v] of args.kw) {
    values.set(name, v);
    nodes.set(name, args.kwNodes.get(name) ?? null);
  }
  return {
    get: (name) => values.get(name),
    node: (name) => nodes.get(name) ?? null,
    has: (name) => values.has(name),
  };
}

/** Record that a layer argument could not be resolved. */
export function unresolved(spec: LayerSpec, b: Bound, name: string, v: Value | undefined): Issue {
  const symbol = v?.t === 'unknown' ? v.symbol : null;
  const issue: Issue = {
    symbol,
    reason: `${spec.sourceType} argument \`${name}\` could not be resolved${symbol ? ` (${symbol})` : ''}`,
    node: b.node(name) ?? spec.node,
    spec,
  };
  spec.issues.push(issue);
  return issue;
}

/** A numeric argument: the default when absent, null (and an issue) when present but unresolved. */
export function numberArg(spec: LayerSpec, b: Bound, name: string, dflt: number | null): number | null {
  const v = b.get(name);
  if (v === undefined || v.t === 'none') return dflt;
  const n = asNumber(v);
  if (n === null) unresolved(spec, b, name, v);
  else if (!Number.isFinite(n)) {
    // float('nan') / 1e400: no framework accepts it as a rate, eps or slope; reported, not passed on.
    spec.issues.push({ symbol: null, reason: `${spec.sourceType} argument \`${name}\` is ${Number.isNaN(n) ? 'not a number (nan)' : 'infinite'}, not a finite number`, node: b.node(name) ?? spec.node, spec });
    return null;
  }
  return n;
}

/** A boolean argument; an unresolved flag keeps the framework default and says so. */
export function flagArg(spec: LayerSpec, b: Bound, name: string, dflt: boolean): boolean {
  const v = b.get(name);
  if (v === undefined) return dflt;
  if (v.t === 'bool') return v.v;
  if (v.t === 'num') return v.v !== 0;
  if (v.t === 'none') return false;
  unresolved(spec, b, name, v);
  return dflt;
}

/** A string argument, or null when absent or not a string. */
export function stringArg(b: Bound, name: string): string | null {
  const v = b.get(name);
  return v?.t === 'str' ? v.v : null;
}

/**
 * An int-or-tuple argument (kernel_size, stride, padding) expanded to `dims` entries. Null when unresolved
 * (an issue is recorded); the default when absent.
 */
export function tupleArg(spec: LayerSpec, b: Bound, name: string, dims: number, dflt: number[] | null): number[] | null {
  const v = b.get(name);
  if (v === undefined || v.t === 'none') return dflt;
  const n = asNumber(v);
  if (n !== null) return Array(dims).fill(n);
  const items = iterate(v)?.map(asNumber);
  if (items && items.length && items.every((x) => x !== null)) {
    const ns = items as number[];
    return ns.length === dims ? ns : Array(dims).fill(ns[0]);
  }
  unresolved(spec, b, name, v);
  return null;
}
