import type { Node } from 'web-tree-sitter';
import type { Args, Interp } from './interpreter';
import { binaryOp, compareOp } from './operators';
import { field, namedKids } from './syntax';
import { getAttr, subscript } from './attributes';
import { comprehension, evalDict, evalDictComprehension, evalString } from './literals';
import { NONE, bool, iterate, list, num, str, truthy, unknown } from './values';
import type { Issue, Scope, Value } from './values';

/** Deepest expression nesting evaluated; deeper input (hostile or generated) evaluates to unknown. */
const MAX_EXPR_DEPTH = 150;

/** Evaluate one expression node statically. Never throws for unsupported syntax: it returns `unknown`. */
export function evalExpr(ip: Interp, node: Node, scope: Scope): Value {
  ip.tick();
  if (ip.exprDepth >= MAX_EXPR_DEPTH) {
    ip.limitsHit.add(`expressions nested deeper than ${MAX_EXPR_DEPTH} levels are not evaluated`);
    return unknown(null);
  }
  ip.exprDepth++;
  try {
    return evalInner(ip, node, scope);
  } finally {
    ip.exprDepth--;
  }
}

function evalInner(ip: Interp, node: Node, scope: Scope): Value {
  switch (node.type) {
    case 'integer':
    case 'float': {
      const v = Number(node.text.replace(/_/g, ''));
      return Number.isNaN(v) ? unknown(null) : num(v);
    }
    case 'true':
      return bool(true);
    case 'false':
      return bool(false);
    case 'none':
      return NONE;
    case 'string':
      return evalString(ip, node, scope);
    case 'concatenated_string': {
      let out = '';
      for (const part of namedKids(node)) {
        const v = evalExpr(ip, part, scope);
        if (v.t !== 'str') return unknown(null);
        out += v.v;
      }
      return str(out);
    }
    case 'identifier':
      return ip.resolveName(node.text, scope);
    case 'parenthesized_expression': {
      const inner = namedKids(node)[0];
      return inner ? evalExpr(ip, inner, scope) : list([], true);
    }
    case 'list':
    case 'tuple':
    case 'set':
    case 'expression_list':
      return list(evalItems(ip, namedKids(node), scope), node.type === 'tuple' || node.type === 'expression_list');
    case 'dictionary':
      return evalDict(ip, node, scope);
    case 'attribute': {
      const obj = evalExpr(ip, field(node, 'object') as Node, scope);
      const name = field(node, 'attribute')?.text ?? '';
      return getAttr(ip, obj, name, node);
    }
    case 'subscript':
      return evalSubscript(ip, node, scope);
    case 'call':
      return evalCall(ip, node, scope);
    case 'binary_operator': {
      const left = evalExpr(ip, field(node, 'left') as Node, scope);
      const right = evalExpr(ip, field(node, 'right') as Node, scope);
      return binaryOp(ip, field(node, 'operator')?.text ?? '', left, right, node);
    }
    case 'unary_operator': {
      const v = evalExpr(ip, field(node, 'argument') as Node, scope);
      const op = field(node, 'operator')?.text;
      if (v.t === 'num' || v.t === 'bool') {
        const n = v.t === 'num' ? v.v : Number(v.v);
        return num(op === '-' ? -n : op === '~' ? ~n : n);
      }
      return v.t === 'tensor' ? v : unknown(v.t === 'unknown' ? v.symbol : null);
    }
    case 'not_operator': {
      const t = truthy(evalExpr(ip, field(node, 'argument') as Node, scope));
      return t === null ? unknown(null) : bool(!t);
    }
    case 'boolean_operator': {
      const left = evalExpr(ip, field(node, 'left') as Node, scope);
      const t = truthy(left);
      if (t === null) return left.t === 'unknown' ? left : unknown(null);
      const isAnd = field(node, 'operator')?.text === 'and';
      if (isAnd ? !t : t) return left;
      return evalExpr(ip, field(node, 'right') as Node, scope);
    }
    case 'comparison_operator':
      return evalComparison(ip, node, scope);
    case 'conditional_expression': {
      const [a, cond, b] = namedKids(node);
      const t = truthy(evalExpr(ip, cond, scope));
      if (t === null) {
        ip.noteUnknownCondition(cond);
        return evalExpr(ip, a, scope);
      }
      return evalExpr(ip, t ? a : b, scope);
    }
    case 'list_comprehension':
    case 'generator_expression':
    case 'set_comprehension':
    {
      const issues: Issue[] = [];
      const out = list(comprehension(ip, node, scope, (s) => evalExpr(ip, field(node, 'body') as Node, s), issues));
      for (const i of issues) ip.issue(i);
      out.issues = issues;
      return out;
    }
    case 'dictionary_comprehension':
      return evalDictComprehension(ip, node, scope);
    case 'lambda':
      return { t: 'func', node, name: '<lambda>', scope, self: null, owner: null };
    case 'named_expression': {
      const v = evalExpr(ip, field(node, 'value') as Node, scope);
      const name = field(node, 'name');
      if (name) scope.vars.set(name.text, v);
      return v;
    }
    case 'keyword_argument':
      return evalExpr(ip, field(node, 'value') as Node, scope);
    case 'await':
      return evalExpr(ip, namedKids(node)[0] ?? node, scope);
    case 'yield':
      return ip.yieldValue(namedKids(node)[0] ? evalExpr(ip, namedKids(node)[0], scope) : NONE);
    case 'ellipsis':
      return NONE;
    default:
      return unknown(null);
  }
}

