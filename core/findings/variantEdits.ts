/**
 * Source edits that turn a model into one of its normalization variants (core/probe/variants.ts), written in the
 * file's own idiom: `nn.BatchNorm1d(width),` after each hidden `nn.Linear` of an `nn.Sequential` or layer list, a
 * `self.fc1_bn` module wrapped around `self.fc1(x)` in a class model's forward, `layers.BatchNormalization()` and
 * `layers.Activation("selu")` in a Keras Sequential, a layer object in a Keras / tfjs JSON Sequential.
 *
 * Only where the edit is certain: a layer built somewhere NormLens cannot insert next to (the functional API, a
 * helper function, a comprehension shared with the output layer), a module the framework lacks (Batch Renorm in
 * PyTorch, weight normalization in Keras), or anything else unclear gives `ok: false` with the reason and a
 * snippet of the variant to copy by hand. Applied edits read back to the variant's layer kinds (unit-tested).
 */
import type { Layer, Model, SourceFormat, SourceRange } from '../ir';
import { TRUNCATED_NORMAL_STD } from '../initializers';
import { groupCount, hiddenWeightLayers, modelVariant, type VariantId } from '../probe/variants';
import { initEdits, mergeEdits, renameLayerClass, splitTopLevel } from './fixes';
import { SourceText, matchingParen, pointRange } from './sourceText';
import type { TextEdit } from './types';

export type VariantEditResult = { ok: true; edits: TextEdit[]; summary: string } | { ok: false; reason: string; snippet: string };

class Unsafe extends Error {}
const unsafe = (why: string): never => {
  throw new Unsafe(why);
};

const NORM_KINDS = ['batchnorm', 'batchrenorm', 'layernorm', 'groupnorm', 'instancenorm'];
const isWeight = (l: Layer) => l.kind === 'dense' || l.kind === 'conv1d' || l.kind === 'conv2d';
const isNorm = (l: Layer) => NORM_KINDS.includes(l.kind);
const OUTPUT_ACTIVATIONS = ['softmax', 'log_softmax', 'linear', 'selu'];

/** Offsets of a range in the text. */
function span(src: SourceText, r: SourceRange): { start: number; end: number } {
  return { start: src.offsetAt(r.startLine, r.startColumn), end: src.offsetAt(r.endLine, r.endColumn) };
}

/** The unmatched bracket enclosing `offset` and the text just before it (the callee, for a call). */
function enclosing(text: string, offset: number): { open: string; at: number; callee: string } | null {
  let depth = 0;
  for (let i = offset - 1; i >= 0; i--) {
    const c = text[i];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '(' || c === '[' || c === '{') {
      if (depth === 0) {
        const callee = /[A-Za-z_][A-Za-z0-9_.]*\s*$/.exec(text.slice(Math.max(0, i - 120), i))?.[0].trim() ?? '';
        return { open: c, at: i, callee };
      }
      depth--;
    }
  }
  return null;
}

/** The positional or keyword argument `index` / `name` of the call starting at `start`, as written. */
function callArgument(text: string, start: number, index: number, name: string): string | null {
  const open = text.indexOf('(', start);
  const close = open < 0 ? -1 : matchingParen(text, open);
  if (close < 0) return null;
  const args = splitTopLevel(text.slice(open + 1, close)).map((a) => a.trim()).filter(Boolean);
  const kw = args.find((a) => new RegExp(`^${name}\\s*=`).test(a));
  if (kw) return kw.replace(/^[^=]+=\s*/, '');
  const positional = args.filter((a) => !/^[A-Za-z_]\w*\s*=(?!=)/.test(a));
  return positional[index] ?? null;
}

/**
 * Where a new element can go next to a layer written as an element of a list or a Sequential call: on its own
 * line after the layer's line (one element per line), else inline after it.
 */
