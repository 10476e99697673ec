import type { Args, Interp } from './interpreter';
import { MAX_SEQUENCE, NONE, bool, iterate, joinIssues, list, noteOverflow, num, str, unknown } from './values';
import type { ContainerValue, InstValue, LayerSpec, Value } from './values';

/** Attributes of a built layer that init code and helpers read (`m.in_features`, `m.weight`, `m.bias`). */
export function leafAttr(spec: LayerSpec, name: string): Value | undefined {
  switch (name) {
    case 'weight':
    case 'kernel':
    case 'weight_v':
    case 'weight_g':
      return spec.hasWeight ? { t: 'param', owner: spec, which: 'weight' } : NONE;
    case 'bias':
      return spec.hasBias ? { t: 'param', owner: spec, which: 'bias' } : NONE;
    case 'in_features':
    case 'in_channels':
    case 'num_features':
    case 'num_channels':
    case 'normalized_shape':
      return spec.inArg ?? spec.outArg ?? unknown(null);
    case 'out_features':
    case 'out_channels':
    case 'units':
    case 'filters':
      return spec.outArg ?? unknown(null);
    case 'kernel_size':
      return spec.conv ? list(spec.conv.kernel.map(num), true) : undefined;
    case 'stride':
      return spec.conv ? list(spec.conv.stride.map(num), true) : undefined;
    case 'groups':
      return spec.conv ? num(spec.conv.groups ?? 1) : undefined;
    case 'p':
    case 'rate':
      return spec.rate !== null ? num(spec.rate) : undefined;
    case 'eps':
    case 'epsilon':
      return spec.norm?.eps != null ? num(spec.norm.eps) : undefined;
    case 'momentum':
      return spec.norm ? (spec.norm.momentum === null ? NONE : num(spec.norm.momentum)) : undefined;
    case 'num_groups':
      return spec.norm?.groups != null ? num(spec.norm.groups) : undefined;
    case 'negative_slope':
    case 'alpha':
      return spec.activation?.param !== undefined ? num(spec.activation.param) : undefined;
    default:
      return undefined;
  }
}

function kernelDims(spec: LayerSpec): Value[] {
  return spec.conv ? spec.conv.kernel.map(num) : [];
}

/** `p.shape` / `p.size()`: PyTorch weight layout [out, in / groups, *kernel]; bias [out]. */
export function paramShape(p: { owner: LayerSpec; which: 'weight' | 'bias' }): Value {
  const s = p.owner;
  const out = s.outArg ?? unknown(null);
  if (p.which === 'bias' || s.kind.includes('norm')) return list([s.kind.includes('norm') ? (s.inArg ?? out) : out], true);
  if (s.framework !== 'pytorch') return list([s.inArg ?? unknown(null), out], true);
  const inV = s.inArg ?? unknown(null);
  const groups = s.conv?.groups ?? 1;
  const inPerGroup = inV.t === 'num' ? num(inV.v / groups) : inV;
  return list([out, inPerGroup, ...kernelDims(s)], true);
}

/** `p.dim()`: rank of a parameter tensor (2 for Linear weights, 4 for Conv2d, 1 for biases). */
export function paramRank(p: { owner: LayerSpec; which: 'weight' | 'bias' }): Value {
  const shape = paramShape(p);
  return num(shape.t === 'list' ? shape.items.length : 1);
}

/** Direct submodules in registration order: instance attributes (modules only) or container children. */
export function childModules(v: Value): { name: string; value: Value }[] {
  if (v.t === 'inst') {
    const out: { name: string; value: Value }[] = [];
    for (const [name, value] of v.attrs) {
      if (isModule(value)) out.push({ name, value });
      // Keras tracks lists of layers as sublayers; PyTorch does not register plain lists (a known PyTorch bug).
      else if (v.cls.framework === 'keras' && value.t === 'list') {
        value.items.forEach((it, i) => isModule(it) && out.push({ name: `${name}.${i}`, value: it }));
      }
    }
    return out;
  }
  if (v.t === 'mod' && v.mk !== 'leaf' && v.mk !== 'kmodel') return v.children.filter((c) => isModule(c.value));
  return [];
}

/** Whether a value is a framework module (layer, container or model-class instance). */
function isModule(v: Value): boolean {
  return v.t === 'mod' || (v.t === 'inst' && v.cls.framework !== null);
}

/** `named_modules()`: pre-order, each module once (shared modules are visited at their first path). */
function namedModules(root: Value, prefix = ''): { name: string; value: Value }[] {
  const out: { name: string; value: Value }[] = [];
  const seen = new Set<Value>();
  const walk = (v: Value, name: string, depth: number): void => {
    if (seen.has(v) || depth > 64) return;
    seen.add(v);
    out.push({ name, value: v });
    for (const c of childModules(v)) walk(c.value, name ? `${name}.${c.name}` : c.name, depth + 1);
  };
  walk(root, prefix, 0);
  return out;
}