function evalItems(ip: Interp, kids: Node[], scope: Scope): Value[] {
  const out: Value[] = [];
  for (const k of kids) {
    if (k.type === 'list_splat') {
      const inner = evalExpr(ip, namedKids(k)[0] ?? k, scope);
      const items = iterate(inner);
      if (items) out.push(...items);
      else out.push(unknown(inner.t === 'unknown' ? inner.symbol : null));
    } else {
      out.push(evalExpr(ip, k, scope));
    }
  }
  return out;
}

function evalSubscript(ip: Interp, node: Node, scope: Scope): Value {
  const target = evalExpr(ip, field(node, 'value') as Node, scope);
  const keys = node.childrenForFieldName('subscript').filter((k): k is Node => k !== null);
  if (keys.length !== 1) return target.t === 'tensor' ? target : unknown(null);
  const key = keys[0];
  if (key.type === 'slice') return subscript(ip, target, sliceOf(ip, key, scope));
  return subscript(ip, target, evalExpr(ip, key, scope));
}

/** A slice as a 3-tuple object (start, stop, step), each None when left out. */
function sliceOf(ip: Interp, node: Node, scope: Scope): Value {
  const parts: Value[] = [NONE, NONE, NONE];
  let slot = 0;
  for (const c of node.children) {
    if (!c) continue;
    if (c.type === ':') slot++;
    else if (c.isNamed && slot < 3) parts[slot] = evalExpr(ip, c, scope);
  }
  return { t: 'obj', kind: 'slice', attrs: new Map([['start', parts[0]], ['stop', parts[1]], ['step', parts[2]]]) };
}

function evalComparison(ip: Interp, node: Node, scope: Scope): Value {
  // Operators sit between the operands as anonymous children ("is", "not", "in", "<", ...).
  const operands: Node[] = [];
  const ops: string[] = [];
  let pending = '';
  for (const c of node.children) {
    if (!c) continue;
    if (c.isNamed) {
      if (operands.length) ops.push(pending.trim());
      operands.push(c);
      pending = '';
    } else pending += ` ${c.type}`;
  }
  let left = evalExpr(ip, operands[0], scope);
  let result: Value = bool(true);
  for (let i = 1; i < operands.length; i++) {
    const right = evalExpr(ip, operands[i], scope);
    // `x in xs` / `xs == ys` scan the sequences.
    ip.spendOn(left, right);
    result = compareOp(ops[i - 1], left, right);
    if (truthy(result) !== true) return result;
    left = right;
  }
  return result;
}

/** Evaluate the arguments of a call, expanding `*xs` and `**kw`. */
function evalArgs(ip: Interp, call: Node, scope: Scope): Args {
  const args: Args = { pos: [], kw: new Map(), posNodes: [], kwNodes: new Map(), node: call, issues: [] };
  const argNode = field(call, 'arguments');
  if (!argNode) return args;
  if (argNode.type === 'generator_expression') {
    args.pos.push(evalExpr(ip, argNode, scope));
    args.posNodes.push(argNode);
    return args;
  }
  for (const a of namedKids(argNode)) {
    if (a.type === 'keyword_argument') {
      const name = field(a, 'name')?.text ?? '';
      args.kw.set(name, evalExpr(ip, field(a, 'value') as Node, scope));
      args.kwNodes.set(name, a);
    } else if (a.type === 'list_splat') {
      const inner = evalExpr(ip, namedKids(a)[0] ?? a, scope);
      const items = iterate(inner);
      if (items) {
        for (const it of items) {
          args.pos.push(it);
          args.posNodes.push(null);
        }
        if (inner.t === 'list' && inner.issues.length) {
          ip.carryIssues(inner.issues);
          args.issues.push(...inner.issues);
        }
      } else {
        args.pos.push(unknown(inner.t === 'unknown' ? inner.symbol : null));
        args.posNodes.push(a);
      }
    } else if (a.type === 'dictionary_splat') {
      const inner = evalExpr(ip, namedKids(a)[0] ?? a, scope);
      if (inner.t === 'dict') for (const [k, v] of inner.entries) args.kw.set(k, v);
    } else {
      const v = evalExpr(ip, a, scope);
      if (v.t === 'list' && v.issues.length) args.issues.push(...v.issues);
      args.pos.push(v);
      args.posNodes.push(a);
    }
  }
  return args;
}

function evalCall(ip: Interp, node: Node, scope: Scope): Value {
  const fnNode = field(node, 'function') as Node;
  const callee = evalExpr(ip, fnNode, scope);
  const args = evalArgs(ip, node, scope);
  return ip.callValue(callee, args, fnNode.text);
}

