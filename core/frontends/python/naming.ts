import type { Node } from 'web-tree-sitter';
import type { InitAnchor } from '../../ir';
import type { Candidate, Interp } from './interpreter';
import type { LayerNaming } from './layerShapes';
import { childModules } from './moduleValues';
import { field, indentOf, namedKids } from './syntax';
import type { LayerSpec, Value } from './values';

/**
 * PyTorch module names (`named_modules()` style: "fc1", "net.0", "blocks.2.fc") and, where the model can be
 * addressed after construction, the Python expression a quick fix uses ("self.net[0]", "model[3]").
 */
export function moduleNaming(c: Candidate): Map<LayerSpec, LayerNaming> {
  const out = new Map<LayerSpec, LayerNaming>();
  const rootExpr = c.value.t === 'inst' ? 'self' : c.expr;
  const seen = new Set<Value>();
  const walk = (v: Value, name: string, expr: string | null, depth: number): void => {
    if (seen.has(v) || depth > 64) return;
    seen.add(v);
    if (v.t === 'mod' && v.mk === 'leaf') {
      if (!out.has(v.spec)) out.set(v.spec, expr ? { name, initTarget: expr } : { name });
      return;
    }
    for (const child of childModules(v)) {
      const childName = name ? `${name}.${child.name}` : child.name;
      let childExpr: string | null = null;
      if (expr !== null) {
        if (v.t === 'inst') childExpr = /^[A-Za-z_]\w*$/.test(child.name) ? `${expr}.${child.name}` : /^\d+$/.test(child.name) ? `${expr}[${child.name}]` : null;
        else if (v.t === 'mod' && v.mk === 'dict') childExpr = `${expr}[${JSON.stringify(child.name)}]`;
        else childExpr = /^\d+$/.test(child.name) ? `${expr}[${child.name}]` : `${expr}.${child.name}`;
      }
      walk(child.value, childName, childExpr, depth + 1);
    }
  };
  walk(c.value, '', rootExpr, 0);
  return out;
}

/** How the file spells torch.nn and torch.nn.init, from its imports (for inserted init code). */
function torchSpellings(ip: Interp): { nn: string; init: string } {
  let nn: string | null = null;
  let init: string | null = null;
  let torch: string | null = null;
  for (const [name, v] of ip.globals.vars) {
    if (v.t !== 'ref') continue;
    if (v.path === 'torch.nn.init') init ??= name;
    if (v.path === 'torch.nn') nn ??= name;
    if (v.path === 'torch') torch ??= name;
  }
  const nnName = nn ?? (torch ? `${torch}.nn` : 'nn');
  return { nn: nnName, init: init ?? `${nnName}.init` };
}

/**
 * Where init statements for a whole PyTorch model can be inserted: after the last statement of `__init__` for
 * class models, after the statement that assigns a module-level Sequential otherwise. Null when neither exists.
 */
export function initAnchor(ip: Interp, c: Candidate, layerNodes: Node[]): InitAnchor | null {
  const { nn, init } = torchSpellings(ip);
  if (c.value.t === 'inst') {
    const ctor = ip.findClassAttr(c.value.cls, '__init__');
    const body = ctor?.value.t === 'func' ? field(ctor.value.node, 'body') : null;
    const stmts = body ? namedKids(body) : [];
    if (!stmts.length) return null;
    const last = stmts[stmts.length - 1];
    return { insertAfterLine: last.endPosition.row, indent: indentOf(ip.lines, stmts[0]), moduleExpr: 'self', initModule: init, nnModule: nn };
  }
  if (!c.stmt || !c.expr) return null;
  // `model = nn.Sequential()` may be filled by later statements (add_module in a loop): insert after the last
  // statement of the same block that builds one of its layers.
  let end = c.stmt.endPosition.row;
  for (let s = c.stmt.nextNamedSibling; s; s = s.nextNamedSibling) {
    if (layerNodes.some((n) => n.startIndex >= s!.startIndex && n.endIndex <= s!.endIndex)) end = s.endPosition.row;
  }
  return { insertAfterLine: end, indent: indentOf(ip.lines, c.stmt), moduleExpr: c.expr, initModule: init, nnModule: nn };
}
