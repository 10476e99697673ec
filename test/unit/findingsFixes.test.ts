import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addKeywordArgument, jsonInitValue, kerasInitValue, mergeEdits, pytorchInitCall, renameLayerClass, splitTopLevel } from '../../core/findings/fixes';
import { SourceText, fmt, matchingParen } from '../../core/findings/sourceText';
import type { Layer, SourceRange } from '../../core/ir';
import type { TextEdit } from '../../core/findings/types';

function apply(text: string, edits: TextEdit[]): string {
  const src = new SourceText(text);
  const sorted = [...edits].sort((a, b) => src.offsetAt(b.range.startLine, b.range.startColumn) - src.offsetAt(a.range.startLine, a.range.startColumn));
  let out = text;
  for (const e of sorted) {
    const s = src.offsetAt(e.range.startLine, e.range.startColumn);
    const t = src.offsetAt(e.range.endLine, e.range.endColumn);
    out = out.slice(0, s) + e.newText + out.slice(t);
  }
  return out;
}

function layerAt(text: string, needle: string): Layer {
  const src = new SourceText(text);
  const start = text.indexOf(needle);
  const open = text.indexOf('(', start);
  const range: SourceRange = src.rangeOf(start, matchingParen(text, open) + 1);
  return { index: 0, name: 'l', kind: 'dense', sourceType: 'Dense', in: { value: 4, symbol: null }, out: { value: 4, symbol: null }, activation: null, init: null, bias: null, norm: null, rate: null, range };
}

test('SourceText maps offsets and lines both ways, CRLF included', () => {
  const src = new SourceText('ab\r\ncd\nef');
  assert.equal(src.lineCount, 3);
  assert.equal(src.offsetAt(1, 1), 5);
  assert.deepEqual(src.positionAt(5), { line: 1, column: 1 });
  assert.equal(src.lineText(0), 'ab');
  assert.equal(src.eol, '\r\n');
});

test('matchingParen skips strings and comments', () => {
  const t = 'f(a, ")", g(1), # )\n b)';
  assert.equal(matchingParen(t, 1), t.length - 1);
  assert.equal(matchingParen('f((', 1), -1);
});

test('splitTopLevel splits only at depth 0', () => {
  assert.deepEqual(splitTopLevel("self.fc.weight, mode='fan_in', a=f(1, 2)").map((s) => s.trim()), ['self.fc.weight', "mode='fan_in'", 'a=f(1, 2)']);
});

test('addKeywordArgument: single line, empty args, trailing comma and one-arg-per-line', () => {
  const one = 'x = layers.Dense(64, activation="selu")\n';
  assert.equal(apply(one, addKeywordArgument(new SourceText(one), layerAt(one, 'layers.Dense'), "kernel_initializer='lecun_normal'")!), 'x = layers.Dense(64, activation="selu", kernel_initializer=\'lecun_normal\')\n');
  const empty = 'Flatten()';
  assert.equal(apply(empty, addKeywordArgument(new SourceText(empty), layerAt(empty, 'Flatten'), 'k=1')!), 'Flatten(k=1)');
  const multi = 'layers.Dense(\n    64,\n    activation="selu",\n)';
  assert.equal(apply(multi, addKeywordArgument(new SourceText(multi), layerAt(multi, 'layers.Dense'), "kernel_initializer='lecun_normal'")!), 'layers.Dense(\n    64,\n    activation="selu",\n    kernel_initializer=\'lecun_normal\',\n)');
  const multiNoComma = 'Dense(\n    64,\n    activation="selu")';
  assert.equal(apply(multiNoComma, addKeywordArgument(new SourceText(multiNoComma), layerAt(multiNoComma, 'Dense'), 'k=1')!), 'Dense(\n    64,\n    activation="selu",\n    k=1)');
});

test('renameLayerClass renames the class only, not a longer identifier', () => {
  const t = 'nn.Dropout(p=0.1)  # Dropout';
  const layer = layerAt(t, 'nn.Dropout');
  assert.equal(apply(t, renameLayerClass(new SourceText(t), layer, 'Dropout', 'AlphaDropout')!), 'nn.AlphaDropout(p=0.1)  # Dropout');
  const t2 = 'SpatialDropout1D(0.1)';
  assert.equal(renameLayerClass(new SourceText(t2), layerAt(t2, 'Spatial'), 'Dropout', 'AlphaDropout'), null);
});

test('pytorchInitCall picks the idiomatic call for the critical variance', () => {
  assert.equal(pytorchInitCall('nn.init', 'self.fc1.weight', { sigmaW2: 1, activation: 'selu' }, 784), "nn.init.kaiming_normal_(self.fc1.weight, mode='fan_in', nonlinearity='linear')");
  assert.equal(pytorchInitCall('init', 'm.weight', { sigmaW2: 2, activation: 'relu' }, null), "init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='relu')");
  assert.equal(pytorchInitCall('nn.init', 'w', { sigmaW2: 2 / (1 + 0.01 ** 2), activation: 'leaky_relu', slope: 0.01 }, 10), "nn.init.kaiming_normal_(w, a=0.01, mode='fan_in', nonlinearity='leaky_relu')");
  // tanh with bias variance 0.05: critical 1.761 -> std = sqrt(1.761 / 100)
  assert.equal(pytorchInitCall('nn.init', 'w', { sigmaW2: 1.761, activation: 'tanh' }, 100), 'nn.init.normal_(w, mean=0.0, std=0.1327)');
});

test('Keras and JSON initializer values; tfjs compensates its missing truncation correction', () => {
  assert.equal(kerasInitValue({ sigmaW2: 1, activation: 'selu' }), "'lecun_normal'");
  assert.equal(kerasInitValue({ sigmaW2: 2, activation: 'relu' }), "'he_normal'");
  assert.equal(JSON.parse(jsonInitValue({ sigmaW2: 1, activation: 'selu' }, 'keras-json', false)).class_name, 'LecunNormal');
  const k3 = JSON.parse(jsonInitValue({ sigmaW2: 1, activation: 'selu' }, 'keras-json', true));
  assert.equal(k3.module, 'keras.initializers');
  const tfjs = JSON.parse(jsonInitValue({ sigmaW2: 1, activation: 'selu' }, 'tfjs-json', false));
  // 1 / 0.87962566^2 = 1.29243
  assert.equal(tfjs.config.scale, 1.292);
  assert.equal(tfjs.config.distribution, 'truncated_normal');
});

test('mergeEdits dedupes identical edits, concatenates inserts at one point, drops overlaps', () => {
  const src = new SourceText('line0\nline1\n');
  const at = { startLine: 1, startColumn: 0, endLine: 1, endColumn: 0 };
  const merged = mergeEdits(src, [
    { range: at, newText: 'a\n' },
    { range: at, newText: 'a\n' },
    { range: at, newText: 'b\n' },
    { range: { startLine: 0, startColumn: 0, endLine: 0, endColumn: 4 }, newText: 'LINE' },
    { range: { startLine: 0, startColumn: 2, endLine: 0, endColumn: 5 }, newText: 'X' },
  ]);
  assert.equal(apply(src.text, merged), 'LINE0\na\nb\nline1\n');
});

test('fmt keeps messages short and exact enough', () => {
  assert.equal(fmt(1 / 3), '0.333');
  assert.equal(fmt(2.1e-9), '2.1e-9');
  assert.equal(fmt(0), '0');
  assert.equal(fmt(12345), '1.2e+4');
});
