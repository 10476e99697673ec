import type { Node } from 'web-tree-sitter';
import { evalExpr } from './expressions';
import type { Interp } from './interpreter';
import { loopOver } from './loops';
import { bindTarget } from './statements';
import { field, namedKids } from './syntax';
import { NONE, newScope, str, truthy, unknown } from './values';
import type { Issue, Scope, Value } from './values';

// Literal and comprehension forms of the evaluator: strings (with f-string interpolation), dicts, and the
// for/if clauses shared by list, set, generator and dict comprehensions.

/** Dictionary keys are kept as their string form: the evaluator only needs string and small-int keys. */
export function dictKey(v: Value): string | null {
  if (v.t === 'str') return v.v;
  if (v.t === 'num') return String(v.v);
  if (v.t === 'bool') return v.v ? 'True' : 'False';
  return null;
}

/** A dict display (`{'a': 1, **rest}`); keys as strings (see dictKey). */
export function evalDict(ip: Interp, node: Node, scope: Scope): Value {
  const entries = new Map<string, Value>();
  for (const kid of namedKids(node)) {
    if (kid.type === 'pair') {
      const key = dictKey(evalExpr(ip, field(kid, 'key') as Node, scope));
      if (key !== null) entries.set(key, evalExpr(ip, field(kid, 'value') as Node, scope));
    } else if (kid.type === 'dictionary_splat') {
      const inner = evalExpr(ip, namedKids(kid)[0] ?? kid, scope);
      if (inner.t === 'dict') for (const [k, v] of inner.entries) entries.set(k, v);
    }
  }
  return { t: 'dict', entries };
}

/** A string literal, with f-string interpolations evaluated; unknown when an interpolation is. */
export function evalString(ip: Interp, node: Node, scope: Scope): Value {
  let out = '';
  for (const part of node.children) {
    if (!part) continue;
    if (part.type === 'string_content') out += part.text;
    else if (part.type === 'escape_sequence') out += unescape(part.text);
    else if (part.type === 'interpolation') {
      const expr = field(part, 'expression');
      const v = expr ? evalExpr(ip, expr, scope) : unknown(null);
      const s = displayString(v);
      if (s === null) return unknown(null);
      out += s;
    }
  }
  return str(out);
}

function unescape(seq: string): string {
  const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
  return simple[seq.slice(1)] ?? seq;
}


/** Python `str()` of a value, for f-strings and str(); null when unknown. */
export function displayString(v: Value): string | null {
  switch (v.t) {
    case 'str':
      return v.v;
    case 'num':
      return String(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    default:
      return null;
  }
}

/**
 * Run the for/if clauses of a comprehension and collect `produce(scope)` for every binding. The comprehension
 * gets its own scope, as in Python 3.
 */
export function comprehension(
  ip: Interp,
  node: Node,
  scope: Scope,
  produce: (s: Scope) => Value,
  issues: Issue[] = [],
): Value[] {
  const clauses = namedKids(node).filter((c) => c.type === 'for_in_clause' || c.type === 'if_clause');
  const out: Value[] = [];
  const inner = newScope(scope);
  const step = (i: number): boolean => {
    if (i === clauses.length) {
      out.push(produce(inner));
      return true;
    }
    const clause = clauses[i];
    if (clause.type === 'if_clause') {
      const cond = namedKids(clause)[0];
      const t = truthy(evalExpr(ip, cond, inner));
      if (t === null) ip.noteUnknownCondition(cond);
      return t === false ? true : step(i + 1);
    }
    const iterable = evalExpr(ip, field(clause, 'right') as Node, inner);
    const left = field(clause, 'left') as Node;
    const status = loopOver(ip, iterable, clause, (item) => {
      bindTarget(ip, left, item, inner);
      return step(i + 1);
    });
    if (status.issue) issues.push(status.issue);
    return true;
  };
  step(0);
  return out;
}

/** `{k: v for ...}`. */
export function evalDictComprehension(ip: Interp, node: Node, scope: Scope): Value {
  const entries = new Map<string, Value>();
  const pair = field(node, 'body') as Node;
  comprehension(ip, node, scope, (s) => {
    const key = dictKey(evalExpr(ip, field(pair, 'key') as Node, s));
    if (key !== null) entries.set(key, evalExpr(ip, field(pair, 'value') as Node, s));
    return NONE;
  });
  return { t: 'dict', entries };
}
