import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';
import { isWidth } from '../../shapes';

/**
 * Parsing and typed read access to the jsonc-parser tree. The front end reads values straight off the tree (not
 * off `JSON.parse` output) so every value it uses still has its offset for ranges and quick fixes.
 */

/** Deepest bracket nesting accepted. jsonc-parser recurses per level and overflows the stack near 20,000. */
export const MAX_JSON_DEPTH = 512;

/** Result of parsing: the tree, or the first syntax error with its offset. */
export type ParsedJson =
  | { ok: true; root: Node }
  | { ok: false; message: string; offset: number; length: number };

const ERROR_TEXT: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'end of file expected (extra text after the JSON value)',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

/** Offset of the first bracket deeper than `limit`, or -1. Strings are skipped so brackets in names do not count. */
function firstTooDeep(text: string, limit: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return i;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
    }
  }
  return -1;
}

/**
 * Python's json.dumps (which Keras's to_json uses) writes float('inf') / float('nan') as bare Infinity / NaN, which
 * strict JSON rejects. Outside strings they are blanked to an empty array of the same length (`[ ]` for NaN),
 * so every offset and range stays exact, and a non-number where a number was expected reads as "not given".
 */
function blankNonFiniteLiterals(text: string, literals: Map<number, number>): string {
  if (!/Infinity|NaN/.test(text)) return text;
  const NON_FINITE = /-?Infinity|NaN/y; // sticky: matches only at lastIndex, so each test is O(1)
  let out = '';
  let last = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
    } else if (c === 45 /* - */ || c === 73 /* I */ || c === 78 /* N */) {
      NON_FINITE.lastIndex = i;
      const m = NON_FINITE.exec(text);
      if (m) {
        // `[ ]`, `[      ]`: one array token as long as the literal, so a node's range covers the whole
        // literal (a quick fix replacing `"kernel_initializer": NaN` must not leave a stray "N" behind).
        out += text.slice(last, i) + '[' + ' '.repeat(m[0].length - 2) + ']';
        literals.set(i, m[0] === 'NaN' ? NaN : m[0].startsWith('-') ? -Infinity : Infinity);
        i += m[0].length - 1;
        last = i + 1;
      }
    }
  }
  return out + text.slice(last);
}

/** Parse strict JSON (no comments, no trailing commas: what Keras and tfjs write). Never throws. */
export function parseJsonTree(source: string): ParsedJson {
  const literals = new Map<number, number>();
  const text = blankNonFiniteLiterals(source, literals);
  const deep = firstTooDeep(text, MAX_JSON_DEPTH);
  if (deep >= 0) {
    return { ok: false, message: `nesting deeper than ${MAX_JSON_DEPTH} levels`, offset: deep, length: 1 };
  }
  const errors: ParseError[] = [];
  let root: Node | undefined;
  try {
    root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  } catch (err) {
    return { ok: false, message: `cannot be parsed (${String(err)})`, offset: 0, length: 0 };
  }
  if (errors.length > 0 || root === undefined) {
    const first = errors[0] ?? { error: 4, offset: 0, length: 0 };
    let message = ERROR_TEXT[printParseErrorCode(first.error)] ?? printParseErrorCode(first.error);
    if (first.offset >= text.trimEnd().length) message += ' (the file ends early: is it truncated?)';
    return { ok: false, message, offset: first.offset, length: first.length };
  }
  if (literals.size) restoreNonFinite(root, literals);
  return { ok: true, root };
}

/**
 * Turn the stand-in arrays back into number nodes holding NaN / Infinity, so messages say "units is NaN" rather
 * than "units is an array"; numberOf() still reads them as not given (it accepts finite numbers only).
 */
function restoreNonFinite(root: Node, literals: Map<number, number>): void {
  const stack = [root];
  while (stack.length) {
    const n = stack.pop() as Node;
    if (n.type === 'array' && !n.children?.length && literals.has(n.offset)) {
      // jsonc-parser's nodes are plain objects with readonly typings; this is the one place that edits one.
      const editable = n as { type: string; value?: unknown; children?: Node[] };
      editable.type = 'number';
      editable.value = literals.get(n.offset);
      editable.children = undefined;
    } else if (n.children) {
      for (const c of n.children) stack.push(c);
    }
  }
}

