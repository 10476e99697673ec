import type { Node } from 'web-tree-sitter';
import { instantiate } from './classes';
import { callMethod, callRef } from './dispatch';
import { evalExpr } from './expressions';
import { callModule, passThrough } from './forward';
import { callPartial } from './libraries';
import { execBlock } from './statements';
import { field, namedKids } from './syntax';
import { NONE, list, lookup, newScope, num, unknown } from './values';
import type { ClassInfo, FuncValue, Issue, ListValue, Scope, UnknownValue, Value } from './values';

/** Evaluated call arguments, with the nodes they came from (ranges for init / activation arguments). */
export interface Args {
  pos: Value[];
  kw: Map<string, Value>;
  posNodes: (Node | null)[];
  kwNodes: Map<string, Node>;
  node: Node;
  /** Issues of lists splatted into the call (`nn.Sequential(*layers)` with an incomplete `layers`). */
  issues: Issue[];
}

/** Thrown when the step budget is spent; caught per stage and reported as a partial reason. */
export class BudgetExceeded extends Error {}

/** Limits that keep hostile or generated input bounded. */
export interface Limits {
  /** Evaluation steps (expressions + statements) per stage: module code, each model's forward pass. */
  maxSteps: number;
  /**
   * Evaluation steps for the whole file, all stages together. Stages are many (module code, every builder
   * function and unused class discovered, up to 100 model traces), so per-stage budgets alone let a file of 30
   * classes with heavy forward() loops take 40 s; this caps the file.
   */
  maxTotalSteps: number;
  /**
   * Wall-clock milliseconds for the whole evaluation: the backstop behind the step counts, for work a step
   * does not measure (an operation on a 100,000-item list counts as many steps as it touches where it is
   * charged, but not every path charges). Only pathological files reach it.
   */
  maxMillis: number;
  /** Iterations of one loop. */
  maxLoop: number;
  /** Nested calls of functions / methods defined in the file. */
  maxCallDepth: number;
  /** Layers one forward pass may emit. */
  maxLayers: number;
}

/** Limits for real files: generous for hand-written models, bounded for generated or hostile ones. */
export const DEFAULT_LIMITS: Limits = { maxSteps: 3_000_000, maxTotalSteps: 6_000_000, maxMillis: 4_000, maxLoop: 10_000, maxCallDepth: 40, maxLayers: 10_000 };

interface Frame {
  yields: Value[] | null;
  fn: FuncValue;
}

/** A model found while running the file: a framework class instance, a Sequential or a keras Model. */
export interface Candidate {
  value: Value;
  name: string;
  /** True once a variable name was given to it (module-level `model = ...`). */
  named: boolean;
  node: Node;
  /** Statement that created / named it at module level (quick fixes insert after it). */
  stmt: Node | null;
  /** Python expression that refers to it from after `stmt` ("model"), null when anonymous. */
  expr: string | null;
  /** Other constructions of the same class with different arguments. */
  otherCalls: Node[];
}

/**
 * The static evaluator's state for one file. It walks statements the way Python would run them, but every
 * operation is pure and bounded: no I/O, no imports are followed, unknown things stay unknown.
 */
export class Interp {
  readonly globals: Scope = newScope(null);
  readonly lines: string[];
  exprDepth = 0;
  callDepth = 0;
  /** > 0 while running a method of a framework class: layers built there belong to that model, not the file. */
  modelDepth = 0;
  /** Where issues go while a model's own code runs; empty at module level (issues then follow the values). */
  readonly sinks: Issue[][] = [];
  readonly classes: ClassInfo[] = [];
  readonly candidates: Candidate[] = [];
  readonly instantiated = new Set<ClassInfo>();
  readonly calledFunctions = new Set<number>();
  /** Model instances whose forward() is running (recursion guard). */
  readonly activeForwards = new Set<Value>();
  /** The node a model trace starts from (not a "use" of its layers). */
  traceRoot: Node | null = null;
  /**
   * Limits met anywhere, module level included, where `issue` has no model to report to: when the file then
   * yields no model, the error says which limit may have hidden it.
   */
  readonly limitsHit = new Set<string>();
  /** Batch size the file states, first found wins (directive handled by the caller). */
  batchSize: number | null = null;
  private steps = 0;
  private totalSteps = 0;
  private readonly deadline: number;
  private readonly generators = new Map<number, boolean>();
  /** Per loop node: whether its body may build layers (see loops.ts). */
  readonly loopKinds = new Map<number, boolean>();
  private readonly frames: Frame[] = [];

