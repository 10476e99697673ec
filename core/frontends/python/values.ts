import type { Node } from 'web-tree-sitter';
import type {
  Activation,
  BiasSpec,
  ConvSpec,
  Framework,
  InitSpec,
  LayerKind,
  NormSpec,
  PoolSpec,
} from '../../ir';

/**
 * Values of the static Python evaluator. It runs just enough Python (constants, lists, loops, calls of functions
 * defined in the file) to see which layers a model builds, without ever executing user code. Anything it cannot
 * know is an `unknown` carrying the user-facing symbol it came from, so the model can say what is missing.
 */
export type Value =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | ListValue
  | DictValue
  | { t: 'ref'; path: string }
  | FuncValue
  | { t: 'class'; cls: ClassInfo }
  | InstValue
  | ModValue
  | TensorValue
  | { t: 'param'; owner: LayerSpec; which: 'weight' | 'bias' }
  | { t: 'method'; recv: Value; name: string }
  | ObjValue
  | UnknownValue;

/** A value the evaluator cannot know. */
export interface UnknownValue {
  t: 'unknown';
  /** The name a user would pin with a `# normlens:` directive (`in_dim`, `depth`), null when there is none. */
  symbol: string | null;
}

/** A Python list or tuple (mutable in place, like Python's). */
export interface ListValue {
  t: 'list';
  items: Value[];
  tuple: boolean;
  /** Why the list may be incomplete (a loop with unknown bounds appended to it); follows it into containers. */
  issues: Issue[];
}

/** A dict with string keys, in insertion order (OrderedDict, ModuleDict contents). */
export interface DictValue {
  t: 'dict';
  entries: Map<string, Value>;
}

/** A function or lambda defined in the file, with its closure scope. */
export interface FuncValue {
  t: 'func';
  node: Node;
  name: string;
  scope: Scope;
  /** Bound receiver for methods (`self.block`), null for plain functions. */
  self: Value | null;
  /** Class the method was found on, so `super()` inside it continues the lookup above that class. */
  owner: ClassInfo | null;
}

/** A plain object: argparse parsers and namespaces, initializer instances, dummy tensors, `super()`. */
export interface ObjValue {
  t: 'obj';
  kind: string;
  attrs: Map<string, Value>;
}

/** A class defined in the file. `framework` is set for nn.Module / keras.Model / keras Layer subclasses. */
export interface ClassInfo {
  name: string;
  node: Node;
  bases: Value[];
  scope: Scope;
  framework: Framework | null;
  /** True for whole models (nn.Module, keras.Model); false for Keras custom layers (keras.layers.Layer). */
  modelClass: boolean;
  dataclass: boolean;
}

/** An instance of a class defined in the file; for framework classes this is a module whose attributes hold layers. */
export interface InstValue {
  t: 'inst';
  cls: ClassInfo;
  attrs: Map<string, Value>;
  /** The constructor call that created it. */
  node: Node | null;
  /** Problems found while its constructor / forward ran. */
  issues: Issue[];
  /** Shape of a dummy input the file feeds the model (`model(torch.randn(1, 3, 32, 32))`), batch removed. */
  inputHint?: number[];
}

/** A framework container or layer. */
export type ModValue =
  | { t: 'mod'; mk: 'leaf'; spec: LayerSpec }
  | ContainerValue
  | KerasModelValue;

/** nn.Sequential / nn.ModuleList / nn.ModuleDict and keras.Sequential: ordered named children. */
export interface ContainerValue {
  t: 'mod';
  mk: 'seq' | 'list' | 'dict' | 'kseq';
  children: { name: string; value: Value }[];
  node: Node;
  sourceType: string;
  issues: Issue[];
  /** keras.Sequential: input shape given by Input / input_shape / build(). */
  inputShape?: number[] | null;
  /** Model name from `name=` (Keras). */
  explicitName?: string;
  inputHint?: number[];
}

/** keras.Model(inputs, outputs): the layers are those of the functional graph behind `outputs`. */
export interface KerasModelValue {
  t: 'mod';
  mk: 'kmodel';
  graph: Graph;
  outputs: number[];
  node: Node;
  explicitName?: string;
  issues: Issue[];
}

/** A symbolic tensor in a forward pass: which layer of which graph produced it (-1 = the model input). */
export interface TensorValue {
  t: 'tensor';
  graph: Graph;
  at: number;
}

/** The layers a forward pass emitted, in call order, with their data flow. */
export interface Graph {
  framework: Framework;
  layers: Emitted[];
  /** Per-sample input shape when the file states it (keras.Input(shape=...)). */
  inputShape: number[] | null;
  issues: Issue[];
  /** Set once the layer cap was hit, so the issue is reported once. */
  capped: boolean;
}

/** One layer application in a forward pass. */
export interface Emitted {
  spec: LayerSpec;
  /** Producer of this layer's input (-1 = model input). */
  inputAt: number;
  /** Residual add: the other operand's producer. */
  residualFrom?: number;
  /** Where forward() calls it, when that differs from where it was built. */
  useNode: Node | null;
}

