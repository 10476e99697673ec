import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Analyzer, type FileAnalysis } from '../../core/analyzer';
import { weightGradientRatio } from '../../core/findings/rules';
import { layerLenses, modelLensText, statsText } from '../../core/presentation/lenses';

const examples = join(__dirname, '..', '..', 'examples');
let analyzer: Analyzer;
const analyze = (name: string): FileAnalysis => analyzer.analyze(name, readFileSync(join(examples, name), 'utf8'));
const codes = (a: FileAnalysis) => a.findings.map((f) => `${f.range.startLine + 1}:${f.code}`);

before(async () => {
  analyzer = await Analyzer.create();
});

test('SELU with PyTorch default init: 4 selu-init errors (nu* = 0) and the plain-dropout warning', () => {
  const a = analyze('selu_default_init.py');
  assert.deepEqual(codes(a), ['18:selu-init', '19:selu-init', '20:selu-init', '21:selu-init', '22:selu-dropout']);
  assert.ok(a.findings.slice(0, 4).every((f) => f.severity === 'error' && /fixed point is 0/.test(f.message)));
});

test('correct SNN (SELU + kaiming_normal linear + AlphaDropout): no findings, variance kept at 1 over 16 blocks', () => {
  const a = analyze('snn_alpha_dropout.py');
  assert.deepEqual(codes(a), []);
  const pred = a.predictions[0];
  assert.ok(Math.abs(pred.varianceRatio - 1) < 0.02, `variance ratio ${pred.varianceRatio}`);
  // Every SELU layer lies in Theorem 1's domain.
  const selu = pred.layers.filter((p) => p.selu);
  assert.equal(selu.length, 16);
  assert.ok(selu.every((p) => p.selu!.inDomain));
});

test('deep sigmoid MLP with N(0,1) weights: one saturation finding per source line, deep-sigmoid-no-norm, not "exploding"', () => {
  const a = analyze('deep_sigmoid_mlp.py');
  assert.deepEqual(codes(a), ['7:saturation', '9:saturation', '12:deep-sigmoid-no-norm']);
  assert.match(a.findings[1].message, /sigmoid layers 3-19 \(9 built here\) are up to 60% saturated/);
  // The first weight layer's own scale (64) does not act on its gradient: first/last ratio is ~2.7, not 173.
  const g = weightGradientRatio(a.models[0], a.predictions[0]);
  assert.ok(g.ratio > 2 && g.ratio < 4, `ratio ${g.ratio}`);
  assert.equal(g.weightLayers, 11);
});

test('BN CNN with batch size 4: two batchnorm-small-batch warnings; image_size directive resolves the Flatten width', () => {
  const a = analyze('bn_cnn.py');
  assert.deepEqual(codes(a).filter((c) => !c.endsWith('init-suggestion')), ['13:batchnorm-small-batch', '17:batchnorm-small-batch']);
  const linear = a.models[0].layers.find((l) => l.kind === 'dense')!;
  assert.equal(linear.in.value, 64 * 8 * 8);
  assert.equal(a.models[0].batchSize, 4);
});

test('Keras SELU model: glorot (784->512) and he_normal flagged, 512->512 glorot is exactly 1 and is not; Dropout flagged', () => {
  const a = analyze('keras_selu.py');
  assert.deepEqual(codes(a), ['8:selu-init', '10:selu-dropout', '11:selu-init']);
  assert.match(a.findings[0].message, /= 1\.21 /);
  assert.match(a.findings[2].message, /= 2 /);
});

test('tfjs model.json: leCunNormal without truncation correction -> tau 0.774, nu* = 0.351 (reference.md)', () => {
  const a = analyze('model.json');
  assert.equal(a.format, 'tfjs-json');
  const selu = a.findings.filter((f) => f.code === 'selu-init');
  assert.equal(selu.length, 6);
  assert.ok(selu.every((f) => f.severity === 'warning' && /0\.774/.test(f.message) && /nu\* = 0\.351/.test(f.message)));
  // The squiggle marks the initializer's class_name value on one line; the quick fix replaces the whole object.
  const lines = readFileSync(join(examples, 'model.json'), 'utf8').split('\n');
  for (const f of selu) {
    const r = f.range;
    assert.equal(r.startLine, r.endLine);
    assert.equal(lines[r.startLine].slice(r.startColumn, r.endColumn), '"VarianceScaling"');
    const edit = f.fixes[0].edits[0];
    assert.ok(edit.range.endLine > edit.range.startLine + 3, 'the fix spans the initializer object');
    assert.equal(lines[edit.range.startLine].slice(edit.range.startColumn).trim(), '{');
  }
});

test('lenses: compact stats text, tiny means print as 0.00, a loop line gets one summary lens', () => {
  assert.equal(statsText({ mean: 6e-17, variance: 1, saturation: 0, gradGain: 1 }), 'mu 0.00  var 1.00  sat 0%  grad x1.00');
  assert.equal(statsText({ mean: -0.05, variance: 2e-6, saturation: 0.624, gradGain: 0.43 }), 'mu -0.05  var 2e-6  sat 62%  grad x0.43');
  const a = analyze('snn_alpha_dropout.py');
  const lenses = layerLenses(a.models[0], a.predictions[0]);
  assert.equal(lenses.length, 3);
  assert.match(lenses[1].text, /^predicted {2}layers 2-46 \(45 built here\): var 1\.00 -> 1\.00 {2}sat <=0% {2}grad x0\.\d\d\/repeat$/);
  assert.equal(modelLensText(a.models[0], a.predictions[0], 0), 'NormLens SNN: 17 weight layers  var x1.00  grad first/last x0.35  0 findings');
});
