/**
 * Source edits for normalization variants (core/findings/variantEdits.ts): applied to real example files and read
 * back by the front ends, the model must have exactly the variant's layer kinds and activations (and lecun init
 * for SNN). Where no safe edit exists the reason is given with a snippet.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Analyzer } from '../../core/analyzer';
import type { Model } from '../../core/ir';
import { variantEdits } from '../../core/findings/variantEdits';
import { SourceText } from '../../core/findings/sourceText';
import type { TextEdit } from '../../core/findings/types';
import { modelVariant, type VariantId } from '../../core/probe/variants';

let analyzer: Analyzer;
before(async () => {
  analyzer = await Analyzer.create();
});

function apply(text: string, edits: TextEdit[]): string {
  const src = new SourceText(text);
  const sorted = [...edits].sort((a, b) => src.offsetAt(b.range.startLine, b.range.startColumn) - src.offsetAt(a.range.startLine, a.range.startColumn));
  let out = text;
  for (const e of sorted) out = out.slice(0, src.offsetAt(e.range.startLine, e.range.startColumn)) + e.newText + out.slice(src.offsetAt(e.range.endLine, e.range.endColumn));
  return out;
}

const kinds = (m: Model) => m.layers.map((l) => (l.activation && l.activation.name !== 'linear' ? `${l.kind}:${l.activation.name}` : l.kind));

/** Apply variant `id` to `path`'s model `index` and read the result back; returns the new text. */
function roundTrip(path: string, id: VariantId, index = 0): string {
  const text = readFileSync(path, 'utf8');
  const a = analyzer.analyze(path, text);
  const model = a.models[index];
  const r = variantEdits(text, a.format, model, id);
  assert.ok(r.ok, `${path} ${id}: ${r.ok ? '' : r.reason}`);
  const edited = apply(text, r.edits);
  const back = analyzer.analyze(path, edited);
  assert.equal(back.error, null, `${path} ${id}: ${back.error?.message}\n${edited}`);
  const variant = modelVariant(model, id).model!;
  assert.deepEqual(kinds(back.models[index]), kinds(variant), `${path} ${id}:\n${edited}`);
  if (id === 'snn') {
    for (const l of back.models[index].layers.filter((x) => x.init)) assert.ok(Math.abs((l.init!.sigmaW2 ?? 0) - 1) < 0.02, `${path}: ${l.name} sigmaW2 ${l.init!.sigmaW2}`);
  }
  if (id === 'weightnorm') assert.ok(back.models[index].layers.filter((l) => l.kind === 'dense' || l.kind.startsWith('conv')).every((l) => l.weightNorm), `${path}: weight norm`);
  return edited;
}

test('PyTorch layer list built in a loop: one BatchNorm1d per list literal, width as written', () => {
  const edited = roundTrip('examples/deep_sigmoid_mlp.py', 'batchnorm');
  assert.match(edited, /layers = \[nn\.Linear\(64, width\), nn\.BatchNorm1d\(width\), nn\.Sigmoid\(\)\]/);
  assert.match(edited, /layers \+= \[nn\.Linear\(width, width\), nn\.BatchNorm1d\(width\), nn\.Sigmoid\(\)\]/);
  assert.match(roundTrip('examples/deep_sigmoid_mlp.py', 'groupnorm'), /nn\.GroupNorm\(32, width\)/);
  roundTrip('examples/deep_sigmoid_mlp.py', 'layernorm');
  roundTrip('examples/deep_sigmoid_mlp.py', 'weightnorm');
});

test('PyTorch SNN: activations, the explicit init loop rewritten, in place', () => {
  const edited = roundTrip('examples/deep_sigmoid_mlp.py', 'snn');
  assert.match(edited, /nn\.Linear\(64, width\), nn\.SELU\(\)/);
  assert.match(edited, /nn\.init\.kaiming_normal_\(m\.weight, mode='fan_in', nonlinearity='linear'\)/);
  assert.doesNotMatch(edited, /Sigmoid/);
});

