import type { Node } from 'web-tree-sitter';
import type { Interp } from './interpreter';
import { canonicalPath } from './imports';
import { libraryConstant } from './libraries';
import { leafAttr, paramRank, paramShape } from './moduleValues';
import { dictKey } from './literals';
import { asNumber, bool, list, str, unknown } from './values';
import type { ClassInfo, InstValue, Value } from './values';

/** nn.Module / keras.Model methods an instance answers even though the file does not define them. */
const FRAMEWORK_METHODS = new Set([
  'apply', 'modules', 'children', 'named_modules', 'named_children', 'parameters', 'named_parameters', 'to', 'cuda',
  'cpu', 'float', 'double', 'half', 'train', 'eval', 'add_module', 'register_module', 'register_buffer',
  'register_parameter', 'state_dict', 'load_state_dict', 'zero_grad', 'requires_grad_', 'compile', 'fit', 'build',
  'summary', 'evaluate', 'predict', 'add', 'get_layer', 'forward', 'call',
]);

/** `obj.name` for every value kind the evaluator knows. Unknown attributes become pinnable unknowns. */
export function getAttr(ip: Interp, obj: Value, name: string, node: Node | null): Value {
  switch (obj.t) {
    case 'ref': {
      const path = `${obj.path}.${name}`;
      return libraryConstant(path) ?? { t: 'ref', path };
    }
    case 'inst':
      return instAttr(ip, obj, name);
    case 'class': {
      if (name === '__name__') return str(obj.cls.name);
      const found = ip.findClassAttr(obj.cls, name);
      return found ? found.value : unknown(name);
    }
    case 'mod':
      if (obj.mk === 'leaf') {
        const v = leafAttr(obj.spec, name);
        if (v) return v;
      }
      if (name === '__class__') return classOf(obj.mk === 'leaf' ? obj.spec.classPath : obj.mk);
      if (obj.mk === 'kmodel' && name === 'layers') return list(obj.graph.layers.map((e) => ({ t: 'mod', mk: 'leaf', spec: e.spec }) as Value));
      if (obj.mk !== 'leaf' && obj.mk !== 'kmodel' && !FRAMEWORK_METHODS.has(name)) {
        // nn.Module.__getattr__: a child registered by name (`add_module('input', ...)`, an OrderedDict
        // Sequential) is an attribute. The quick fixes write `snn.input.weight`; unread, their init was lost.
        const child = obj.children.find((c) => c.name === name);
        if (child) return child.value;
      }
      return { t: 'method', recv: obj, name };
    case 'param':
      if (name === 'data') return obj;
      if (name === 'shape') return paramShape(obj);
      if (name === 'ndim') return paramRank(obj);
      if (name === 'requires_grad') return bool(true);
      return { t: 'method', recv: obj, name };
    case 'tensor':
      if (name === 'shape') return unknown(null);
      if (name === 'data' || name === 'T') return obj;
      return { t: 'method', recv: obj, name };
    case 'obj': {
      if (obj.kind === 'super') return superAttr(ip, obj.attrs, name);
      const v = obj.attrs.get(name);
      if (v) return v;
      if (obj.kind === 'namespace' || obj.kind === 'config') return ip.pinned(unknown(name));
      return { t: 'method', recv: obj, name };
    }
    case 'unknown': {
      const symbol = obj.symbol ? `${obj.symbol}.${name}` : node?.text ?? name;
      return ip.pinned(unknown(symbol));
    }
    case 'none':
      return unknown(null);
    default:
      return { t: 'method', recv: obj, name };
  }
}

/** True for classes built on nn.Sequential, whose layers are registered by the base constructor. */
export function derivesFromSequential(cls: ClassInfo, depth = 0): boolean {
  if (depth > 32) return false;
  return cls.bases.some((b) => (b.t === 'ref' ? canonicalPath(b.path) === 'torch.nn.Sequential' : b.t === 'class' && derivesFromSequential(b.cls, depth + 1)));
}

/** `super().name`: the first base above the running method's class that defines it, bound to the same self. */
function superAttr(ip: Interp, attrs: Map<string, Value>, name: string): Value {
  const self = attrs.get('__self__');
  const owner = attrs.get('__owner__');
  if (!self || owner?.t !== 'class') return unknown(null);
  for (const base of owner.cls.bases) {
    if (base.t !== 'class') continue;
    const hit = ip.findClassAttr(base.cls, name);
    if (hit) return hit.value.t === 'func' ? { ...hit.value, self, owner: hit.owner } : hit.value;
  }
  // `class MLP(nn.Sequential)`: super().__init__(*layers) registers the layers as children "0", "1", ...
  if (name === '__init__' && self.t === 'inst' && derivesFromSequential(owner.cls)) return { t: 'method', recv: self, name: '__sequential_init__' };
  // nn.Module.__init__ and friends: nothing to model.
  return { t: 'ref', path: 'builtins.print' };
}

function classOf(path: string): Value {
  const short = path.split('.').pop() ?? path;
  return { t: 'obj', kind: 'pyclass', attrs: new Map([['__name__', str(short)]]) };
}