function parameters(root: Value): { name: string; value: Value }[] {
  const out: { name: string; value: Value }[] = [];
  for (const m of namedModules(root)) {
    if (m.value.t !== 'mod' || m.value.mk !== 'leaf') continue;
    const spec = m.value.spec;
    const prefix = m.name ? `${m.name}.` : '';
    if (spec.hasWeight) out.push({ name: `${prefix}weight`, value: { t: 'param', owner: spec, which: 'weight' } });
    if (spec.hasBias) out.push({ name: `${prefix}bias`, value: { t: 'param', owner: spec, which: 'bias' } });
  }
  return out;
}

function pushChild(c: ContainerValue, value: Value, name?: string): void {
  if (c.children.length >= MAX_SEQUENCE) {
    // A container appended to without end (`s.extend(s)` in a loop): stop, and say the model is incomplete.
    noteOverflow(c, c.node);
    return;
  }
  c.children.push({ name: name ?? String(c.children.length), value });
}

/** nn.Module / container methods: registration, traversal (`modules()`, `apply`), and no-op device moves. */
export function moduleMethod(ip: Interp, recv: ContainerValue | InstValue | Value, name: string, args: Args): Value | undefined {
  const a0 = args.pos[0];
  const container = recv.t === 'mod' && recv.mk !== 'leaf' && recv.mk !== 'kmodel' ? recv : null;
  switch (name) {
    case 'append':
      if (container && a0) pushChild(container, a0);
      return recv;
    case 'extend':
      if (container && a0) {
        for (const it of iterate(a0) ?? []) pushChild(container, it);
        if (a0.t === 'list') container.issues = joinIssues(container.issues, a0.issues);
      }
      return recv;
    case 'insert':
      if (container && args.pos[1]) container.children.splice(Number(a0?.t === 'num' ? a0.v : 0), 0, { name: '', value: args.pos[1] });
      if (container) container.children.forEach((c, i) => container.mk !== 'dict' && (c.name = String(i)));
      return NONE;
    case 'add_module':
    case 'register_module': {
      const key = a0?.t === 'str' ? a0.v : null;
      const m = args.pos[1] ?? args.kw.get('module');
      if (key && m) {
        if (container) pushChild(container, m, key);
        else if (recv.t === 'inst') recv.attrs.set(key, m);
      }
      return NONE;
    }
    case 'keys':
    case 'values':
    case 'items':
      if (!container) return undefined;
      return list(
        container.children.map((c) =>
          name === 'keys' ? str(c.name) : name === 'values' ? c.value : list([str(c.name), c.value], true),
        ),
      );
    case 'modules':
      return list(namedModules(recv).map((m) => m.value));
    case 'named_modules':
      return list(namedModules(recv).map((m) => list([str(m.name), m.value], true)));
    case 'children':
      return list(childModules(recv).map((c) => c.value));
    case 'named_children':
      return list(childModules(recv).map((c) => list([str(c.name), c.value], true)));
    case 'parameters':
      return list(parameters(recv).map((p) => p.value));
    case 'named_parameters':
      return list(parameters(recv).map((p) => list([str(p.name), p.value], true)));
    case 'apply': {
      // PyTorch applies fn to children first, then to the module itself.
      if (a0) for (const m of namedModules(recv).reverse()) ip.callValue(a0, { ...args, pos: [m.value], posNodes: [null], kw: new Map() }, 'apply');
      return recv;
    }
    case 'to':
    case 'cuda':
    case 'cpu':
    case 'float':
    case 'double':
    case 'half':
    case 'train':
    case 'eval':
    case 'requires_grad_':
      return recv;
    case '__sequential_init__': {
      if (recv.t !== 'inst') return NONE;
      const first = args.pos[0];
      if (args.pos.length === 1 && first.t === 'dict') for (const [k, v] of first.entries) recv.attrs.set(k, v);
      else args.pos.forEach((v, i) => recv.attrs.set(String(i), v));
      recv.issues.push(...args.issues);
      return NONE;
    }
    case '__len__':
      return container ? num(container.children.length) : undefined;
    case 'register_buffer':
    case 'register_parameter':
    case 'zero_grad':
      return NONE;
    case 'is_cuda':
      return bool(false);
    default:
      return undefined;
  }
}

/**
 * `copy.deepcopy(layer)`: a distinct module with the same configuration, so each copy gets its own name and its
 * own init. Containers and model instances are copied recursively (depth-capped); other values are shared,
 * which is harmless because the evaluator never mutates numbers or strings.
 */
export function cloneModule(v: Value, depth = 0): Value {
  if (depth > 32) return v;
  if (v.t === 'mod' && v.mk === 'leaf') {
    return { t: 'mod', mk: 'leaf', spec: { ...v.spec, init: v.spec.init ? { ...v.spec.init } : null, issues: [...v.spec.issues] } };
  }
  if (v.t === 'mod' && v.mk !== 'kmodel') {
    return { ...v, children: v.children.map((c) => ({ name: c.name, value: cloneModule(c.value, depth + 1) })), issues: [...v.issues] };
  }
  if (v.t === 'inst') {
    const attrs = new Map<string, Value>();
    for (const [k, a] of v.attrs) attrs.set(k, cloneModule(a, depth + 1));
    return { ...v, attrs, issues: [...v.issues] };
  }
  if (v.t === 'list') return { ...v, items: v.items.map((i) => cloneModule(i, depth + 1)) };
  return v;
}
