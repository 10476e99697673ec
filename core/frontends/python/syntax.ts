import type { Node, Tree } from 'web-tree-sitter';
import type { SourceRange } from '../../ir';

/** 0-based range of a tree-sitter node (columns are UTF-16 code units, as VS Code counts them). */
export function rangeOf(node: Node): SourceRange {
  return {
    startLine: node.startPosition.row,
    startColumn: node.startPosition.column,
    endLine: node.endPosition.row,
    endColumn: node.endPosition.column,
  };
}

/**
 * Per-tree memo of child lists and field lookups, keyed by node id. Every web-tree-sitter accessor crosses into
 * WebAssembly and builds fresh Node objects; loop bodies and methods are re-evaluated many times, so the
 * evaluator asks for the same children over and over. Weakly keyed by the tree: it goes when the tree goes.
 */
const memo = new WeakMap<Tree, Map<number, { kids?: Node[]; fields?: Map<string, Node | null> }>>();

function entry(node: Node): { kids?: Node[]; fields?: Map<string, Node | null> } {
  let perTree = memo.get(node.tree);
  if (!perTree) {
    perTree = new Map();
    memo.set(node.tree, perTree);
  }
  let e = perTree.get(node.id);
  if (!e) {
    e = {};
    perTree.set(node.id, e);
  }
  return e;
}

/** Named children (comments left out) without the nulls web-tree-sitter's typings allow. */
export function namedKids(node: Node): Node[] {
  const e = entry(node);
  if (!e.kids) {
    e.kids = [];
    for (const c of node.namedChildren) if (c && c.type !== 'comment') e.kids.push(c);
  }
  return e.kids;
}

/** The first child with the given field name, or null. */
export function field(node: Node, name: string): Node | null {
  const e = entry(node);
  e.fields ??= new Map();
  let v = e.fields.get(name);
  if (v === undefined) {
    v = node.childForFieldName(name);
    e.fields.set(name, v);
  }
  return v;
}

/**
 * The first syntax problem in document order: an ERROR node (unexpected text) or a MISSING node (a token the
 * parser had to invent). Only subtrees that contain an error are walked, so a clean file costs one check.
 */
export function firstSyntaxError(tree: Tree): { message: string; range: SourceRange } | null {
  const root = tree.rootNode;
  if (!root.hasError) return null;
  const found = findError(root, 0);
  if (!found) return { message: 'Python syntax error', range: rangeOf(root) };
  const line = found.startPosition.row + 1;
  if (found.isMissing) {
    return { message: `Python syntax error at line ${line}: missing "${found.type}"`, range: rangeOf(found) };
  }
  const snippet = found.text.split('\n')[0].trim().slice(0, 40);
  const what = snippet ? `unexpected "${snippet}"` : 'unexpected input';
  return { message: `Python syntax error at line ${line}: ${what}`, range: rangeOf(found) };
}

function findError(node: Node, depth: number): Node | null {
  if (node.isError || node.isMissing) return node;
  // Deeply nested input is walked only so far; the root's hasError already told us something is wrong.
  if (depth > 400) return null;
  for (const child of node.children) {
    if (child && (child.hasError || child.isMissing || child.isError)) {
      const hit = findError(child, depth + 1);
      if (hit) return hit;
    }
  }
  return null;
}

/** Leading whitespace of the line a node starts on. */
export function indentOf(lines: readonly string[], node: Node): string {
  const line = lines[node.startPosition.row] ?? '';
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

/** True when any descendant of `node` satisfies `pred` (iterative, so hostile nesting cannot blow the stack). */
export function containsNode(node: Node, pred: (n: Node) => boolean, limit = 20000): boolean {
  const stack: Node[] = [node];
  let seen = 0;
  while (stack.length) {
    const n = stack.pop() as Node;
    if (pred(n)) return true;
    if (++seen > limit) return false;
    for (const c of n.namedChildren) if (c) stack.push(c);
  }
  return false;
}

/** Text of the callee of a call node ("nn.Linear", "self.fc1", "F.relu"). */
export function calleeText(call: Node): string {
  return field(call, 'function')?.text ?? '';
}
