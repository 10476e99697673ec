import type { Node } from 'web-tree-sitter';
import { instantiate } from './classes';
import { BudgetExceeded } from './interpreter';
import type { Args, Interp } from './interpreter';
import { calleeText, containsNode, field, namedKids } from './syntax';
import type { ClassInfo } from './values';

function emptyArgs(node: Node): Args {
  return { pos: [], kw: new Map(), posNodes: [], kwNodes: new Map(), node, issues: [] };
}

/** Names of framework classes the file uses somewhere other than their own definition or a base-class list. */
function usedClassNames(root: Node, classes: ClassInfo[]): Set<string> {
  const names = new Map(classes.filter((c) => c.framework).map((c) => [c.name, c]));
  const used = new Set<string>();
  if (!names.size) return used;
  for (const n of root.descendantsOfType('identifier')) {
    const cls = n ? names.get(n.text) : undefined;
    if (!n || !cls || used.has(cls.name)) continue;
    const inOwnDef = n.startIndex >= cls.node.startIndex && n.endIndex <= cls.node.endIndex;
    if (inOwnDef) continue;
    const parent = n.parent;
    const asBase = parent?.type === 'argument_list' && parent.parent?.type === 'class_definition';
    if (!asBase && parent?.type !== 'type') used.add(cls.name);
  }
  return used;
}

/** A top-level function that builds a model (calls a Sequential, keras Model / Input, or a model class). */
function buildsModel(def: Node, classNames: Set<string>): boolean {
  const body = field(def, 'body');
  return !!body && containsNode(body, (n) => n.type === 'call' && (/(^|\.)(Sequential|Model|Input)$/.test(calleeText(n)) || classNames.has(calleeText(n))));
}

/**
 * Models the module-level code never built: library-style files define a model class or a `build_model()`
 * function without using them. Builder functions are called with their defaults (missing arguments become
 * unknown symbols), then model classes nobody constructs are built with their constructor defaults.
 */
export function discoverUnbuilt(ip: Interp, root: Node): void {
  const classNames = new Set(ip.classes.filter((c) => c.framework).map((c) => c.name));
  for (const stmt of namedKids(root)) {
    const def = stmt.type === 'decorated_definition' ? field(stmt, 'definition') : stmt;
    if (def?.type !== 'function_definition' || ip.calledFunctions.has(def.id) || !buildsModel(def, classNames)) continue;
    const name = field(def, 'name')?.text ?? '';
    const fn = ip.globals.vars.get(name);
    if (fn?.t !== 'func') continue;
    ip.resetBudget();
    try {
      const result = ip.callFunction(fn, emptyArgs(def));
      const c = ip.candidates.find((x) => x.value === result);
      if (c && !c.named) {
        c.named = true;
        if (result.t !== 'inst') c.name = name;
      }
    } catch (err) {
      if (!(err instanceof BudgetExceeded)) throw err;
    }
  }
  const used = usedClassNames(root, ip.classes);
  for (const cls of ip.classes) {
    if (!cls.framework || !cls.modelClass || ip.instantiated.has(cls) || used.has(cls.name)) continue;
    if (cls.node.parent?.type !== 'module' && cls.node.parent?.parent?.type !== 'module') continue;
    ip.resetBudget();
    try {
      instantiate(ip, cls, emptyArgs(cls.node));
    } catch (err) {
      if (!(err instanceof BudgetExceeded)) throw err;
    }
  }
}
