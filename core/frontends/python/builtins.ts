import { getAttr, setAttr } from './attributes';
import type { Args, Interp } from './interpreter';
import { displayString } from './literals';
import { NONE, asNumber, bool, iterate, list, num, str, truthy, unknown } from './values';
import type { Value } from './values';
import { isInstance } from './typeChecks';

/** Longest range materialised as a list; longer ones are iterated lazily by loops. */
const MAX_RANGE_LIST = 100_000;

function unknownOf(args: Args): Value {
  const u = args.pos.find((a) => a.t === 'unknown');
  return unknown(u && u.t === 'unknown' ? u.symbol : null);
}

function rangeOf(ip: Interp, args: Args): Value {
  const ns = args.pos.map(asNumber);
  if (ns.some((n) => n === null) || !ns.length) return unknownOf(args);
  const [start, stop, step] = ns.length === 1 ? [0, ns[0] as number, 1] : [ns[0] as number, ns[1] as number, (ns[2] ?? 1) as number];
  if (step === 0) return unknown(null);
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE_LIST) {
    return { t: 'obj', kind: 'range', attrs: new Map([['start', num(start)], ['stop', num(stop)], ['step', num(step)]]) };
  }
  ip.spend(count / 16); // built whole: `range(100000)` in a loop is a list of 100,000 per iteration
  const out: Value[] = [];
  for (let i = 0; i < count; i++) out.push(num(start + i * step));
  return list(out);
}

function lengthOf(v: Value | undefined): Value {
  if (!v) return unknown(null);
  if (v.t === 'obj' && v.kind === 'range') {
    const [a, b, s] = ['start', 'stop', 'step'].map((k) => asNumber(v.attrs.get(k)) ?? 0);
    return num(Math.max(0, Math.ceil((b - a) / (s || 1))));
  }
  const items = iterate(v);
  return items ? num(items.length) : unknown(v.t === 'unknown' ? v.symbol : null);
}

function numbers(args: Args): number[] | null {
  const src = args.pos.length === 1 ? iterate(args.pos[0]) : args.pos;
  if (!src) return null;
  const ns = src.map(asNumber);
  return ns.every((n): n is number => n !== null) ? ns : null;
}

/** Built-ins whose cost grows with the size of their arguments. */
const WALKING_BUILTINS = new Set(['list', 'tuple', 'dict', 'set', 'sorted', 'sum', 'min', 'max', 'any', 'all', 'enumerate', 'zip', 'reversed', 'map', 'filter', 'str', 'repr', 'print']);