function instAttr(ip: Interp, inst: InstValue, name: string): Value {
  const own = inst.attrs.get(name);
  if (own) return own;
  const found = ip.findClassAttr(inst.cls, name);
  if (found) {
    const v = found.value;
    return v.t === 'func' ? { ...v, self: inst, owner: found.owner } : v;
  }
  if (name === '__class__') return { t: 'class', cls: inst.cls };
  if (inst.cls.framework) {
    if (name === 'training') return bool(true);
    if (FRAMEWORK_METHODS.has(name)) return { t: 'method', recv: inst, name };
  }
  return ip.pinned(unknown(name));
}

function index(items: number, key: Value): number | null {
  const i = asNumber(key);
  if (i === null || !Number.isInteger(i)) return null;
  const j = i < 0 ? items + i : i;
  return j >= 0 && j < items ? j : null;
}

function sliceRange(length: number, key: Value): number[] | null {
  if (key.t !== 'obj' || key.kind !== 'slice') return null;
  const norm = (v: Value | undefined, dflt: number): number | null => {
    if (!v || v.t === 'none') return dflt;
    const n = asNumber(v);
    // Python refuses `xs[0.5:]`; taken as written, fractional bounds made indices 0.5, 1.5 and holes in the list.
    if (n === null || !Number.isInteger(n)) return null;
    return Math.min(length, Math.max(0, n < 0 ? length + n : n));
  };
  const step = asNumber(key.attrs.get('step') ?? { t: 'none' }) ?? 1;
  if (step !== 1) return null;
  const a = norm(key.attrs.get('start'), 0);
  const b = norm(key.attrs.get('stop'), length);
  if (a === null || b === null) return null;
  const out: number[] = [];
  for (let i = a; i < b; i++) out.push(i);
  return out;
}

/** `target[key]`: lists, strings, dicts, containers (index, slice or name) and parameter shapes. */
export function subscript(ip: Interp, target: Value, key: Value): Value {
  if (key.t === 'obj') ip.spendOn(target); // a slice copies
  switch (target.t) {
    case 'list': {
      const r = sliceRange(target.items.length, key);
      if (r) return list(r.map((i) => target.items[i]), target.tuple);
      const i = index(target.items.length, key);
      return i === null ? unknown(null) : target.items[i];
    }
    case 'str': {
      const i = index(target.v.length, key);
      return i === null ? unknown(null) : str(target.v[i]);
    }
    case 'dict': {
      const k = key.t === 'str' || key.t === 'num' ? String(key.v) : null;
      return (k !== null && target.entries.get(k)) || unknown(k);
    }
    case 'mod': {
      if (target.mk === 'leaf' || target.mk === 'kmodel') return unknown(null);
      const kids = target.children;
      const r = sliceRange(kids.length, key);
      if (r) return { ...target, children: r.map((i) => kids[i]) };
      if (key.t === 'str') return kids.find((c) => c.name === key.v)?.value ?? unknown(key.v);
      const i = index(kids.length, key);
      return i === null ? unknown(null) : kids[i].value;
    }
    case 'tensor':
      return target;
    case 'obj':
      if (target.kind === 'config' || target.kind === 'namespace') {
        return (key.t === 'str' && target.attrs.get(key.v)) || ip.pinned(unknown(key.t === 'str' ? key.v : null));
      }
      return unknown(null);
    case 'unknown': {
      const k = key.t === 'str' || key.t === 'num' ? String(key.v) : null;
      return ip.pinned(unknown(target.symbol && k !== null ? `${target.symbol}.${k}` : target.symbol));
    }
    default:
      return unknown(null);
  }
}

/**
 * `obj.name = value`. Instance attributes keep their first-assignment order, which is nn.Module's registration
 * order (what `modules()` and a missing forward() follow).
 */
export function setAttr(obj: Value, name: string, value: Value): void {
  if (obj.t === 'inst') obj.attrs.set(name, value);
  else if (obj.t === 'obj') obj.attrs.set(name, value);
  else if (obj.t === 'class') obj.cls.scope.vars.set(name, value);
}

/** `obj[key] = value` for lists, dicts and module containers. */
export function setItem(obj: Value, key: Value, value: Value): void {
  if (obj.t === 'list') {
    const i = asNumber(key);
    if (i === null) return;
    const j = i < 0 ? obj.items.length + i : i;
    if (j >= 0 && j < obj.items.length) obj.items[j] = value;
  } else if (obj.t === 'dict') {
    const k = dictKey(key);
    if (k !== null) obj.entries.set(k, value);
  } else if (obj.t === 'obj' && key.t === 'str') {
    obj.attrs.set(key.v, value);
  } else if (obj.t === 'mod' && obj.mk !== 'leaf' && obj.mk !== 'kmodel') {
    const k = dictKey(key);
    if (k === null) return;
    const i = obj.mk === 'dict' ? -1 : Number(k);
    const at = obj.mk === 'dict' ? obj.children.findIndex((c) => c.name === k) : i < 0 ? obj.children.length + i : i;
    if (at >= 0 && at < obj.children.length) obj.children[at] = { name: obj.children[at].name, value };
    else if (obj.mk === 'dict') obj.children.push({ name: k, value });
  }
}
