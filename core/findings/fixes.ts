import type { Layer, Model, SourceFormat } from '../ir';
import { TRUNCATED_NORMAL_STD } from '../initializers';
import type { TextEdit } from './types';
import { SourceText, matchingParen, pointRange } from './sourceText';

/** What an initializer suggestion asks for, independent of framework. */
export interface InitTarget {
  /** sigma_w^2 = fan_in * Var(w) to realise. */
  sigmaW2: number;
  /** The activation that follows, to choose the idiomatic PyTorch `nonlinearity` / Keras name. */
  activation: string | null;
  /** Leaky ReLU slope, when relevant. */
  slope?: number;
}

const near = (a: number, b: number) => Math.abs(a - b) <= 0.02 * b;

/** Keras / tfjs name for a variance-scaling init with this sigma_w^2 (fan_in), or null if there is none. */
function kerasNamed(t: InitTarget): string | null {
  if (near(t.sigmaW2, 1)) return 'lecun_normal';
  if (near(t.sigmaW2, 2)) return 'he_normal';
  return null;
}

/** Human name of the suggestion, for titles: "lecun_normal", "he_normal", "normal(std=sqrt(1.76/fan_in))". */
export function suggestionName(t: InitTarget): string {
  return kerasNamed(t) ?? `variance ${round4(t.sigmaW2)}/fan_in`;
}

function round4(x: number): number {
  return Number(x.toPrecision(4));
}

/** PyTorch statement(s) initialising `<target>.weight` to the suggestion (untruncated, as nn.init does). */
export function pytorchInitCall(initModule: string, weightExpr: string, t: InitTarget, fanIn: number | null): string {
  if (t.activation === 'leaky_relu' && t.slope !== undefined && near(t.sigmaW2, 2 / (1 + t.slope * t.slope))) {
    return `${initModule}.kaiming_normal_(${weightExpr}, a=${t.slope}, mode='fan_in', nonlinearity='leaky_relu')`;
  }
  if (near(t.sigmaW2, 1)) return `${initModule}.kaiming_normal_(${weightExpr}, mode='fan_in', nonlinearity='linear')`;
  if (near(t.sigmaW2, 2)) return `${initModule}.kaiming_normal_(${weightExpr}, mode='fan_in', nonlinearity='relu')`;
  // Any other critical variance: kaiming with a linear gain realises 1/fan_in; scale its std by sqrt(sigma_w^2).
  const std = fanIn !== null && fanIn > 0 ? `${round4(Math.sqrt(t.sigmaW2 / fanIn))}` : `(${round4(t.sigmaW2)} / ${weightExpr}.shape[1]) ** 0.5`;
  return `${initModule}.normal_(${weightExpr}, mean=0.0, std=${std})`;
}

/** Keras Python initializer argument value. */
export function kerasInitValue(t: InitTarget): string {
  const named = kerasNamed(t);
  if (named) return `'${named}'`;
  return `keras.initializers.VarianceScaling(scale=${round4(t.sigmaW2)}, mode='fan_in', distribution='truncated_normal')`;
}

/**
 * JSON initializer object. tfjs's truncated normal misses the 1/0.8796 correction (reference.md), so a tfjs file
 * gets a VarianceScaling whose scale compensates; Keras files get the named class.
 */
export function jsonInitValue(t: InitTarget, format: SourceFormat, keras3: boolean): string {
  if (format === 'tfjs-json') {
    const scale = round4(t.sigmaW2 / (TRUNCATED_NORMAL_STD * TRUNCATED_NORMAL_STD));
    return `{"class_name": "VarianceScaling", "config": {"scale": ${scale}, "mode": "fan_in", "distribution": "truncated_normal", "seed": null}}`;
  }
  const named = kerasNamed(t);
  const cls = named === 'lecun_normal' ? 'LecunNormal' : named === 'he_normal' ? 'HeNormal' : null;
  const module = keras3 ? '"module": "keras.initializers", ' : '';
  const registered = keras3 ? ', "registered_name": null' : '';
  if (cls) return `{${module}"class_name": "${cls}", "config": {"seed": null}${registered}}`;
  return `{${module}"class_name": "VarianceScaling", "config": {"scale": ${round4(t.sigmaW2)}, "mode": "fan_in", "distribution": "truncated_normal", "seed": null}${registered}}`;
}