/** One layer as built by a constructor call (or a functional op in forward), before widths are propagated. */
export interface LayerSpec {
  kind: LayerKind;
  framework: Framework;
  /** Canonical class path ("torch.nn.Linear", "keras.layers.Dense"), for isinstance checks. */
  classPath: string;
  sourceType: string;
  node: Node;
  /** Explicit name (Keras `name=`). */
  name?: string;
  /** Declared input / output width (PyTorch args, Keras units / filters); undefined = follows the data. */
  inArg?: Value;
  outArg?: Value;
  activation: Activation | null;
  /** Explicit weight init (null = framework default, filled at the end). */
  init: InitSpec | null;
  /** Explicit bias init (null = framework default). */
  biasInit: BiasSpec | null;
  hasBias: boolean;
  hasWeight: boolean;
  norm: NormSpec | null;
  conv?: ConvSpec;
  pool?: PoolSpec;
  rate: number | null;
  weightNorm?: boolean;
  /** Keras first-layer `input_shape=` / `input_dim=`. */
  inputShape?: number[];
  /** Reshape-like layers whose output width is computed by the shape pass. */
  flattens?: boolean;
  issues: Issue[];
}

/** A problem found while evaluating, turned into a PartialReason when the model is finished. */
export interface Issue {
  symbol: string | null;
  reason: string;
  node: Node | null;
  spec?: LayerSpec;
}

/** Lexical scope: function locals chained to the module globals. */
export interface Scope {
  vars: Map<string, Value>;
  parent: Scope | null;
}

/** Python None. */
/**
 * Longest list (or container) the evaluator builds, and longest string. `l = l + l` in a loop of 60 doubles past
 * what V8 can allocate and kills the whole process (a fatal error, not an exception), so growth stops here and
 * the result is unknown or the list says it is incomplete. Real models have thousands of layers, not 10^5.
 */
export const MAX_SEQUENCE = 100_000;
export const MAX_STRING = 1_000_000;

/** Append `items` to `target`, at most up to MAX_SEQUENCE entries; false when some had to be dropped. */
export function pushCapped<T>(target: T[], items: readonly T[]): boolean {
  // Counted before pushing: `l.extend(l)` passes the target itself.
  const n = Math.min(Math.max(0, MAX_SEQUENCE - target.length), items.length);
  for (let i = 0; i < n; i++) target.push(items[i]);
  return n === items.length;
}

/**
 * Issues of several lists, each once. Concatenation copies issues, so `l = l + l` in a loop would double them
 * every time (2^60 issues on an empty list is as fatal as 2^60 items).
 */
export function joinIssues(...lists: Issue[][]): Issue[] {
  const seen = new Set<string>();
  const out: Issue[] = [];
  for (const l of lists) {
    for (const i of l) {
      const key = `${i.reason}@${i.node?.id ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(i);
    }
  }
  return out;
}

const OVERFLOW_REASON = 'a list grows past 100,000 items; the rest is not tracked';

/** The issue a list carries once it stopped growing at MAX_SEQUENCE. */
export function overflowIssue(node: Node | null): Issue {
  return { symbol: null, reason: OVERFLOW_REASON, node };
}

/** Add the overflow issue to a list or container once (cheap: it is checked on every refused append). */
export function noteOverflow(target: { issues: Issue[] }, node: Node | null): void {
  if (!target.issues.some((i) => i.reason === OVERFLOW_REASON)) target.issues.push(overflowIssue(node));
}

export const NONE: Value = { t: 'none' };
/** Value constructors. */
export const num = (v: number): Value => ({ t: 'num', v });
export const str = (v: string): Value => ({ t: 'str', v });
export const bool = (v: boolean): Value => ({ t: 'bool', v });
export const unknown = (symbol: string | null = null): UnknownValue => ({ t: 'unknown', symbol });
export const list = (items: Value[], tuple = false): ListValue => ({ t: 'list', items, tuple, issues: [] });

/** Python truthiness, or null when it cannot be known. */
export function truthy(v: Value): boolean | null {
  switch (v.t) {
    case 'num':
      return v.v !== 0;
    case 'str':
      return v.v.length > 0;
    case 'bool':
      return v.v;
    case 'none':
      return false;
    case 'list':
      return v.items.length > 0;
    case 'dict':
      return v.entries.size > 0;
    case 'unknown':
    case 'tensor':
      return null;
    default:
      return true;
  }
}

/** The number a value holds (bools count, as in Python), else null. */
export function asNumber(v: Value | undefined): number | null {
  if (!v) return null;
  if (v.t === 'num') return v.v;
  if (v.t === 'bool') return v.v ? 1 : 0;
  return null;
}

/** Items of an iterable value, or null when its contents are unknown. */
export function iterate(v: Value): Value[] | null {
  if (v.t === 'list') return v.items;
  if (v.t === 'str') return v.v.length <= MAX_SEQUENCE ? [...v.v].map(str) : null;
  if (v.t === 'dict') return [...v.entries.keys()].map(str);
  if (v.t === 'mod' && v.mk !== 'leaf' && v.mk !== 'kmodel') {
    return v.mk === 'dict' ? v.children.map((c) => str(c.name)) : v.children.map((c) => c.value);
  }
  return null;
}

/** A new scope whose lookups fall back to `parent`. */
export function newScope(parent: Scope | null): Scope {
  return { vars: new Map(), parent };
}

/** Resolve a name along the scope chain. */
export function lookup(scope: Scope, name: string): Value | undefined {
  for (let s: Scope | null = scope; s; s = s.parent) {
    const v = s.vars.get(name);
    if (v !== undefined) return v;
  }
  return undefined;
}