test('PyTorch nn.Sequential one layer per line: new lines with the same indentation; BatchNorm -> GroupNorm swapped', () => {
  const bn = roundTrip('examples/bn_cnn.py', 'batchnorm');
  assert.match(bn, /\n {12}nn\.Linear\(64 \* 8 \* 8, 256\),\n {12}nn\.BatchNorm1d\(256\),\n {12}nn\.ReLU\(\),/);
  const gn = roundTrip('examples/bn_cnn.py', 'groupnorm');
  assert.match(gn, /nn\.Conv2d\(3, 32, kernel_size=3, padding=1\),\n {12}nn\.GroupNorm\(16, 32\),/);
  const snn = roundTrip('examples/bn_cnn.py', 'snn');
  assert.doesNotMatch(snn, /nn\.BatchNorm/);
  assert.match(snn, /isinstance\(m, nn\.Conv2d\)/, "inits through a loop: removing BatchNorm shifts the Sequential positions");
  assert.match(snn, /nn\.AlphaDropout\(0\.5\)/);
});

test('PyTorch class model: a module per hidden layer in __init__, wrapped around its call in forward', () => {
  const edited = roundTrip('examples/selu_default_init.py', 'batchnorm');
  assert.match(edited, /self\.fc1 = nn\.Linear\(in_dim, hidden\)\n {8}self\.fc1_bn = nn\.BatchNorm1d\(hidden\)\n/);
  assert.match(edited, /x = torch\.selu\(self\.fc1_bn\(self\.fc1\(x\)\)\)/);
  roundTrip('examples/selu_default_init.py', 'layernorm');
  const snn = roundTrip('examples/selu_default_init.py', 'snn');
  assert.match(snn, /self\.drop = nn\.AlphaDropout\(0\.1\)/);
});

test('Keras Sequential: activation moved out of Dense, BatchNormalization and Activation inserted', () => {
  const edited = roundTrip('examples/keras_selu.py', 'batchnorm');
  assert.match(edited, /layers\.Dense\(512\),\n {4}layers\.BatchNormalization\(\),\n {4}layers\.Activation\("selu"\),\n/);
  assert.match(edited, /layers\.Dense\(10, activation="softmax"\)/);
  roundTrip('examples/keras_selu.py', 'layernorm');
  roundTrip('examples/keras_selu.py', 'groupnorm');
  roundTrip('examples/keras_selu.py', 'batchrenorm');
  const snn = roundTrip('examples/keras_selu.py', 'snn');
  assert.match(snn, /layers\.AlphaDropout\(0\.1\)/);
  assert.match(snn, /kernel_initializer='lecun_normal'/);
});

test('JSON Sequential topologies: layer objects inserted, activation moved; tfjs gets no GroupNorm / Renorm', () => {
  const edited = roundTrip('examples/model.json', 'batchnorm');
  assert.equal(JSON.parse(edited).modelTopology.config.layers.length, 8 + 6 * 2);
  roundTrip('examples/model.json', 'layernorm');
  const gn = variantEdits(readFileSync('examples/model.json', 'utf8'), 'tfjs-json', analyzer.analyze('examples/model.json', readFileSync('examples/model.json', 'utf8')).models[0], 'groupnorm');
  assert.equal(gn.ok, false);
  assert.match(gn.ok ? '' : gn.reason, /tfjs-layers has no GroupNormalization/);
  roundTrip('test/fixtures/json/keras2-snn-sequential.json', 'batchnorm');
  roundTrip('test/fixtures/json/keras2-snn-sequential.json', 'batchrenorm');
});

