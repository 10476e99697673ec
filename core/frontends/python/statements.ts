import type { Node } from 'web-tree-sitter';
import { defineClass } from './classes';
import { evalExpr } from './expressions';
import { bindImport } from './imports';
import type { Interp } from './interpreter';
import { binaryOp } from './operators';
import { loopCap, loopOver, mutatedContainers } from './loops';
import { setAttr, setItem } from './attributes';
import { field, namedKids } from './syntax';
import { MAX_SEQUENCE, NONE, iterate, joinIssues, noteOverflow, pushCapped, truthy, unknown } from './values';
import type { Issue, Scope, Value } from './values';

/** How a statement finished. */
export type Flow = { k: 'normal' } | { k: 'return'; value: Value } | { k: 'break' } | { k: 'continue' };

const NORMAL: Flow = { k: 'normal' };

/** Run the statements of a block (or the module) in order until one returns, breaks or continues. */
export function execBlock(ip: Interp, block: Node, scope: Scope): Flow {
  for (const stmt of namedKids(block)) {
    const flow = execStatement(ip, stmt, scope);
    if (flow.k !== 'normal') return flow;
  }
  return NORMAL;
}

function execStatement(ip: Interp, stmt: Node, scope: Scope): Flow {
  ip.tick();
  switch (stmt.type) {
    case 'expression_statement':
      for (const e of namedKids(stmt)) execExpressionStatement(ip, e, scope, stmt);
      return NORMAL;
    case 'if_statement':
      return execIf(ip, stmt, scope);
    case 'for_statement':
      return execFor(ip, stmt, scope);
    case 'while_statement':
      return execWhile(ip, stmt, scope);
    case 'function_definition':
      defineFunction(stmt, scope);
      return NORMAL;
    case 'class_definition':
      defineClass(ip, stmt, scope, []);
      return NORMAL;
    case 'decorated_definition': {
      const def = field(stmt, 'definition');
      const decorators = namedKids(stmt).filter((d) => d.type === 'decorator').map((d) => d.text);
      if (def?.type === 'class_definition') defineClass(ip, def, scope, decorators);
      else if (def?.type === 'function_definition') defineFunction(def, scope);
      return NORMAL;
    }
    case 'return_statement': {
      const kids = namedKids(stmt);
      if (!kids.length) return { k: 'return', value: NONE };
      const value = kids.length === 1 ? evalExpr(ip, kids[0], scope) : evalExpr(ip, stmt, scope);
      return { k: 'return', value };
    }
    case 'break_statement':
      return { k: 'break' };
    case 'continue_statement':
      return { k: 'continue' };
    case 'import_statement':
    case 'import_from_statement':
      bindImport(stmt, scope);
      return NORMAL;
    case 'with_statement':
      return execWith(ip, stmt, scope);
    case 'try_statement': {
      const body = field(stmt, 'body');
      const flow = body ? execBlock(ip, body, scope) : NORMAL;
      if (flow.k !== 'normal') return flow;
      for (const c of namedKids(stmt)) {
        const block = c.type === 'else_clause' ? field(c, 'body') : c.type === 'finally_clause' ? namedKids(c)[0] : null;
        if (block) {
          const f = execBlock(ip, block, scope);
          if (f.k !== 'normal') return f;
        }
      }
      return NORMAL;
    }
    default:
      // raise, assert, pass, global, del, match ...: no effect on which layers a model builds.
      return NORMAL;
  }
}

function defineFunction(def: Node, scope: Scope): void {
  const name = field(def, 'name')?.text;
  if (name) scope.vars.set(name, { t: 'func', node: def, name, scope, self: null, owner: null });
}

function execExpressionStatement(ip: Interp, e: Node, scope: Scope, stmt: Node): void {
  if (e.type === 'assignment') assign(ip, e, scope, stmt);
  else if (e.type === 'augmented_assignment') augmentedAssign(ip, e, scope, stmt);
  else evalExpr(ip, e, scope);
}