/** Python built-in functions the evaluator understands. Unsupported ones return unknown. */
export function callBuiltin(ip: Interp, name: string, args: Args): Value {
  const [a, b] = args.pos;
  // list(), sorted(), sum(), zip(), ... read their arguments whole (len() and isinstance() do not).
  if (WALKING_BUILTINS.has(name)) ip.spendOn(...args.pos);
  switch (name) {
    case 'range':
      return rangeOf(ip, args);
    case 'len':
      return lengthOf(a);
    case 'int':
    case 'float': {
      if (!a) return num(0);
      if (a.t === 'str') {
        // float('inf') / float('nan') are how Python spells the non-finite values; they must read as such (and be
        // reported where a width or rate needs a number), not as an unresolved value nobody can explain.
        const special = name === 'float' ? /^\s*([+-]?)(inf|infinity|nan)\s*$/i.exec(a.v) : null;
        if (special) return num(special[2].toLowerCase() === 'nan' ? NaN : special[1] === '-' ? -Infinity : Infinity);
        const n = name === 'int' ? parseInt(a.v, 10) : parseFloat(a.v);
        return Number.isNaN(n) ? unknown(null) : num(n);
      }
      const n = asNumber(a);
      return n === null ? a : num(name === 'int' ? Math.trunc(n) : n);
    }
    case 'str':
    case 'repr': {
      const s = a ? displayString(a) : '';
      return s === null ? unknown(null) : str(s);
    }
    case 'bool': {
      const t = a ? truthy(a) : false;
      return t === null ? unknown(null) : bool(t);
    }
    case 'abs':
      return asNumber(a) !== null ? num(Math.abs(asNumber(a) as number)) : unknownOf(args);
    case 'min':
    case 'max': {
      const ns = numbers(args);
      if (!ns || !ns.length) return unknownOf(args);
      return num(name === 'min' ? Math.min(...ns) : Math.max(...ns));
    }
    case 'sum': {
      const items = a ? iterate(a) : null;
      const ns = items?.map(asNumber);
      if (!ns || ns.some((n) => n === null)) return unknownOf(args);
      return num((ns as number[]).reduce((x, y) => x + y, asNumber(b) ?? 0));
    }
    case 'round': {
      const x = asNumber(a);
      if (x === null) return unknownOf(args);
      const d = asNumber(b) ?? 0;
      return num(Math.round(x * 10 ** d) / 10 ** d);
    }
    case 'pow':
      return asNumber(a) !== null && asNumber(b) !== null ? num((asNumber(a) as number) ** (asNumber(b) as number)) : unknownOf(args);
    case 'list':
    case 'tuple':
    case 'set':
    case 'sorted':
    case 'reversed': {
      if (!a) return list([], name === 'tuple');
      const items = iterate(a);
      if (!items) return unknownOf(args);
      const out = list([...items], name === 'tuple');
      if (name === 'reversed') out.items.reverse();
      if (name === 'sorted') out.items.sort((p, q) => (asNumber(p) ?? 0) - (asNumber(q) ?? 0));
      if (a.t === 'list') out.issues = [...a.issues];
      return out;
    }
    case 'dict': {
      const entries = new Map<string, Value>();
      if (a?.t === 'dict') for (const [k, v] of a.entries) entries.set(k, v);
      for (const [k, v] of args.kw) entries.set(k, v);
      return { t: 'dict', entries };
    }
    case 'enumerate': {
      const items = a ? iterate(a) : null;
      const start = asNumber(b ?? args.kw.get('start')) ?? 0;
      return items ? list(items.map((it, i) => list([num(i + start), it], true))) : unknownOf(args);
    }
    case 'zip': {
      const cols = args.pos.map(iterate);
      if (cols.some((c) => !c)) return unknownOf(args);
      const n = Math.min(...cols.map((c) => (c as Value[]).length));
      const out: Value[] = [];
      for (let i = 0; i < n; i++) out.push(list(cols.map((c) => (c as Value[])[i]), true));
      return list(out);
    }
    case 'any':
    case 'all': {
      const ts = (a ? iterate(a) : null)?.map(truthy);
      if (!ts || ts.some((t) => t === null)) return unknown(null);
      return bool(name === 'any' ? ts.some(Boolean) : ts.every(Boolean));
    }
    case 'map': {
      const items = b ? iterate(b) : null;
      if (!a || !items) return unknown(null);
      return list(items.map((it) => ip.callValue(a, { ...args, pos: [it], posNodes: [null], kw: new Map() }, 'map')));
    }
    case 'isinstance': {
      const r = a && b ? isInstance(a, b) : null;
      return r === null ? unknown(null) : bool(r);
    }
    case 'hasattr': {
      if (!a || b?.t !== 'str') return unknown(null);
      const v = getAttr(ip, a, b.v, null);
      return v.t === 'unknown' || v.t === 'none' ? (a.t === 'unknown' ? unknown(null) : bool(false)) : bool(true);
    }
    case 'getattr': {
      if (!a || b?.t !== 'str') return args.pos[2] ?? unknown(null);
      const v = getAttr(ip, a, b.v, null);
      return (v.t === 'unknown' || v.t === 'method') && args.pos[2] ? args.pos[2] : v;
    }
    case 'setattr':
      if (a && b?.t === 'str' && args.pos[2]) setAttr(a, b.v, args.pos[2]);
      return NONE;
    case 'super':
      return superOf(ip);
    case 'type':
      if (a?.t === 'mod' && a.mk === 'leaf') return { t: 'ref', path: a.spec.classPath };
      if (a?.t === 'inst') return { t: 'class', cls: a.cls };
      return unknown(null);
    case 'divmod': {
      const x = asNumber(a);
      const y = asNumber(b);
      return x !== null && y ? list([num(Math.floor(x / y)), num(((x % y) + y) % y)], true) : unknownOf(args);
    }
    case 'callable':
      return bool(a?.t === 'func' || a?.t === 'class' || a?.t === 'mod' || a?.t === 'inst');
    case 'print':
      return NONE;
    default:
      return unknown(null);
  }
}

/** `super()` inside a method: attribute lookups continue above the class that defined the running method. */
function superOf(ip: Interp): Value {
  const fn = ip.currentFunction();
  if (!fn || !fn.self || !fn.owner) return unknown(null);
  return { t: 'obj', kind: 'super', attrs: new Map<string, Value>([['__self__', fn.self], ['__owner__', { t: 'class', cls: fn.owner }]]) };
}