/** The value node of property `key` of an object node, or undefined. */
export function prop(node: Node | undefined, key: string): Node | undefined {
  if (!node || node.type !== 'object' || !node.children) return undefined;
  for (const p of node.children) {
    const k = p.children?.[0];
    if (k && k.value === key) return p.children?.[1];
  }
  return undefined;
}

/** True when the node is a JSON object. */
export function isObject(node: Node | undefined): node is Node {
  return node !== undefined && node.type === 'object';
}

/** True when the property is absent or JSON null (Keras writes null for "not set"). */
export function isNullish(node: Node | undefined): boolean {
  return node === undefined || node.type === 'null';
}

/** A string value, or null for any other type. */
export function stringOf(node: Node | undefined): string | null {
  return node && node.type === 'string' ? (node.value as string) : null;
}

/** A number value, or null for any other type. */
export function numberOf(node: Node | undefined): number | null {
  return node && node.type === 'number' && Number.isFinite(node.value) ? (node.value as number) : null;
}

/** A boolean value, or null for any other type. */
export function boolOf(node: Node | undefined): boolean | null {
  return node && node.type === 'boolean' ? (node.value as boolean) : null;
}

/** The items of an array node, or null when it is not an array. */
export function itemsOf(node: Node | undefined): Node[] | null {
  return node && node.type === 'array' ? (node.children ?? []) : null;
}

/** A shape such as `[null, 28, 28, 1]`: numbers and nulls; null when any item is something else. */
export function shapeOf(node: Node | undefined): (number | null)[] | null {
  const items = itemsOf(node);
  if (!items) return null;
  const out: (number | null)[] = [];
  for (const item of items) {
    if (item.type === 'null') out.push(null);
    else if (item.type === 'number' && isWidth(item.value)) out.push(item.value);
    else return null;
  }
  return out;
}

/**
 * An integer or a tuple of integers as Keras writes `kernel_size`, `strides`, `pool_size`: `3` or `[3, 3]`.
 * Returns `dims` entries (a scalar is repeated), or null when it is not that.
 */
export function intTupleOf(node: Node | undefined, dims: number): number[] | null {
  const n = numberOf(node);
  if (n !== null) return Number.isInteger(n) && n > 0 ? new Array<number>(dims).fill(n) : null;
  const items = itemsOf(node);
  if (!items || items.length === 0) return null;
  const values = items.map((i) => numberOf(i));
  if (values.some((v) => v === null || !Number.isInteger(v) || v <= 0)) return null;
  const ints = values as number[];
  if (ints.length === dims) return ints;
  return ints.length === 1 ? new Array<number>(dims).fill(ints[0]) : null;
}

/** A short printable form of a node's value for messages ("abc", 3, [..]). */
export function describeValue(node: Node | undefined): string {
  if (!node) return 'missing';
  switch (node.type) {
    case 'string':
      return JSON.stringify(node.value);
    case 'number':
      // 1e400 parses to Infinity; say what it is rather than print a word the file does not contain.
      return Number.isFinite(node.value) ? String(node.value) : Number.isNaN(node.value) ? 'NaN' : 'a number beyond the floating-point range';
    case 'boolean':
      return String(node.value);
    case 'null':
      return 'null';
    default:
      return node.type === 'array' ? 'an array' : 'an object';
  }
}

/** The first present property among `keys` (current name first, then Keras 1 / tfjs spellings). */
export function propAny(node: Node | undefined, ...keys: string[]): Node | undefined {
  for (const k of keys) {
    const v = prop(node, k);
    if (v !== undefined) return v;
  }
  return undefined;
}

/**
 * A positive integer value (units, filters), else null. Capped at 2^53 (core/shapes.ts): a width of 1e300 only
 * makes products of widths overflow, and no layer has it.
 */
export function positiveIntOf(node: Node | undefined): number | null {
  const n = numberOf(node);
  return n !== null && isWidth(n) ? n : null;
}
