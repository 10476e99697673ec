import { callBuiltin } from './builtins';
import { passThrough } from './forward';
import { canonicalPath } from './imports';
import type { Args, Interp } from './interpreter';
import { kerasModelMethod } from './kerasModels';
import { callKeras } from './keras';
import { argparseMethod, callLibrary } from './libraries';
import { moduleMethod } from './moduleValues';
import { callTorch } from './pytorch';
import { paramMethod } from './pytorchInit';
import { tensorMethod } from './pytorchOps';
import { NONE, asNumber, iterate, joinIssues, list, noteOverflow, num, pushCapped, str, unknown } from './values';
import type { Value } from './values';

/** Call a library function or class by its (import-resolved) qualified name. */
export function callRef(ip: Interp, path: string, args: Args, calleeText: string): Value {
  const p = canonicalPath(path);
  if (p.startsWith('builtins.')) return callBuiltin(ip, p.slice('builtins.'.length), args);
  const lib = callLibrary(p, args);
  if (lib) return lib;
  if (p.startsWith('torch.')) {
    const v = callTorch(ip, p, args, calleeText);
    if (v) return v;
  }
  if (p.startsWith('keras.') || p.startsWith('tensorflow.')) {
    const v = callKeras(ip, p, args, calleeText);
    if (v) return v;
  }
  if (/(^|\.)DataLoader$/.test(p)) {
    const bs = asNumber(args.kw.get('batch_size') ?? args.pos[1]);
    if (bs !== null && bs > 0 && ip.batchSize === null) ip.batchSize = bs;
  }
  return passThrough(ip, args, calleeText) ?? unknown(null);
}

/** Call `recv.name(...)` for built-in types, library objects, modules, parameters and tensors. */
export function callMethod(ip: Interp, recv: Value, name: string, args: Args): Value {
  switch (recv.t) {
    case 'list':
      // copy / index / insert / reverse touch the whole list, extend its argument; append is O(1).
      ip.spendOn(...(LIST_SCANS.has(name) ? [recv] : []), ...args.pos);
      return listMethod(recv, name, args);
    case 'dict':
      return dictMethod(recv, name, args);
    case 'str':
      return strMethod(recv.v, name, args);
    case 'obj':
      if (recv.kind === 'dummy') return name === 'size' ? (recv.attrs.get('shape') ?? unknown(null)) : recv;
      return argparseMethod(ip, recv, name, args) ?? unknown(null);
    case 'mod':
    case 'inst':
      return kerasModelMethod(ip, recv, name, args) ?? moduleMethod(ip, recv, name, args) ?? unknown(null);
    case 'param':
      return paramMethod(ip, recv, name, args);
    case 'tensor':
      return tensorMethod(ip, recv, name, args);
    default:
      return unknown(null);
  }
}

/** List methods whose cost grows with the list's length. */
const LIST_SCANS = new Set(['copy', 'index', 'insert', 'reverse', 'count', 'remove', 'sort']);

function listMethod(l: Extract<Value, { t: 'list' }>, name: string, args: Args): Value {
  const [a, b] = args.pos;
  switch (name) {
    case 'append':
      if (a && !pushCapped(l.items, [a])) noteOverflow(l, args.node);
      return NONE;
    case 'extend': {
      const items = a ? iterate(a) : null;
      if (items && !pushCapped(l.items, items)) noteOverflow(l, args.node);
      if (a?.t === 'list') l.issues = joinIssues(l.issues, a.issues);
      return NONE;
    }
    case 'insert': {
      const i = asNumber(a);
      if (i !== null && b) l.items.splice(i < 0 ? l.items.length + i : i, 0, b);
      return NONE;
    }
    case 'pop': {
      const i = asNumber(a) ?? -1;
      const [removed] = l.items.splice(i < 0 ? l.items.length + i : i, 1);
      return removed ?? unknown(null);
    }
    case 'copy':
      return { ...l, items: [...l.items], issues: [...l.issues] };
    case 'reverse':
      l.items.reverse();
      return NONE;
    case 'index':
      return num(l.items.indexOf(a as Value));
    default:
      return unknown(null);
  }
}

function dictMethod(d: Extract<Value, { t: 'dict' }>, name: string, args: Args): Value {
  const [a, b] = args.pos;
  const key = a && (a.t === 'str' || a.t === 'num') ? String(a.v) : null;
  switch (name) {
    case 'get':
      return (key !== null && d.entries.get(key)) || b || NONE;
    case 'pop': {
      const v = key !== null ? d.entries.get(key) : undefined;
      if (key !== null) d.entries.delete(key);
      return v ?? b ?? unknown(null);
    }
    case 'setdefault':
      if (key !== null && !d.entries.has(key)) d.entries.set(key, b ?? NONE);
      return key !== null ? (d.entries.get(key) as Value) : unknown(null);
    case 'items':
      return list([...d.entries].map(([k, v]) => list([str(k), v], true)));
    case 'keys':
      return list([...d.entries.keys()].map(str));
    case 'values':
      return list([...d.entries.values()]);
    case 'update':
      if (a?.t === 'dict') for (const [k, v] of a.entries) d.entries.set(k, v);
      for (const [k, v] of args.kw) d.entries.set(k, v);
      return NONE;
    case 'copy':
      return { t: 'dict', entries: new Map(d.entries) };
    default:
      return unknown(null);
  }
}

function strMethod(s: string, name: string, args: Args): Value {
  const a = args.pos[0];
  const arg = a?.t === 'str' ? a.v : null;
  switch (name) {
    case 'lower':
      return str(s.toLowerCase());
    case 'upper':
      return str(s.toUpperCase());
    case 'strip':
      return str(s.trim());
    case 'startswith':
      return arg === null ? unknown(null) : { t: 'bool', v: s.startsWith(arg) };
    case 'endswith':
      return arg === null ? unknown(null) : { t: 'bool', v: s.endsWith(arg) };
    case 'find':
      return arg === null ? unknown(null) : num(s.indexOf(arg));
    case 'replace':
      return arg !== null && args.pos[1]?.t === 'str' ? str(s.split(arg).join(args.pos[1].v)) : unknown(null);
    case 'split':
      return list(s.split(arg ?? /\s+/).map(str));
    case 'join': {
      const items = a ? iterate(a) : null;
      return items && items.every((i) => i.t === 'str') ? str(items.map((i) => (i as { v: string }).v).join(s)) : unknown(null);
    }
    case 'format':
      return unknown(null);
    default:
      return unknown(null);
  }
}
