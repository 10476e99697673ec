/**
 * Small runtime checks for plain data that crossed a process boundary (the host <-> webview protocol, the run
 * store read back from workspace storage). A check returns null when the value fits and a short reason with the
 * path of the first mismatch otherwise, so a dropped message can be logged with why it was dropped.
 *
 * Hand-written rather than a schema library: the protocol needs a dozen shapes, the checks must run in the
 * extension host and in the webview bundle, and each dependency there is bytes in the view and one more thing to
 * keep pinned. Every check is total: it never throws, whatever it is given (a fuzz test holds it to that).
 */

/** null: the value fits; otherwise why not, starting with the path of the offending field. */
export type Check = (value: unknown, path: string) => string | null;

/** A field that may be absent (or undefined) in an object. */
export interface OptionalField {
  readonly optional: Check;
}

type Shape = Record<string, Check | OptionalField>;

const fail = (path: string, what: string, value: unknown): string => `${path || '(message)'}: expected ${what}, got ${describe(value)}`;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'string') return value.length > 40 ? `string(${value.length})` : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return typeof value;
}

/** A finite number (NaN and +-Infinity travel as strings, see `Wire` in protocol.ts). */
export const finite: Check = (v, p) => (typeof v === 'number' && Number.isFinite(v) ? null : fail(p, 'a finite number', v));

/** A number as it travels: finite, or one of the strings 'NaN', 'Infinity', '-Infinity' (JSON has no such numbers). */
export const wireNumber: Check = (v, p) =>
  (typeof v === 'number' && Number.isFinite(v)) || v === 'NaN' || v === 'Infinity' || v === '-Infinity' ? null : fail(p, 'a number', v);

export function integer(min = 0, max = Number.MAX_SAFE_INTEGER): Check {
  return (v, p) => (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max ? null : fail(p, `an integer in [${min}, ${max}]`, v));
}

export function string(maxLength = 4096, pattern?: RegExp): Check {
  return (v, p) => {
    if (typeof v !== 'string') return fail(p, 'a string', v);
    if (v.length > maxLength) return fail(p, `a string of at most ${maxLength} characters`, v);
    if (pattern && !pattern.test(v)) return fail(p, `a string matching ${pattern}`, v);
    return null;
  };
}

export const boolean: Check = (v, p) => (typeof v === 'boolean' ? null : fail(p, 'a boolean', v));

/** Exactly one of `values`. */
export function oneOf(values: readonly (string | number | boolean | null)[]): Check {
  const set = new Set<unknown>(values);
  return (v, p) => (set.has(v) ? null : fail(p, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v));
}

export function nullable(check: Check): Check {
  return (v, p) => (v === null ? null : check(v, p));
}

export function optional(check: Check): OptionalField {
  return { optional: check };
}

export function array(item: Check, maxLength = 100_000): Check {
  return (v, p) => {
    if (!Array.isArray(v)) return fail(p, 'an array', v);
    if (v.length > maxLength) return fail(p, `at most ${maxLength} items`, v);
    for (let i = 0; i < v.length; i++) {
      const why = item(v[i], `${p}[${i}]`);
      if (why) return why;
    }
    return null;
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * An object with these fields. `strict` (the default) also rejects keys the shape does not name: what the host
 * accepts from the webview is exactly what the protocol says. Data the host produced itself (the model IR, run
 * records) is checked with `strict: false`, so a field added to the IR later does not break the view.
 */
export function object(shape: Shape, { strict = true }: { strict?: boolean } = {}): Check {
  const keys = Object.keys(shape);
  return (v, p) => {
    if (!isPlainObject(v)) return fail(p, 'an object', v);
    for (const key of keys) {
      const field = shape[key];
      const value = Object.prototype.hasOwnProperty.call(v, key) ? v[key] : undefined;
      const at = p ? `${p}.${key}` : key;
      if (typeof field === 'function') {
        if (value === undefined) return `${at}: missing`;
        const why = field(value, at);
        if (why) return why;
      } else if (value !== undefined) {
        const why = field.optional(value, at);
        if (why) return why;
      }
    }
    if (strict) {
      for (const key of Object.keys(v)) if (!Object.prototype.hasOwnProperty.call(shape, key)) return `${p ? `${p}.` : ''}${key}: unexpected field`;
    }
    return null;
  };
}

/** A record with string keys and values of one kind (the IR's directive values). */
export function dictionary(value: Check, maxKeys = 1000): Check {
  return (v, p) => {
    if (!isPlainObject(v)) return fail(p, 'an object', v);
    const keys = Object.keys(v);
    if (keys.length > maxKeys) return fail(p, `at most ${maxKeys} keys`, v);
    for (const k of keys) {
      const why = value(v[k], `${p}.${k}`);
      if (why) return why;
    }
    return null;
  };
}

/** Any of `checks` (the first reason is reported when none fits). */
export function anyOf(...checks: Check[]): Check {
  return (v, p) => {
    let first: string | null = null;
    for (const c of checks) {
      const why = c(v, p);
      if (!why) return null;
      first ??= why;
    }
    return first;
  };
}

/** Anything at all (for fields the receiver does not interpret). */
export const unknownValue: Check = () => null;