  constructor(
    readonly text: string,
    readonly directives: Record<string, number>,
    readonly limits: Limits = DEFAULT_LIMITS,
  ) {
    this.lines = text.split('\n');
    this.deadline = performance.now() + limits.maxMillis;
    this.globals.vars.set('__name__', { t: 'str', v: '__main__' });
  }

  /** Give the next stage (one model's forward pass) a budget of its own. */
  resetBudget(): void {
    this.steps = 0;
  }

  /** Steps used so far in this stage (for tests and benchmarks). */
  get stepsUsed(): number {
    return this.steps;
  }

  /** Count one evaluation step; throws BudgetExceeded past the stage's or the file's limit. */
  tick(): void {
    if (++this.steps > this.limits.maxSteps || ++this.totalSteps > this.limits.maxTotalSteps) throw new BudgetExceeded('evaluation budget exhausted');
    // The clock is read once per 1024 steps: cheap, and a step is microseconds.
    if ((this.totalSteps & 1023) === 0 && performance.now() > this.deadline) throw new BudgetExceeded('evaluation time limit reached');
  }

  /**
   * Charge work proportional to the data an operation touches (copying, scanning or building a sequence of n
   * items costs n / 16 steps: an evaluation step costs about as much as touching 16 items): a loop of 10,000
   * iterations each copying a 100,000-item list is 10^9 operations in 10^4 steps otherwise, minutes instead of a
   * budget.
   */
  spend(units: number): void {
    const u = Math.ceil(units);
    if (!(u > 0)) return;
    this.steps += u;
    this.totalSteps += u;
    if (this.steps > this.limits.maxSteps || this.totalSteps > this.limits.maxTotalSteps) throw new BudgetExceeded('evaluation budget exhausted');
    if (performance.now() > this.deadline) throw new BudgetExceeded('evaluation time limit reached');
  }

  /** Charge for the sizes of sequence values an operation reads (lists, strings, dicts, containers). */
  spendOn(...values: (Value | undefined)[]): void {
    let n = 0;
    for (const v of values) n += sizeOf(v);
    if (n >= 4) this.spend(n);
  }

  /** Record a problem with the model whose code is running (no-op at module level; see `carryIssues`). */
  issue(issue: Issue): void {
    const sink = this.sinks[this.sinks.length - 1];
    if (sink && !sink.some((i) => i.reason === issue.reason && i.node?.id === issue.node?.id)) sink.push(issue);
  }

  /** Issues attached to a value (an incomplete list) reach the model that consumes the value. */
  carryIssues(issues: Issue[]): void {
    for (const i of issues) this.issue(i);
  }

  /** A directive value for an unknown symbol (`# normlens: depth=16`), else the unknown itself. */
  pinned(v: UnknownValue): Value {
    if (!v.symbol) return v;
    const exact = this.directives[v.symbol];
    if (exact !== undefined) return num(exact);
    const last = v.symbol.split('.').pop() as string;
    const byLast = this.directives[last];
    return byLast !== undefined ? num(byLast) : v;
  }

  resolveName(name: string, scope: Scope): Value {
    const v = lookup(scope, name);
    if (v !== undefined) return v;
    if (BUILTIN_NAMES.has(name)) return { t: 'ref', path: `builtins.${name}` };
    // `from torch.nn import *`: capitalised names are taken to be the library's classes.
    const wild = this.globals.vars.get('__wildcards__');
    if (wild?.t === 'list' && wild.items[0]?.t === 'ref' && /^[A-Z]/.test(name)) return { t: 'ref', path: `${wild.items[0].path}.${name}` };
    return this.pinned(unknown(name));
  }