function insertElementAfter(src: SourceText, r: SourceRange, element: string): TextEdit {
  const { end } = span(src, r);
  const lineEnd = src.text.indexOf('\n', end);
  const rest = src.text.slice(end, lineEnd < 0 ? src.text.length : lineEnd).replace(/\r$/, '');
  const before = src.lineText(r.startLine).slice(0, r.startColumn);
  if (/^\s*,\s*(#.*)?$/.test(rest) && !before.trim()) {
    return { range: pointRange(src.positionAt(end).line + 1, 0), newText: `${src.indentOf(r.startLine)}${element},${src.eol}` };
  }
  const at = src.positionAt(end);
  return { range: pointRange(at.line, at.column), newText: `, ${element}` };
}

/** Delete a list element (the layer's range and the comma that follows it, or its whole line). */
function deleteElement(src: SourceText, r: SourceRange): TextEdit {
  const { start, end } = span(src, r);
  const lineStart = src.offsetAt(r.startLine, 0);
  const lineEndIdx = src.text.indexOf('\n', end);
  const lineEnd = lineEndIdx < 0 ? src.text.length : lineEndIdx + 1;
  const before = src.text.slice(lineStart, start);
  const after = src.text.slice(end, lineEnd);
  if (!before.trim() && /^\s*,?\s*(#.*)?\r?\n?$/.test(after)) return { range: src.rangeOf(lineStart, lineEnd), newText: '' };
  const comma = /^\s*,\s*/.exec(src.text.slice(end));
  if (comma) return { range: src.rangeOf(start, end + comma[0].length), newText: '' };
  const prev = /,\s*$/.exec(src.text.slice(Math.max(0, start - 200), start));
  if (prev) return { range: src.rangeOf(start - prev[0].length, end), newText: '' };
  return unsafe('a layer to remove is not a list element');
}

/** The file passes list variable `name` to a Sequential (`nn.Sequential(*layers)`, `keras.Sequential(layers)`). */
function sequentialOf(text: string, name: string): boolean {
  return new RegExp(`Sequential\\(\\s*\\*?${name}\\s*[,)]`).test(text);
}

/** The list opened at `open` is a Sequential's argument, or a variable (`layers = [`, `layers += [`) that becomes one. */
function feedsSequential(text: string, open: number): boolean {
  const before = text.slice(Math.max(0, open - 200), open);
  if (/Sequential\(\s*$/.test(before)) return true;
  const assigned = /(\w+)\s*\+?=\s*$/.exec(before);
  return !!assigned && sequentialOf(text, assigned[1]);
}

/** How a layer is placed in its file: which kind of insertion its neighbours accept. */
type Placement = { kind: 'element' } | { kind: 'statement'; receiver: string; method: string } | { kind: 'attribute'; target: string; use: SourceRange };

function placementOf(src: SourceText, layer: Layer, format: SourceFormat): Placement {
  const { start } = span(src, layer.range);
  const enc = enclosing(src.text, start);
  if (enc && ((enc.open === '[' && feedsSequential(src.text, enc.at)) || /(^|\.)Sequential$/.test(enc.callee))) {
    // A list literal: the layer must be an element of it (its range starts right after `[` or a comma).
    const lead = src.text.slice(enc.at + 1, start);
    const prevToken = /[^\s]\s*$/.exec(lead)?.[0]?.trim();
    // ...and be followed by a comma or the closing bracket: `[nn.Linear(h, h) for _ in range(n)]` is a comprehension.
    const after = src.text.slice(span(src, layer.range).end).replace(/^(\s|#[^\n]*)*/, '');
    if ((!lead.trim() || prevToken === ',') && /^[,\])]/.test(after)) return { kind: 'element' };
  }
  if (enc && enc.open === '(' && /\.(add|append)$/.test(enc.callee)) {
    const close = matchingParen(src.text, enc.at);
    const lineEnd = src.text.indexOf('\n', close);
    const rest = src.text.slice(close + 1, lineEnd < 0 ? src.text.length : lineEnd);
    const dot = enc.callee.lastIndexOf('.');
    const receiver = enc.callee.slice(0, dot);
    // Keras `model.add(...)` builds a Sequential; a PyTorch list only when it ends up in one (not a ModuleList
    // that forward() iterates, applying its own activation to every element).
    const sequential = enc.callee.endsWith('.add') || (/^\w+$/.test(receiver) && sequentialOf(src.text, receiver));
    if (close > 0 && /^\s*(#.*)?\r?$/.test(rest) && sequential) {
      return { kind: 'statement', receiver, method: enc.callee.slice(dot + 1) };
    }
  }
  if (format === 'pytorch' && layer.initTarget && /^self\.\w+$/.test(layer.initTarget) && layer.useRange) {
    const assigned = new RegExp(`${layer.initTarget.replace('.', '\\.')}\\s*=\\s*$`).test(src.text.slice(src.offsetAt(layer.range.startLine, 0), start));
    const use = src.slice(layer.useRange);
    if (assigned && use.startsWith(`${layer.initTarget}(`)) return { kind: 'attribute', target: layer.initTarget, use: layer.useRange };
  }
  return unsafe(`${layer.name} is not written as an element of a Sequential or a layer list`);
}

/** Insert `ctor` after `layer` in the way its placement allows (class models also get the call wrapped in forward). */
function insertAfter(src: SourceText, layer: Layer, ctor: string, format: SourceFormat, suffix: string, taken: Set<string>): TextEdit[] {
  const p = placementOf(src, layer, format);
  if (p.kind === 'element') return [insertElementAfter(src, layer.range, ctor)];
  const indent = src.indentOf(layer.range.startLine);
  const nextLine = src.positionAt(span(src, layer.range).end).line + 1;
  if (p.kind === 'statement') {
    const close = matchingParen(src.text, enclosing(src.text, span(src, layer.range).start)!.at);
    const line = src.positionAt(close).line + 1;
    return [{ range: pointRange(line, 0), newText: `${indent}${p.receiver}.${p.method}(${ctor})${src.eol}` }];
  }
  let name = `${p.target}_${suffix}`;
  for (let k = 2; taken.has(name) || src.text.includes(`${name} `) || src.text.includes(`${name}=`); k++) name = `${p.target}_${suffix}${k}`;
  taken.add(name);
  return [
    { range: pointRange(nextLine, 0), newText: `${indent}${name} = ${ctor}${src.eol}` },
    { range: p.use, newText: `${name}(${src.slice(p.use)})` },
  ];
}

/** Layers whose source text also builds a layer the edit must not touch (a comprehension shared with the output). */
function assertOwnRange(model: Model, targets: Set<number>): void {
  const key = (l: Layer) => `${l.range.startLine}:${l.range.startColumn}`;
  const targetKeys = new Set(model.layers.filter((_, i) => targets.has(i)).map(key));
  for (const [i, l] of model.layers.entries()) {
    if (!targets.has(i) && isWeight(l) && targetKeys.has(key(l))) unsafe(`${l.name} is built by the same code as a hidden layer (a loop or comprehension): an edit there would change it too`);
  }
}

function kerasPrefix(layer: Layer): string {
  const dot = layer.sourceType.lastIndexOf('.');
  return dot >= 0 ? layer.sourceType.slice(0, dot + 1) : '';
}

/** The norm layer constructor in the file's idiom. */
function normCtor(kind: string, format: SourceFormat, model: Model, layer: Layer, src: SourceText): string {
  const channels = layer.out.value as number;
  if (format === 'pytorch') {
    const nn = model.initAnchor?.nnModule ?? 'nn';
    const width = callArgument(src.text, span(src, layer.range).start, 1, layer.kind === 'dense' ? 'out_features' : 'out_channels') ?? String(channels);
    if (kind === 'batchrenorm') return unsafe('PyTorch has no Batch Renormalization module');
    if (kind === 'layernorm') {
      if (layer.kind !== 'dense') unsafe('LayerNorm after a convolution needs the feature-map size (nn.LayerNorm([C, H, W])); NormLens does not write it');
      return `${nn}.LayerNorm(${width})`;
    }
    if (kind === 'groupnorm') return `${nn}.GroupNorm(${groupCount(channels)}, ${width})`;
    return `${nn}.${layer.kind === 'conv2d' ? 'BatchNorm2d' : 'BatchNorm1d'}(${width})`;
  }
  const p = kerasPrefix(layer);
  if (kind === 'layernorm') return `${p}LayerNormalization()`;
  if (kind === 'groupnorm') return `${p}GroupNormalization(groups=${groupCount(channels)})`;
  if (kind === 'batchrenorm') return `${p}BatchNormalization(renorm=True, renorm_clipping={"rmax": 3, "rmin": 1 / 3, "dmax": 5})`;
  return `${p}BatchNormalization()`;
}

/** The string literal an activation is named by (`activation="selu"` or `Activation('selu')`), with its offsets. */
function activationLiteral(src: SourceText, r: SourceRange): { start: number; end: number; quote: string; name: string } | null {
  const { start, end } = span(src, r);
  const m = /(['"])([A-Za-z_]+)\1/.exec(src.text.slice(start, end));
  if (!m) return null;
  return { start: start + m.index, end: start + m.index + m[0].length, quote: m[1], name: m[2] };
}

/** Delete `activation=...` from a Keras constructor call (with the comma before it). */
function dropActivationArgument(src: SourceText, r: SourceRange): TextEdit {
  const { start, end } = span(src, r);
  if (!/^activation\s*=/.test(src.text.slice(start, end))) return unsafe('the activation is not an `activation=` argument');
  const comma = /,\s*$/.exec(src.text.slice(Math.max(0, start - 200), start));
  if (!comma) return unsafe('the activation argument is not preceded by another argument');
  return { range: src.rangeOf(start - comma[0].length, end), newText: '' };
}

/**
 * Keras files that import layer classes by name (`from tensorflow.keras.layers import Dense, Dropout`) need the
 * classes an edit introduces imported as well: append them to that import (or decline when there is none).
 */
function kerasImports(src: SourceText, model: Model, edits: TextEdit[]): TextEdit[] {
  const bare = model.layers.some((l) => !kerasPrefix(l));
  if (!bare) return edits;
  const used = [...new Set(edits.flatMap((e) => [...e.newText.matchAll(/(?<![\w.])(BatchNormalization|LayerNormalization|GroupNormalization|Activation|AlphaDropout)(?=\()|^(AlphaDropout)$/g)].map((m) => m[1] ?? m[2])))];
  const line = /^from[ \t]+[\w.]*layers[ \t]+import[ \t]+([^\n(#]+?)[ \t]*(#.*)?$/m.exec(src.text);
  const paren = /^from[ \t]+[\w.]*layers[ \t]+import[ \t]*\(([^)]*)\)/m.exec(src.text);
  const names = (line?.[1] ?? paren?.[1] ?? '').split(',').map((n) => n.trim().split(/\s+as\s+/)[0]);
  const missing = used.filter((n) => !names.includes(n));
  if (!missing.length) return edits;
  if (line) {
    const end = src.positionAt(line.index + line[0].indexOf(line[1]) + line[1].length);
    return [...edits, { range: pointRange(end.line, end.column), newText: `, ${missing.join(', ')}` }];
  }
  if (paren) {
    const close = paren.index + paren[0].length - 1;
    let before = close;
    while (before > 0 && /\s/.test(src.text[before - 1])) before--;
    const comma = src.text[before - 1] === ',' ? ' ' : ', ';
    const pos = src.positionAt(before);
    return [...edits, { range: pointRange(pos.line, pos.column), newText: `${comma}${missing.join(', ')}` }];
  }
  return unsafe(`the file imports Keras layers by name and NormLens found no \`from ... layers import\` line to add ${missing.join(', ')} to`);
}

function pythonNormEdits(src: SourceText, format: SourceFormat, model: Model, kind: string): TextEdit[] {
  const hidden = hiddenWeightLayers(model);
  assertOwnRange(model, new Set(hidden));
  const edits: TextEdit[] = [];
  const taken = new Set<string>();
  const suffix = kind === 'batchnorm' ? 'bn' : kind === 'batchrenorm' ? 'brn' : kind === 'layernorm' ? 'ln' : 'gn';
  for (const i of hidden) {
    const l = model.layers[i];
    const next = model.layers[i + 1];
    const inline = l.activation && l.activation.name !== 'linear';
    if (!inline && next && isNorm(next)) {
      if (next.kind !== kind) edits.push({ range: next.range, newText: normCtor(kind, format, model, l, src) });
      continue;
    }
    let ctor = normCtor(kind, format, model, l, src);
    if (inline) {
      if (format !== 'keras' || !l.activation!.range) unsafe(`${l.name} applies its activation inline`);
      const lit = activationLiteral(src, l.activation!.range!);
      if (!lit) unsafe(`${l.name}'s activation is not a named string`);
      edits.push(dropActivationArgument(src, l.activation!.range!));
      ctor = `${ctor}, ${kerasPrefix(l)}Activation(${lit!.quote}${lit!.name}${lit!.quote})`;
      const p = placementOf(src, l, format);
      if (p.kind !== 'element') unsafe(`${l.name} is not an element of a Sequential list`);
      const single = insertElementAfter(src, l.range, ctor);
      // One element per line: the activation goes on a line of its own as well.
      if (single.newText.endsWith(src.eol)) {
        const indent = src.indentOf(l.range.startLine);
        single.newText = `${indent}${normCtor(kind, format, model, l, src)},${src.eol}${indent}${kerasPrefix(l)}Activation(${lit!.quote}${lit!.name}${lit!.quote}),${src.eol}`;
      }
      edits.push(single);
      continue;
    }
    edits.push(...insertAfter(src, l, ctor, format, suffix, taken));
  }
  return format === 'keras' ? kerasImports(src, model, edits) : edits;
}

function pythonWeightNormEdits(src: SourceText, format: SourceFormat, model: Model): TextEdit[] {
  if (format !== 'pytorch') return unsafe('Keras has no built-in weight normalization layer (tensorflow_addons, which had one, is discontinued)');
  const nn = model.initAnchor?.nnModule ?? 'nn';
  return model.layers.filter((l) => isWeight(l) && !l.weightNorm).map((l) => ({ range: l.range, newText: `${nn}.utils.parametrizations.weight_norm(${src.slice(l.range)})` }));
}

/** A hidden activation to make SELU, in the file's idiom. */
function seluEdit(src: SourceText, format: SourceFormat, model: Model, l: Layer): TextEdit {
  const r = l.activation?.range ?? (l.kind === 'activation' ? l.range : null);
  if (!r) return unsafe(`${l.name}: NormLens does not know where its activation is written`);
  const lit = activationLiteral(src, r);
  if (format === 'keras' && l.kind === 'activation' && !/(^|\.)Activation$/.test(l.sourceType)) return { range: l.range, newText: `${kerasPrefix(l)}Activation("selu")` };
  if (lit && format !== 'pytorch') return { range: src.rangeOf(lit.start, lit.end), newText: `${lit.quote}selu${lit.quote}` };
  const text = src.slice(r);
  if (format === 'pytorch') {
    const nn = model.initAnchor?.nnModule ?? 'nn';
    // A module (nn.Sigmoid(), nn.LeakyReLU(0.2)) or a functional call (torch.relu(h), F.leaky_relu(h, 0.2)).
    const call = /^([A-Za-z_][\w.]*)\(/.exec(text);
    if (!call) return unsafe(`${l.name}: its activation is not a call`);
    const callee = call[1];
    const last = callee.split('.').pop()!;
    if (/^[A-Z]/.test(last)) return { range: r, newText: `${nn}.SELU()` };
    const start = span(src, r).start;
    const first = callArgument(src.text, start, 0, 'input');
    if (!first) return unsafe(`${l.name}: its activation call has no argument`);
    const prefix = callee.slice(0, callee.length - last.length);
    const close = matchingParen(src.text, start + callee.length);
    const args = splitTopLevel(src.text.slice(start + callee.length + 1, close)).filter((a) => a.trim());
    // One argument: rename the function only, so an edit inside the argument (a module unwrapped) still applies.
    if (args.length === 1) return { range: src.rangeOf(start, start + callee.length), newText: `${prefix || 'torch.'}selu` };
    return { range: r, newText: `${prefix || 'torch.'}selu(${first})` };
  }
  return unsafe(`${l.name}: its activation is not written as a name NormLens can change`);
}

function pythonSnnEdits(src: SourceText, format: SourceFormat, model: Model): TextEdit[] {
  const weights = model.layers.map((l, i) => (isWeight(l) ? i : -1)).filter((i) => i >= 0);
  const lastWeight = weights[weights.length - 1];
  const edits: TextEdit[] = [];
  // Removing a layer shifts the positions `self.features[4]` names: inits then go through a loop over modules.
  const shifts = model.layers.some(isNorm);
  for (const [i, l] of model.layers.entries()) {
    if (isNorm(l)) {
      const p = placementOf(src, l, format);
      if (p.kind === 'element') edits.push(deleteElement(src, l.range));
      else if (p.kind === 'attribute') {
        const use = src.slice(p.use);
        const inner = use.slice(p.target.length + 1, -1);
        edits.push(deleteElement(src, { ...l.range, startColumn: 0, endColumn: src.lineText(l.range.endLine).length }), { range: p.use, newText: inner });
      } else unsafe(`${l.name}: NormLens cannot remove a layer added with .${p.method}()`);
      continue;
    }
    if (i < lastWeight && l.activation && !OUTPUT_ACTIVATIONS.includes(l.activation.name)) edits.push(seluEdit(src, format, model, l));
    if (isWeight(l) && !(Math.abs((l.init?.sigmaW2 ?? 0) - 1) < 0.02 && l.init?.distribution !== 'uniform')) {
      const target = shifts && l.initTarget?.includes('[') ? { ...l, initTarget: undefined } : l;
      const e = initEdits(src, format, model, target, { sigmaW2: 1, activation: 'selu' });
      if (!e) unsafe(`${l.name}: NormLens has no place to write its initializer`);
      edits.push(...e!);
    }
    if (l.kind === 'dropout') {
      const e = /Dropout$/.test(l.sourceType) ? renameLayerClass(src, l, 'Dropout', 'AlphaDropout') : null;
      if (!e) unsafe(`${l.name}: its dropout is not a Dropout layer (functional dropout)`);
      edits.push(...e!);
    }
  }
  return format === 'keras' ? kerasImports(src, model, edits) : edits;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON topologies (Keras JSON, tfjs-layers model.json): Sequential only.

function uniqueName(text: string, base: string, taken: Set<string>): string {
  for (let k = 1; ; k++) {
    const name = `${base}_${k}`;
    if (!taken.has(name) && !text.includes(`"${name}"`)) {
      taken.add(name);
      return name;
    }
  }
}

function jsonLayer(cls: string, config: Record<string, unknown>, keras3: boolean): string {
  const body = JSON.stringify(config).replace(/":/g, '": ').replace(/,"/g, ', "');
  return keras3 ? `{"module": "keras.layers", "class_name": "${cls}", "config": ${body}, "registered_name": null}` : `{"class_name": "${cls}", "config": ${body}}`;
}

function jsonNormEdits(src: SourceText, format: SourceFormat, model: Model, kind: string): TextEdit[] {
  const tfjs = format === 'tfjs-json';
  if (tfjs && kind === 'batchrenorm') unsafe('tfjs-layers has no Batch Renormalization');
  if (tfjs && kind === 'groupnorm') unsafe('tfjs-layers has no GroupNormalization layer');
  const keras3 = /"module"\s*:\s*"keras/.test(src.text);
  const taken = new Set<string>();
  const edits: TextEdit[] = [];
  for (const i of hiddenWeightLayers(model)) {
    const l = model.layers[i];
    const next = model.layers[i + 1];
    const inline = l.activation && l.activation.name !== 'linear';
    const channels = l.out.value as number;
    const base = kind === 'layernorm' ? 'layer_normalization' : kind === 'groupnorm' ? 'group_normalization' : 'batch_normalization';
    const config: Record<string, unknown> = { name: uniqueName(src.text, base, taken), trainable: true, axis: -1, epsilon: 0.001, center: true, scale: true };
    if (kind === 'batchnorm' || kind === 'batchrenorm') config.momentum = 0.99;
    if (kind === 'groupnorm') config.groups = groupCount(channels);
    if (kind === 'batchrenorm') Object.assign(config, { renorm: true, renorm_clipping: { rmax: 3, rmin: Number((1 / 3).toPrecision(6)), dmax: 5 } });
    const cls = kind === 'layernorm' ? 'LayerNormalization' : kind === 'groupnorm' ? 'GroupNormalization' : 'BatchNormalization';
    if (!inline && next && isNorm(next)) {
      if (next.kind !== kind) edits.push({ range: next.range, newText: jsonLayer(cls, config, keras3) });
      continue;
    }
    const indent = src.indentOf(l.range.startLine);
    let text = `,${src.eol}${indent}${jsonLayer(cls, config, keras3)}`;
    if (inline) {
      const r = l.activation!.range;
      const lit = r ? activationLiteral(src, r) : null;
      if (!lit) unsafe(`${l.name}'s activation is not a named string`);
      edits.push({ range: src.rangeOf(lit!.start, lit!.end), newText: '"linear"' });
      text += `,${src.eol}${indent}${jsonLayer('Activation', { name: uniqueName(src.text, 'activation', taken), trainable: true, activation: lit!.name }, keras3)}`;
    }
    const end = src.positionAt(span(src, l.range).end);
    edits.push({ range: pointRange(end.line, end.column), newText: text });
  }
  return edits;
}

function jsonSnnEdits(src: SourceText, format: SourceFormat, model: Model): TextEdit[] {
  const weights = model.layers.map((l, i) => (isWeight(l) ? i : -1)).filter((i) => i >= 0);
  const lastWeight = weights[weights.length - 1];
  const edits: TextEdit[] = [];
  for (const [i, l] of model.layers.entries()) {
    if (isNorm(l)) {
      const { start, end } = span(src, l.range);
      const prev = /,\s*$/.exec(src.text.slice(Math.max(0, start - 200), start));
      if (!prev) unsafe(`${l.name} is the first layer; NormLens does not remove it`);
      edits.push({ range: src.rangeOf(start - prev![0].length, end), newText: '' });
      continue;
    }
    if (i < lastWeight && l.activation && !OUTPUT_ACTIVATIONS.includes(l.activation.name) && l.kind === 'activation' && l.sourceType !== 'Activation') {
      // A LeakyReLU / ReLU / PReLU layer object: replaced by an Activation layer of the same name.
      edits.push({ range: l.range, newText: jsonLayer('Activation', { name: l.name, trainable: true, activation: 'selu' }, /"module"\s*:\s*"keras/.test(src.text)) });
      continue;
    }
    if (i < lastWeight && l.activation && !OUTPUT_ACTIVATIONS.includes(l.activation.name)) {
      const lit = l.activation.range ? activationLiteral(src, l.activation.range) : null;
      if (!lit) unsafe(`${l.name}'s activation is not a named string`);
      edits.push({ range: src.rangeOf(lit!.start, lit!.end), newText: '"selu"' });
    }
    if (isWeight(l) && !(Math.abs((l.init?.sigmaW2 ?? 0) - 1) < 0.02 && l.init?.distribution !== 'uniform')) {
      const e = initEdits(src, format, model, l, { sigmaW2: 1, activation: 'selu' });
      if (!e) unsafe(`${l.name}: no kernel_initializer to rewrite`);
      edits.push(...e!);
    }
    if (l.kind === 'dropout') {
      const e = renameLayerClass(src, l, 'Dropout', 'AlphaDropout');
      if (!e) unsafe(`${l.name}: not a Dropout layer object`);
      edits.push(...e!);
    }
  }
  return edits;
}

// ---------------------------------------------------------------------------------------------------------------

/** mergeEdits keeps the first of two overlapping replacements: here that would silently lose part of a variant. */
function assertNoOverlap(src: SourceText, edits: TextEdit[]): void {
  const spans = [...new Map(edits.map((e) => [JSON.stringify(e), span(src, e.range)])).values()].filter((x) => x.end > x.start).sort((a, b) => a.start - b.start);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].start < spans[i - 1].end) unsafe('two changes of this variant touch the same code');
  }
}

/** The variant's layers, one a line, for the user to apply by hand where NormLens cannot. */
export function variantSnippet(model: Model, id: VariantId, format: SourceFormat): string {
  const v = modelVariant(model, id);
  const comment = format === 'pytorch' || format === 'keras' ? '#' : '//';
  const lines = [`${comment} NormLens: ${model.name}, ${v.label} variant${v.changes ? `: ${v.changes}` : ''}`];
  if (!v.model) return [...lines, `${comment} ${v.skipped}`].join('\n');
  for (const l of v.model.layers) {
    const extras = [
      l.out.value !== null && l.kind !== 'activation' && !l.kind.includes('dropout') ? `${l.out.value}` : '',
      l.activation && l.activation.name !== 'linear' ? `activation=${l.activation.name}` : '',
      l.norm?.groups ? `groups=${l.norm.groups}` : '',
      l.norm?.momentum != null ? `momentum=${l.norm.momentum}` : '',
      l.norm?.eps != null ? `eps=${l.norm.eps}` : '',
      l.norm?.renorm ? `renorm rmax=${l.norm.renorm.rmax} dmax=${l.norm.renorm.dmax}` : '',
      l.weightNorm ? 'weight_norm' : '',
      l.init?.explicit ? `init=${l.init.scheme === 'kaiming_normal' && l.init.nonlinearity === 'linear' ? 'lecun_normal' : l.init.scheme}` : '',
      l.rate !== null ? `rate=${l.rate}` : '',
    ].filter(Boolean);
    lines.push(`${comment}   ${l.sourceType}(${extras.join(', ')})`);
  }
  return lines.join('\n');
}

/**
 * Edits that apply variant `id` to `model` in `text` (the file it was read from, format `format`), merged and
 * non-overlapping; or why not, with a snippet of the variant.
 */
export function variantEdits(text: string, format: SourceFormat, model: Model, id: VariantId): VariantEditResult {
  const v = modelVariant(model, id);
  const snippet = () => variantSnippet(model, id, format);
  if (!v.model) return { ok: false, reason: v.skipped, snippet: snippet() };
  if (id === 'as-written') return { ok: false, reason: 'the model as written needs no edit', snippet: snippet() };
  const src = new SourceText(text);
  try {
    let edits: TextEdit[];
    if (format === 'pytorch' || format === 'keras') {
      if (id === 'weightnorm') edits = pythonWeightNormEdits(src, format, model);
      else if (id === 'snn') edits = pythonSnnEdits(src, format, model);
      else edits = pythonNormEdits(src, format, model, id);
    } else if (format === 'keras-json' || format === 'tfjs-json') {
      if (/"inbound_nodes"/.test(text)) unsafe('a functional model topology: a new layer would need its inbound nodes rewired');
      if (id === 'weightnorm') unsafe('Keras / tfjs JSON has no weight-normalization layer');
      edits = id === 'snn' ? jsonSnnEdits(src, format, model) : jsonNormEdits(src, format, model, id);
    } else {
      return unsafe(`NormLens does not edit ${format} files`);
    }
    if (!edits.length) return { ok: false, reason: 'nothing to change in the source', snippet: snippet() };
    assertNoOverlap(src, edits);
    const weights = /"weightsManifest"\s*:\s*\[\s*\{/.test(text) ? ' (the weights files no longer match the topology: train again)' : '';
    return { ok: true, edits: mergeEdits(src, edits), summary: `${v.changes}${weights}` };
  } catch (err) {
    if (err instanceof Unsafe) return { ok: false, reason: err.message, snippet: snippet() };
    throw err;
  }
}

/** Scale written for tfjs lecun_normal (exported for tests: the variant IR uses the same number). */
export const TFJS_LECUN_SCALE = Number((1 / (TRUNCATED_NORMAL_STD * TRUNCATED_NORMAL_STD)).toPrecision(4));