function assign(ip: Interp, node: Node, scope: Scope, stmt: Node): Value {
  const right = field(node, 'right');
  const left = field(node, 'left');
  if (!right || !left) return NONE; // `x: int` declares without assigning
  const value = right.type === 'assignment' ? assign(ip, right, scope, stmt) : evalExpr(ip, right, scope);
  bindTarget(ip, left, value, scope, stmt);
  return value;
}

function augmentedAssign(ip: Interp, node: Node, scope: Scope, stmt: Node): void {
  const left = field(node, 'left') as Node;
  const op = (field(node, 'operator')?.text ?? '+=').slice(0, -1);
  const current = evalExpr(ip, left, scope);
  const rhs = evalExpr(ip, field(node, 'right') as Node, scope);
  if (op === '+' && (current.t === 'list' || (current.t === 'mod' && (current.mk === 'list' || current.mk === 'seq')))) {
    // `layers += [...]` extends in place: other names for the same list see the new layers.
    ip.spendOn(rhs);
    const items = iterate(rhs);
    if (current.t === 'list') {
      if (items && !pushCapped(current.items, items)) noteOverflow(current, node);
      if (rhs.t === 'list') current.issues = joinIssues(current.issues, rhs.issues);
    } else if (items) {
      const children = current.children;
      const room = Math.max(0, MAX_SEQUENCE - children.length);
      const n = Math.min(room, items.length);
      for (let i = 0; i < n; i++) children.push({ name: String(children.length), value: items[i] });
      if (n < items.length) noteOverflow(current, node);
    }
    return;
  }
  bindTarget(ip, left, binaryOp(ip, op, current, rhs, node), scope, stmt);
}

/** Assign a value to an assignment target: a name, `obj.attr`, `obj[key]` or a tuple pattern. */
export function bindTarget(ip: Interp, target: Node, value: Value, scope: Scope, stmt?: Node): void {
  switch (target.type) {
    case 'identifier': {
      let v = value;
      // An unresolved value takes the name it is stored under: that is the name the user sees where it is
      // used (`nn.Linear(in_dim, ...)`), so it is the one to report and to pin with a directive.
      if (v.t === 'unknown') v = ip.pinned(unknown(target.text));
      scope.vars.set(target.text, v);
      if (stmt && ip.modelDepth === 0) ip.nameModel(v, target.text, stmt);
      return;
    }
    case 'attribute': {
      const obj = evalExpr(ip, field(target, 'object') as Node, scope);
      setAttr(obj, field(target, 'attribute')?.text ?? '', value);
      return;
    }
    case 'subscript': {
      const obj = evalExpr(ip, field(target, 'value') as Node, scope);
      const key = field(target, 'subscript');
      if (key) setItem(obj, evalExpr(ip, key, scope), value);
      return;
    }
    case 'pattern_list':
    case 'tuple_pattern':
    case 'list_pattern':
    case 'tuple':
    case 'list':
    case 'expression_list': {
      const targets = namedKids(target);
      const items = iterate(value);
      targets.forEach((t, i) => {
        const item = items && i < items.length ? items[i] : unknown(value.t === 'unknown' ? value.symbol : null);
        bindTarget(ip, t, item, scope);
      });
      return;
    }
    case 'parenthesized_expression': {
      const inner = namedKids(target)[0];
      if (inner) bindTarget(ip, inner, value, scope, stmt);
      return;
    }
    default:
      return;
  }
}

/** Branches that only guard (raise, pass, print, warn) are skipped when their condition is unknown. */
function isGuard(block: Node | null): boolean {
  if (!block) return true;
  return namedKids(block).every(
    (s) =>
      s.type === 'raise_statement' ||
      s.type === 'pass_statement' ||
      s.type === 'assert_statement' ||
      (s.type === 'expression_statement' && /^(print|warnings\.|logging\.|logger\.|log\.)/.test(s.text)),
  );
}

/**
 * An undecidable `if`: the branch is taken, and everything it builds says so: the running model (its issues),
 * containers the branch adds layers to, and models the branch creates at module level.
 */
