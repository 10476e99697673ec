import type { Node } from 'web-tree-sitter';
import type { Directives } from '../../ir';
import { rangeOf } from './syntax';

const DIRECTIVE = /^#\s*normlens\s*:\s*(.*)$/i;
const PAIR = /([A-Za-z_][\w.]*)\s*=\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)/g;

/**
 * Parse `# normlens: in_dim=784, batch=64` comments. Any `name=number` pairs are kept; later comments override
 * earlier ones. The range is that of the first directive comment.
 */
export function readDirectives(root: Node): Directives {
  const values: Record<string, number> = {};
  let range: Directives['range'] = null;
  for (const comment of root.descendantsOfType('comment')) {
    if (!comment) continue;
    const m = DIRECTIVE.exec(comment.text.trim());
    if (!m) continue;
    range ??= rangeOf(comment);
    for (const pair of m[1].matchAll(PAIR)) values[pair[1]] = Number(pair[2]);
  }
  return { values, range };
}

/** The batch size a directive pins (`batch` or `batch_size`), if any. */
export function directiveBatchSize(d: Directives): number | null {
  const v = d.values.batch_size ?? d.values.batch ?? d.values.batchsize;
  return v !== undefined && v > 0 ? v : null;
}
