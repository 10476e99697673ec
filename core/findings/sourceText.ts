import type { SourceRange } from '../ir';

/**
 * Line-indexed view of a file's text, for building edits that keep its formatting. Line breaks are \n, \r\n and
 * a lone \r, the set VS Code's TextDocument recognises, so a line number here is a line the editor shows.
 */
export class SourceText {
  private readonly starts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) this.starts.push(i + 1);
      else if (c === 13 && text.charCodeAt(i + 1) !== 10) this.starts.push(i + 1);
    }
  }

  get lineCount(): number {
    return this.starts.length;
  }

  offsetAt(line: number, column: number): number {
    if (line >= this.starts.length) return this.text.length;
    return Math.min(this.starts[Math.max(0, line)] + column, this.text.length);
  }

  positionAt(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, column: offset - this.starts[lo] };
  }

  lineText(line: number): string {
    if (line < 0 || line >= this.starts.length) return '';
    const end = line + 1 < this.starts.length ? this.starts[line + 1] - 1 : this.text.length;
    return this.text.slice(this.starts[line], end).replace(/\r$/, '');
  }

  indentOf(line: number): string {
    return /^[ \t]*/.exec(this.lineText(line))?.[0] ?? '';
  }

  slice(range: SourceRange): string {
    return this.text.slice(this.offsetAt(range.startLine, range.startColumn), this.offsetAt(range.endLine, range.endColumn));
  }

  rangeOf(start: number, end: number): SourceRange {
    const a = this.positionAt(start);
    const b = this.positionAt(end);
    return { startLine: a.line, startColumn: a.column, endLine: b.line, endColumn: b.column };
  }

  /** The line break the file uses. */
  get eol(): string {
    return this.text.includes('\r\n') ? '\r\n' : '\n';
  }
}

/**
 * Offset of the parenthesis closing the one at `open`, skipping Python/JSON string literals; -1 if unbalanced.
 */
export function matchingParen(text: string, open: number): number {
  const pairs: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
  const stack: string[] = [];
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'") {
      const quote = c;
      i++;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === '\\') i++;
        i++;
      }
      continue;
    }
    if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (pairs[c]) stack.push(pairs[c]);
    else if (c === ')' || c === ']' || c === '}') {
      if (stack.pop() !== c) return -1;
      if (!stack.length) return i;
    }
  }
  return -1;
}

export function pointRange(line: number, column: number): SourceRange {
  return { startLine: line, startColumn: column, endLine: line, endColumn: column };
}

/** Compact number for messages: 0.333, 1.2e-5, 42. */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e4 || a < 1e-3) return x.toExponential(1);
  return String(Number(x.toPrecision(digits)));
}

export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