test('unsafe edits say why and offer a snippet', () => {
  const text = readFileSync('examples/deep_sigmoid_mlp.py', 'utf8');
  const model = analyzer.analyze('examples/deep_sigmoid_mlp.py', text).models[0];
  const brn = variantEdits(text, 'pytorch', model, 'batchrenorm');
  assert.equal(brn.ok, false);
  assert.match(brn.ok ? '' : brn.reason, /PyTorch has no Batch Renormalization/);
  assert.match(brn.ok ? '' : brn.snippet, /nn\.Linear\(128\)\n# {3}BatchNormalization|# {3}nn\.BatchNorm1d|renorm rmax=3 dmax=5/);
  const kText = readFileSync('examples/keras_selu.py', 'utf8');
  const wn = variantEdits(kText, 'keras', analyzer.analyze('examples/keras_selu.py', kText).models[0], 'weightnorm');
  assert.match(wn.ok ? '' : wn.reason, /Keras has no built-in weight normalization/);
  const fText = readFileSync('test/fixtures/keras/functionalResidual.py', 'utf8');
  const fa = analyzer.analyze('test/fixtures/keras/functionalResidual.py', fText);
  const fr = variantEdits(fText, fa.format, fa.models[0], 'batchnorm');
  assert.equal(fr.ok, false, 'the functional API is not edited');
});

test('every edit offered for any example or fixture reads back as its variant (or is declined with a reason)', async () => {
  const { readdirSync } = await import('node:fs');
  const files = ['examples', 'test/fixtures/pytorch', 'test/fixtures/keras', 'test/fixtures/json'].flatMap((d) =>
    readdirSync(d).filter((f) => /\.(py|json)$/.test(f)).map((f) => `${d}/${f}`),
  );
  let offered = 0;
  let declined = 0;
  for (const path of files) {
    const text = readFileSync(path, 'utf8');
    const a = analyzer.analyze(path, text);
    // A file that does not parse is never edited (the host refuses it too).
    if (a.error) continue;
    for (const [index, model] of a.models.entries()) {
      for (const id of ['batchnorm', 'layernorm', 'groupnorm', 'batchrenorm', 'weightnorm', 'snn'] as const) {
        const variant = modelVariant(model, id).model;
        if (!variant) continue;
        const r = variantEdits(text, a.format, model, id);
        if (!r.ok) {
          assert.ok(r.reason.length > 10 && r.snippet.includes(model.name), `${path} ${id}: ${r.reason}`);
          declined++;
          continue;
        }
        offered++;
        const back = analyzer.analyze(path, apply(text, r.edits));
        assert.equal(back.error, null, `${path} #${index} ${id}: ${back.error?.message}`);
        assert.deepEqual(kinds(back.models[index]), kinds(variant), `${path} #${index} ${id}`);
      }
    }
  }
  console.log(`variant edits: ${offered} offered and read back as the variant, ${declined} declined with a reason`);
  assert.ok(offered >= 60, `offered ${offered}`);
});

test('PyTorch class model with a norm inside a functional activation: SNN unwraps the norm and renames the function', () => {
  const text = [
    'import torch',
    'import torch.nn as nn',
    '',
    'class M(nn.Module):',
    '    def __init__(self):',
    '        super().__init__()',
    '        self.fc1 = nn.Linear(64, 32)',
    '        self.bn1 = nn.BatchNorm1d(32)',
    '        self.drop = nn.Dropout(0.2)',
    '        self.out = nn.Linear(32, 10)',
    '',
    '    def forward(self, x):',
    '        x = torch.relu(self.bn1(self.fc1(x)))',
    '        return self.out(self.drop(x))',
    '',
  ].join('\n');
  const a = analyzer.analyze('m.py', text);
  const r = variantEdits(text, a.format, a.models[0], 'snn');
  assert.ok(r.ok, r.ok ? '' : r.reason);
  const edited = apply(text, r.edits);
  assert.match(edited, /x = torch\.selu\(self\.fc1\(x\)\)/);
  assert.doesNotMatch(edited, /self\.bn1/);
  assert.match(edited, /self\.drop = nn\.AlphaDropout\(0\.2\)/);
  assert.deepEqual(kinds(analyzer.analyze('m.py', edited).models[0]), kinds(modelVariant(a.models[0], 'snn').model!));
});