  /** An `if` / ternary condition could not be decided: the true branch is taken, and the model says so. */
  noteUnknownCondition(cond: Node): Issue {
    const issue: Issue = { symbol: null, reason: `condition \`${cond.text.slice(0, 60)}\` could not be evaluated; assumed true`, node: cond };
    this.issue(issue);
    return issue;
  }

  yieldValue(v: Value): Value {
    const frame = this.frames[this.frames.length - 1];
    frame?.yields?.push(v);
    return NONE;
  }

  callValue(callee: Value, args: Args, calleeText: string): Value {
    switch (callee.t) {
      case 'func':
        return this.callFunction(callee, args);
      case 'class':
        return instantiate(this, callee.cls, args);
      case 'method':
        return callMethod(this, callee.recv, callee.name, args);
      case 'ref':
        return callRef(this, callee.path, args, calleeText);
      case 'mod':
      case 'inst':
        return callModule(this, callee, args);
      case 'obj':
        return callPartial(this, callee, args);
      default:
        return passThrough(this, args, calleeText) ?? unknown(null);
    }
  }

  /** Run a function defined in the file with bound arguments. Recursion and depth are capped. */
  callFunction(fn: FuncValue, args: Args): Value {
    if (this.callDepth >= this.limits.maxCallDepth) {
      this.issue({ symbol: null, reason: `call depth limit reached in ${fn.name}()`, node: args.node });
      return unknown(null);
    }
    this.calledFunctions.add(fn.node.id);
    const scope = newScope(fn.scope);
    this.bindParameters(fn, args, scope);
    const body = field(fn.node, 'body');
    if (!body) return NONE;
    if (fn.node.type === 'lambda') return this.withDepth(() => evalExpr(this, body, scope));
    let generator = this.generators.get(fn.node.id);
    if (generator === undefined) {
      generator = isGenerator(body);
      this.generators.set(fn.node.id, generator);
    }
    const frame: Frame = { yields: generator ? [] : null, fn };
    // A method of a model class is model code: layers it builds belong to that model, problems go to its issues.
    const model = fn.self && fn.self.t === 'inst' && fn.self.cls.framework ? fn.self : null;
    this.frames.push(frame);
    if (model) {
      this.modelDepth++;
      this.sinks.push(model.issues);
    }
    try {
      const flow = this.withDepth(() => execBlock(this, body, scope));
      if (frame.yields) return list(frame.yields);
      return flow.k === 'return' ? flow.value : NONE;
    } finally {
      this.frames.pop();
      if (model) {
        this.modelDepth--;
        this.sinks.pop();
      }
    }
  }

  /** The function whose body is running (for `super()`), null at module level. */
  currentFunction(): FuncValue | null {
    return this.frames[this.frames.length - 1]?.fn ?? null;
  }

  private withDepth<T>(run: () => T): T {
    this.callDepth++;
    try {
      return run();
    } finally {
      this.callDepth--;
    }
  }

  private bindParameters(fn: FuncValue, args: Args, scope: Scope): void {
    const params = field(fn.node, 'parameters');
    const pos = [...args.pos];
    if (fn.self) pos.unshift(fn.self);
    const kw = new Map(args.kw);
    for (const p of params ? namedKids(params) : []) {
      if (p.type === 'list_splat_pattern') {
        const name = namedKids(p)[0]?.text;
        if (name) scope.vars.set(name, list(pos.splice(0), true));
        continue;
      }
      if (p.type === 'dictionary_splat_pattern') {
        const name = namedKids(p)[0]?.text;
        if (name) scope.vars.set(name, { t: 'dict', entries: new Map(kw) });
        kw.clear();
        continue;
      }
      const nameNode = p.type === 'identifier' ? p : (field(p, 'name') ?? namedKids(p)[0]);
      if (!nameNode || nameNode.type !== 'identifier') continue;
      const name = nameNode.text;
      let value: Value | undefined = pos.length ? pos.shift() : kw.get(name);
      kw.delete(name);
      if (value === undefined) {
        const dflt = field(p, 'value');
        value = dflt ? evalExpr(this, dflt, fn.scope) : this.pinned(unknown(name));
      }
      if (value.t === 'unknown' && !value.symbol) value = this.pinned(unknown(name));
      scope.vars.set(name, value);
    }
  }

