import type { Node } from 'web-tree-sitter';
import { field, namedKids } from './syntax';
import type { Scope, Value } from './values';

/**
 * Canonical form of a library path, so that every spelling of the same class reaches one handler:
 * `tf.keras.layers.Dense`, `tensorflow.keras.layers.Dense`, `keras.layers.core.Dense` -> `keras.layers.Dense`;
 * `keras.models.Sequential` -> `keras.Sequential`; `torch.nn.modules.linear.Linear` -> `torch.nn.Linear`.
 */
export function canonicalPath(path: string): string {
  let hit = canonicalMemo.get(path);
  if (hit === undefined) {
    hit = canonicalise(path);
    if (canonicalMemo.size < 10_000) canonicalMemo.set(path, hit);
  }
  return hit;
}

// A pure function of its argument called for every library call: memoised (bounded).
const canonicalMemo = new Map<string, string>();

function canonicalise(path: string): string {
  let p = path
    .replace(/^tensorflow\.python\.keras(\.|$)/, 'keras$1')
    .replace(/^tensorflow\.keras(\.|$)/, 'keras$1')
    .replace(/^tf_keras(\.|$)/, 'keras$1')
    .replace(/^keras\.(src|api|_tf_keras\.keras)\./, 'keras.');
  p = p
    .replace(/^keras\.models\./, 'keras.')
    .replace(/^keras\.engine\.(training|sequential|functional)\./, 'keras.')
    .replace(/^keras\.engine\.input_layer\./, 'keras.layers.')
    .replace(
      /^keras\.layers\.(core|convolutional|normalization|pooling|advanced_activations|merge|noise|regularization|activation|reshaping|normalization_v2|batch_normalization)\./,
      'keras.layers.',
    )
    .replace(/^torch\.nn\.modules\.[a-z_]+\./, 'torch.nn.');
  return p;
}

function dotted(node: Node | null): string {
  return node ? node.text.replace(/\s+/g, '') : '';
}

/**
 * Bind the names an import statement introduces to library references. Nothing is loaded: a reference is just
 * the qualified name, resolved later by the handlers that know torch / keras / the standard library.
 */
export function bindImport(stmt: Node, scope: Scope): void {
  if (stmt.type === 'import_statement') {
    for (const item of namedKids(stmt)) {
      if (item.type === 'aliased_import') {
        const alias = field(item, 'alias')?.text;
        if (alias) scope.vars.set(alias, ref(dotted(field(item, 'name'))));
      } else if (item.type === 'dotted_name') {
        // `import torch.nn` binds `torch`; attribute access then walks the path.
        const head = item.text.split('.')[0];
        scope.vars.set(head, ref(head));
      }
    }
    return;
  }
  const moduleNode = field(stmt, 'module_name');
  const module = dotted(moduleNode);
  for (const item of namedKids(stmt)) {
    if (item === moduleNode || item.id === moduleNode?.id) continue;
    if (item.type === 'wildcard_import') {
      const w = scope.vars.get('__wildcards__');
      const list = w && w.t === 'list' ? w.items : [];
      list.push(ref(module));
      scope.vars.set('__wildcards__', { t: 'list', items: list, tuple: false, issues: [] });
    } else if (item.type === 'aliased_import') {
      const alias = field(item, 'alias')?.text;
      if (alias) scope.vars.set(alias, ref(`${module}.${dotted(field(item, 'name'))}`));
    } else if (item.type === 'dotted_name') {
      scope.vars.set(item.text.split('.').pop() as string, ref(`${module}.${item.text}`));
    }
  }
}

function ref(path: string): Value {
  return { t: 'ref', path };
}
