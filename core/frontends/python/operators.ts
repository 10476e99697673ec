import type { Node } from 'web-tree-sitter';
import { tensorBinary } from './forward';
import type { Interp } from './interpreter';
import { MAX_SEQUENCE, MAX_STRING, asNumber, bool, joinIssues, list, num, overflowIssue, pushCapped, str, unknown } from './values';
import type { Value } from './values';

/** Longest list a `*` repetition may build; beyond this the result is unknown (hostile `[0] * 10**9`). */
const MAX_REPEAT = 100_000;

function firstSymbol(a: Value, b: Value): string | null {
  if (a.t === 'unknown' && a.symbol) return a.symbol;
  if (b.t === 'unknown' && b.symbol) return b.symbol;
  return null;
}

/** Python arithmetic on evaluated operands; tensors go to the forward-pass tracker (residual adds). */
export function binaryOp(ip: Interp, op: string, a: Value, b: Value, node: Node): Value {
  if (a.t === 'tensor' || b.t === 'tensor') return tensorBinary(ip, op, a, b, node);
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== null && y !== null) return arithmetic(op, x, y);
  ip.spendOn(a, b);
  if (a.t === 'str' && b.t === 'str' && op === '+') return a.v.length + b.v.length > MAX_STRING ? unknown(null) : str(a.v + b.v);
  if (a.t === 'str' && op === '*' && y !== null) {
    if (!(y * a.v.length <= MAX_REPEAT)) return unknown(null);
    ip.spend((y * a.v.length) / 256);
    return str(a.v.repeat(Math.max(0, Math.floor(y))));
  }
  if (a.t === 'str' && op === '%') return unknown(null);
  if (a.t === 'list' && b.t === 'list' && op === '+') {
    const items = a.items.slice(0, MAX_SEQUENCE);
    const complete = pushCapped(items, b.items);
    const out = list(items, a.tuple);
    out.issues = joinIssues(a.issues, b.issues, complete ? [] : [overflowIssue(node)]);
    return out;
  }
  if (a.t === 'list' && op === '*' && y !== null) return repeat(ip, a.items, y, a.tuple, a.issues);
  if (b.t === 'list' && op === '*' && x !== null) return repeat(ip, b.items, x, b.tuple, b.issues);
  if (a.t === 'list' && op === '*' && b.t === 'unknown') {
    const out = list([], a.tuple);
    out.issues = [{ symbol: b.symbol, reason: `list repeated an unknown number of times${b.symbol ? ` (${b.symbol})` : ''}`, node }];
    return out;
  }
  return unknown(firstSymbol(a, b));
}

function repeat(ip: Interp, items: Value[], times: number, tuple: boolean, issues: ListValueIssues): Value {
  const n = Math.max(0, Math.floor(times));
  if (n * items.length > MAX_REPEAT) return unknown(null);
  ip.spend((n * items.length) / 16);
  const out: Value[] = [];
  // Python repeats references: `[nn.Linear(w, w)] * 3` is one layer used three times, and so is it here.
  for (let i = 0; i < n; i++) out.push(...items);
  const l = list(out, tuple);
  l.issues = [...issues];
  return l;
}

type ListValueIssues = { symbol: string | null; reason: string; node: Node | null }[];

function arithmetic(op: string, x: number, y: number): Value {
  switch (op) {
    case '+':
      return num(x + y);
    case '-':
      return num(x - y);
    case '*':
      return num(x * y);
    case '/':
      return y === 0 ? unknown(null) : num(x / y);
    case '//':
      return y === 0 ? unknown(null) : num(Math.floor(x / y));
    case '%':
      return y === 0 ? unknown(null) : num(((x % y) + y) % y);
    case '**':
      return num(x ** y);
    case '<<':
      return num(x * 2 ** y);
    case '>>':
      return num(Math.floor(x / 2 ** y));
    case '&':
      return num(x & y);
    case '|':
      return num(x | y);
    case '^':
      return num(x ^ y);
    default:
      return unknown(null);
  }
}

/**
 * Structural equality for the value kinds the evaluator compares (numbers, strings, None, class paths). Lists
 * nested deeper than 64 levels compare as unknown: `l.append(l); l == l` would otherwise recurse until the stack
 * overflows.
 */
function valuesEqual(a: Value, b: Value, depth = 0): boolean | null {
  if (depth > 64) return null;
  const x = asNumber(a);
  const y = asNumber(b);
  if (x !== null && y !== null) return x === y;
  if (a.t === 'unknown' || b.t === 'unknown' || a.t === 'tensor' || b.t === 'tensor') return null;
  if (a.t === 'str' && b.t === 'str') return a.v === b.v;
  if (a.t === 'none' || b.t === 'none') return a.t === b.t;
  if (a.t === 'ref' && b.t === 'ref') return a.path === b.path;
  if (a.t === 'list' && b.t === 'list') {
    if (a.items.length !== b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) {
      const e = valuesEqual(a.items[i], b.items[i], depth + 1);
      if (e !== true) return e;
    }
    return true;
  }
  if (a.t !== b.t) return false;
  return a === b;
}

/** One comparison of a (possibly chained) comparison expression. */
export function compareOp(op: string, a: Value, b: Value): Value {
  switch (op) {
    case '==':
    case '!=': {
      const e = valuesEqual(a, b);
      return e === null ? unknown(null) : bool(op === '==' ? e : !e);
    }
    case 'is':
    case 'is not': {
      let same: boolean | null;
      if (a.t === 'unknown' || b.t === 'unknown') same = null;
      else if (a.t === 'none' || b.t === 'none' || a.t === 'bool' || b.t === 'bool') same = valuesEqual(a, b);
      else same = a === b || valuesEqual(a, b) === true;
      return same === null ? unknown(null) : bool(op === 'is' ? same : !same);
    }
    case 'in':
    case 'not in': {
      const found = contains(b, a);
      return found === null ? unknown(null) : bool(op === 'in' ? found : !found);
    }
    default: {
      const x = asNumber(a);
      const y = asNumber(b);
      if (x === null || y === null) return unknown(firstSymbol(a, b));
      const r = op === '<' ? x < y : op === '>' ? x > y : op === '<=' ? x <= y : op === '>=' ? x >= y : null;
      return r === null ? unknown(null) : bool(r);
    }
  }
}

function contains(container: Value, item: Value): boolean | null {
  if (container.t === 'str' && item.t === 'str') return container.v.includes(item.v);
  if (container.t === 'list') {
    let unsure = false;
    for (const it of container.items) {
      const e = valuesEqual(it, item);
      if (e === true) return true;
      if (e === null) unsure = true;
    }
    return unsure ? null : false;
  }
  if (container.t === 'dict' && (item.t === 'str' || item.t === 'num')) return container.entries.has(String(item.v));
  return null;
}