/** Edits that give one PyTorch layer the suggested init, or null when the file gives no place to put it. */
function pytorchInitEdits(src: SourceText, model: Model, layer: Layer, t: InitTarget): TextEdit[] | null {
  const anchor = model.initAnchor;
  const fanIn = layer.kind === 'dense' ? layer.in.value : null;
  // An explicit init call already targets this layer: rewrite it, keeping its first argument.
  if (layer.init?.explicit && layer.init.range) {
    const call = src.slice(layer.init.range);
    const open = call.indexOf('(');
    if (open > 0) {
      const close = matchingParen(call, open);
      const args = call.slice(open + 1, close > 0 ? close : call.length);
      const first = splitTopLevel(args)[0]?.trim();
      const callee = call.slice(0, open);
      const initModule = callee.includes('.') ? callee.slice(0, callee.lastIndexOf('.')) : (anchor?.initModule ?? 'nn.init');
      if (first) return [{ range: layer.init.range, newText: pytorchInitCall(initModule, first, t, fanIn) }];
    }
  }
  if (!anchor) return null;
  const eol = src.eol;
  const at = pointRange(anchor.insertAfterLine + 1, 0);
  if (layer.initTarget) {
    return [{ range: at, newText: `${anchor.indent}${pytorchInitCall(anchor.initModule, `${layer.initTarget}.weight`, t, fanIn)}${eol}` }];
  }
  const cls = layer.sourceType.split('.').pop() ?? 'Linear';
  return [
    {
      range: at,
      newText:
        `${anchor.indent}for m in ${anchor.moduleExpr}.modules():${eol}` +
        `${anchor.indent}    if isinstance(m, ${anchor.nnModule}.${cls}):${eol}` +
        `${anchor.indent}        ${pytorchInitCall(anchor.initModule, 'm.weight', t, null)}${eol}`,
    },
  ];
}

