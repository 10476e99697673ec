import type { Node } from 'jsonc-parser';
import type { SourceRange } from '../../ir';

/**
 * Maps string offsets (what jsonc-parser reports) to the 0-based line / column positions the IR uses.
 * Columns are UTF-16 code units, which is what both JavaScript string offsets and VS Code positions count.
 */
export interface LineIndex {
  /** 0-based line and column of a string offset (clamped to the text). */
  positionAt(offset: number): { line: number; column: number };
  /** The range covering `length` characters from `offset`. */
  rangeAt(offset: number, length: number): SourceRange;
  /** The range of a parse-tree node (the whole value, braces and quotes included). */
  rangeOf(node: Node): SourceRange;
}

/**
 * Build the offset -> line/column index for a text in one pass. Line breaks are \n, \r\n and a lone \r, the
 * same set VS Code's TextDocument recognises, so ranges land on the lines the editor shows.
 */
export function createLineIndex(text: string): LineIndex {
  const lineStarts: number[] = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 /* \n */) {
      lineStarts.push(i + 1);
    } else if (c === 13 /* \r */) {
      if (text.charCodeAt(i + 1) === 10) i++;
      lineStarts.push(i + 1);
    }
  }

  const positionAt = (offset: number): { line: number; column: number } => {
    const clamped = Math.max(0, Math.min(offset, text.length));
    // Binary search for the last line start <= offset: files of 10 MB have ~300k lines when pretty-printed.
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid] <= clamped) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: clamped - lineStarts[lo] };
  };

  const rangeAt = (offset: number, length: number): SourceRange => {
    const start = positionAt(offset);
    const end = positionAt(offset + Math.max(0, length));
    return { startLine: start.line, startColumn: start.column, endLine: end.line, endColumn: end.column };
  };

  return {
    positionAt,
    rangeAt,
    rangeOf: (node: Node) => rangeAt(node.offset, node.length),
  };
}
