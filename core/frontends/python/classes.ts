import type { Node } from 'web-tree-sitter';
import { evalExpr } from './expressions';
import { canonicalPath } from './imports';
import type { Args, Interp } from './interpreter';
import { execBlock } from './statements';
import { field, namedKids } from './syntax';
import { newScope, unknown } from './values';
import type { Framework } from '../../ir';
import type { ClassInfo, InstValue, Scope, Value } from './values';

/** Which framework a base class makes this class a model of. */
function frameworkOfBase(base: Value): { framework: Framework; model: boolean } | null {
  if (base.t === 'class') return base.cls.framework ? { framework: base.cls.framework, model: base.cls.modelClass } : null;
  if (base.t !== 'ref') return null;
  const p = canonicalPath(base.path);
  if (p === 'torch.nn.Module' || p === 'torch.nn.Sequential' || /(^|\.)LightningModule$/.test(p)) return { framework: 'pytorch', model: true };
  if (/^keras\.(Model|Sequential)$/.test(p)) return { framework: 'keras', model: true };
  if (/^keras\.(layers\.Layer|Layer)$/.test(p)) return { framework: 'keras', model: false };
  return null;
}

/** Evaluate a class statement: bases, then the body (class attributes and methods) in a scope of its own. */
export function defineClass(ip: Interp, node: Node, scope: Scope, decorators: string[]): void {
  const name = field(node, 'name')?.text;
  if (!name) return;
  const bases: Value[] = [];
  const supers = field(node, 'superclasses');
  for (const b of supers ? namedKids(supers) : []) if (b.type !== 'keyword_argument') bases.push(evalExpr(ip, b, scope));
  const kind = bases.map(frameworkOfBase).find((f) => f !== null) ?? null;
  const cls: ClassInfo = {
    name,
    node,
    bases,
    // Methods close over this scope, so they see class attributes by bare name; valid Python never relies on not
    // seeing them, and it saves a second scope chain.
    scope: newScope(scope),
    framework: kind?.framework ?? null,
    modelClass: kind?.model ?? false,
    dataclass: decorators.some((d) => /dataclass/.test(d)),
  };
  const body = field(node, 'body');
  if (body) execBlock(ip, body, cls.scope);
  ip.classes.push(cls);
  scope.vars.set(name, { t: 'class', cls });
}

/** Dataclass fields in declaration order: annotated assignments of the class body. */
function dataclassFields(cls: ClassInfo): string[] {
  const body = field(cls.node, 'body');
  const out: string[] = [];
  for (const stmt of body ? namedKids(body) : []) {
    const a = stmt.type === 'expression_statement' ? namedKids(stmt)[0] : null;
    if (a?.type === 'assignment' && field(a, 'type') && field(a, 'left')?.type === 'identifier') {
      out.push(field(a, 'left')?.text as string);
    }
  }
  return out;
}

/**
 * `Cls(...)`: build an instance and run its `__init__`. For framework classes the constructor runs as model code:
 * layers built there belong to this instance, and problems go to its issues.
 */
export function instantiate(ip: Interp, cls: ClassInfo, args: Args): Value {
  ip.instantiated.add(cls);
  const inst: InstValue = { t: 'inst', cls, attrs: new Map(), node: args.node, issues: [] };
  if (cls.modelClass) ip.noteModel(inst, cls.name, args.node);
  if (cls.dataclass) {
    const fields = dataclassFields(cls);
    fields.forEach((f, i) => {
      const given = i < args.pos.length ? args.pos[i] : args.kw.get(f);
      const dflt = cls.scope.vars.get(f);
      inst.attrs.set(f, given ?? dflt ?? ip.pinned(unknown(f)));
    });
  }
  const init = ip.findClassAttr(cls, '__init__');
  if (init && init.value.t === 'func') {
    ip.callFunction({ ...init.value, self: inst, owner: init.owner }, args);
  }
  return inst;
}