/** Split a Python/JSON argument list at top-level commas. */
export function splitTopLevel(args: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let quote: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const c = args[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) depth--;
    else if (c === ',' && depth === 0) {
      parts.push(args.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(args.slice(start));
  return parts;
}

/** Keras Python: replace `kernel_initializer=...` or add it to the layer constructor call. */
function kerasInitEdits(src: SourceText, layer: Layer, t: InitTarget): TextEdit[] | null {
  const value = kerasInitValue(t);
  if (layer.init?.explicit && layer.init.range) {
    const old = src.slice(layer.init.range);
    const newText = /^\s*kernel_initializer\s*=/.test(old) ? `kernel_initializer=${value}` : value;
    return [{ range: layer.init.range, newText }];
  }
  return addKeywordArgument(src, layer, `kernel_initializer=${value}`);
}

/** Insert `kw` as the last argument of the constructor call at the start of the layer's range. */
export function addKeywordArgument(src: SourceText, layer: Layer, kw: string): TextEdit[] | null {
  const start = src.offsetAt(layer.range.startLine, layer.range.startColumn);
  const end = src.offsetAt(layer.range.endLine, layer.range.endColumn);
  const open = src.text.indexOf('(', start);
  if (open < 0 || open >= end) return null;
  const close = matchingParen(src.text, open);
  if (close < 0) return null;
  const inside = src.text.slice(open + 1, close);
  let before = close;
  while (before > open + 1 && /\s/.test(src.text[before - 1])) before--;
  const pos = src.positionAt(before);
  if (!inside.trim()) return [{ range: pointRange(pos.line, pos.column), newText: kw }];
  const trailingComma = src.text[before - 1] === ',';
  const multiline = inside.includes('\n');
  if (multiline) {
    // One argument per line: put ours on its own line with the previous argument's indentation.
    const indent = src.indentOf(pos.line);
    return [{ range: pointRange(pos.line, pos.column), newText: `${trailingComma ? '' : ','}${src.eol}${indent}${kw}${trailingComma ? ',' : ''}` }];
  }
  return [{ range: pointRange(pos.line, pos.column), newText: `${trailingComma ? ' ' : ', '}${kw}` }];
}

/** JSON topology: replace the kernel_initializer value object. */
function jsonInitEdits(src: SourceText, format: SourceFormat, layer: Layer, t: InitTarget): TextEdit[] | null {
  if (!layer.init?.range) return null;
  const keras3 = /"module"\s*:\s*"keras/.test(src.text);
  return [{ range: layer.init.range, newText: jsonInitValue(t, format, keras3) }];
}

/** Edits that give `layer` the suggested initializer in the file's own idiom; null when not possible. */
export function initEdits(src: SourceText, format: SourceFormat, model: Model, layer: Layer, t: InitTarget): TextEdit[] | null {
  switch (format) {
    case 'pytorch':
      return pytorchInitEdits(src, model, layer, t);
    case 'keras':
      return kerasInitEdits(src, layer, t);
    case 'keras-json':
    case 'tfjs-json':
      return jsonInitEdits(src, format, layer, t);
    default:
      return null;
  }
}

/** Rename the layer class `from` to `to` inside the layer's range (Dropout -> AlphaDropout). */
export function renameLayerClass(src: SourceText, layer: Layer, from: string, to: string): TextEdit[] | null {
  const start = src.offsetAt(layer.range.startLine, layer.range.startColumn);
  const end = src.offsetAt(layer.range.endLine, layer.range.endColumn);
  const re = new RegExp(`(^|[^A-Za-z0-9_])${from}(?![A-Za-z0-9_])`, 'g');
  const m = re.exec(src.text.slice(start, end));
  if (!m) return null;
  const at = start + m.index + m[1].length;
  return [{ range: src.rangeOf(at, at + from.length), newText: to }];
}

/**
 * Merge edits from several fixes into one consistent list: identical edits once, inserts at the same point
 * concatenated in order, overlapping replacements dropped (first wins).
 */
export function mergeEdits(src: SourceText, edits: TextEdit[]): TextEdit[] {
  // Linear-logarithmic: a generated 10,000-layer model yields thousands of edits, and the pairwise scans this
  // replaced took seconds. Accepted replacements never overlap, so sorted by start they are sorted by end too,
  // and one binary search finds the only candidate for an overlap.
  const seen = new Set<string>();
  const accepted: { start: number; end: number; newText: string }[] = [];
  const inserts = new Map<number, { entry: { start: number; end: number; newText: string }; pieces: Set<string> }>();
  for (const e of edits) {
    const key = JSON.stringify(e);
    if (seen.has(key)) continue;
    seen.add(key);
    const start = src.offsetAt(e.range.startLine, e.range.startColumn);
    const end = src.offsetAt(e.range.endLine, e.range.endColumn);
    const sameInsert = start === end ? inserts.get(start) : undefined;
    if (sameInsert) {
      if (!sameInsert.pieces.has(e.newText)) {
        sameInsert.pieces.add(e.newText);
        sameInsert.entry.newText += e.newText;
      }
      continue;
    }
    // First accepted edit ending after `start`: the only one that can overlap [start, end).
    let lo = 0;
    let hi = accepted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (accepted[mid].end > start) hi = mid;
      else lo = mid + 1;
    }
    if (lo < accepted.length && accepted[lo].start < end && start < accepted[lo].end) continue;
    const entry = { start, end, newText: e.newText };
    // Insert keeping (start, end) order; equal starts put the zero-width insert first, as the sort below did.
    let at = lo;
    while (at < accepted.length && (accepted[at].start < start || (accepted[at].start === start && accepted[at].end <= end))) at++;
    accepted.splice(at, 0, entry);
    if (start === end) inserts.set(start, { entry, pieces: new Set([e.newText]) });
  }
  return accepted.map((o) => ({ range: src.rangeOf(o.start, o.end), newText: o.newText }));
}