  /** Look a name up along a class's bases (depth first, like Python's MRO for single inheritance). */
  findClassAttr(cls: ClassInfo, name: string, seen = new Set<ClassInfo>()): { value: Value; owner: ClassInfo } | null {
    if (seen.has(cls)) return null;
    seen.add(cls);
    const own = cls.scope.vars.get(name);
    if (own) return { value: own, owner: cls };
    for (const base of cls.bases) {
      if (base.t === 'class') {
        const hit = this.findClassAttr(base.cls, name, seen);
        if (hit) return hit;
      }
    }
    return null;
  }

  /** Register a model built at module level (not while a model's own methods run). */
  noteModel(value: Value, name: string, node: Node): void {
    if (this.modelDepth > 0 || this.candidates.some((c) => c.value === value)) return;
    if (value.t === 'inst') {
      // One model per class: later constructions only matter when their arguments differ (reported then).
      const same = this.candidates.find((c) => c.value.t === 'inst' && c.value.cls === value.cls);
      if (same) {
        if (field(same.node, 'arguments')?.text !== field(node, 'arguments')?.text) same.otherCalls.push(node);
        return;
      }
    }
    this.candidates.push({ value, name, named: false, node, stmt: null, expr: null, otherCalls: [] });
  }

  /** `model = <candidate>` at module level: the variable names the model (first name wins). */
  nameModel(value: Value, name: string, stmt: Node): void {
    const c = this.candidates.find((x) => x.value === value);
    if (!c || c.named) return;
    c.named = true;
    c.stmt = stmt;
    c.expr = name;
    if (value.t !== 'inst') c.name = name;
  }

  /** A list value's issues, for values flowing into loops that mutate containers. */
  taint(target: ListValue | { issues: Issue[] }, issue: Issue): void {
    if (!target.issues.some((i) => i.reason === issue.reason)) target.issues.push(issue);
  }
}

/** Work units of reading a value: items of a list, dict or container / 16; characters of a string / 256. */
function sizeOf(v: Value | undefined): number {
  if (!v) return 0;
  switch (v.t) {
    case 'list':
      return v.items.length / 16;
    case 'str':
      return v.v.length / 256;
    case 'dict':
      return v.entries.size / 16;
    case 'mod':
      return v.mk === 'leaf' || v.mk === 'kmodel' ? 0 : v.children.length / 16;
    default:
      return 0;
  }
}

const BUILTIN_NAMES = new Set([
  'range', 'len', 'int', 'float', 'str', 'bool', 'abs', 'min', 'max', 'sum', 'round', 'pow', 'list', 'tuple', 'dict',
  'set', 'enumerate', 'zip', 'reversed', 'sorted', 'isinstance', 'issubclass', 'hasattr', 'getattr', 'setattr',
  'print', 'super', 'type', 'iter', 'next', 'map', 'filter', 'any', 'all', 'divmod', 'callable', 'id', 'repr',
]);

function isGenerator(body: Node): boolean {
  // A `yield` whose nearest enclosing function is this one (not a nested def or lambda) makes a generator.
  // descendantsOfType runs inside WebAssembly, so the common no-yield case costs one call.
  for (const y of body.descendantsOfType('yield')) {
    let p = y?.parent ?? null;
    while (p && p.type !== 'function_definition' && p.type !== 'lambda' && p.type !== 'class_definition') p = p.parent;
    if (p && body.parent && p.id === body.parent.id) return true;
  }
  return false;
}