function assumeTrue(ip: Interp, cond: Node, then: Node | null, scope: Scope): Flow {
  const issue = ip.noteUnknownCondition(cond);
  if (!then) return NORMAL;
  for (const c of mutatedContainers(ip, then, scope)) ip.taint(c, issue);
  const before = ip.candidates.length;
  const flow = execBlock(ip, then, scope);
  for (const c of ip.candidates.slice(before)) {
    const v = c.value;
    if (v.t === 'inst' || (v.t === 'mod' && v.mk !== 'leaf')) ip.taint(v, issue);
  }
  return flow;
}

function execIf(ip: Interp, stmt: Node, scope: Scope): Flow {
  const cond = field(stmt, 'condition') as Node;
  const then = field(stmt, 'consequence');
  const t = truthy(evalExpr(ip, cond, scope));
  if (t === true) return then ? execBlock(ip, then, scope) : NORMAL;
  if (t === null && !isGuard(then)) return assumeTrue(ip, cond, then, scope);
  for (const alt of stmt.childrenForFieldName('alternative')) {
    if (!alt) continue;
    if (alt.type === 'else_clause') {
      const body = field(alt, 'body');
      return body ? execBlock(ip, body, scope) : NORMAL;
    }
    const c = field(alt, 'condition') as Node;
    const ct = truthy(evalExpr(ip, c, scope));
    if (ct === false || (ct === null && isGuard(field(alt, 'consequence')))) continue;
    if (ct === null) return assumeTrue(ip, c, field(alt, 'consequence'), scope);
    const body = field(alt, 'consequence');
    return body ? execBlock(ip, body, scope) : NORMAL;
  }
  return NORMAL;
}

function execFor(ip: Interp, stmt: Node, scope: Scope): Flow {
  const left = field(stmt, 'left') as Node;
  const body = field(stmt, 'body');
  const iterable = evalExpr(ip, field(stmt, 'right') as Node, scope);
  let result: Flow = NORMAL;
  const status = loopOver(ip, iterable, stmt, (item) => {
    bindTarget(ip, left, item, scope);
    const flow = body ? execBlock(ip, body, scope) : NORMAL;
    if (flow.k === 'return') result = flow;
    return flow.k === 'normal' || flow.k === 'continue';
  });
  if (status.issue && body) {
    ip.issue(status.issue);
    for (const c of mutatedContainers(ip, body, scope)) ip.taint(c, status.issue);
  }
  return result;
}

function execWhile(ip: Interp, stmt: Node, scope: Scope): Flow {
  const cond = field(stmt, 'condition') as Node;
  const body = field(stmt, 'body');
  const cap = loopCap(ip, stmt);
  for (let i = 0; i < cap; i++) {
    const t = truthy(evalExpr(ip, cond, scope));
    if (t !== true) return NORMAL;
    const flow = body ? execBlock(ip, body, scope) : NORMAL;
    if (flow.k === 'return') return flow;
    if (flow.k === 'break') return NORMAL;
  }
  const issue: Issue = { symbol: null, reason: `while loop stopped after ${cap} iterations`, node: cond };
  ip.issue(issue);
  // As for `for` loops: at module level there is no model to tell, so the lists it filled carry the reason.
  if (body) for (const c of mutatedContainers(ip, body, scope)) ip.taint(c, issue);
  return NORMAL;
}

function execWith(ip: Interp, stmt: Node, scope: Scope): Flow {
  for (const clause of namedKids(stmt).filter((c) => c.type === 'with_clause')) {
    for (const item of namedKids(clause)) {
      const value = field(item, 'value');
      if (!value) continue;
      if (value.type === 'as_pattern') {
        const inner = namedKids(value)[0];
        const v = inner ? evalExpr(ip, inner, scope) : unknown(null);
        const alias = namedKids(field(value, 'alias') ?? value).find((n) => n.type === 'identifier');
        if (alias) scope.vars.set(alias.text, v.t === 'obj' || v.t === 'list' ? v : unknown(alias.text));
      } else evalExpr(ip, value, scope);
    }
  }
  const body = field(stmt, 'body');
  return body ? execBlock(ip, body, scope) : NORMAL;
}
