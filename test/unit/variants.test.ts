/**
 * Normalization variants (core/probe/variants.ts) of real models from examples/ and test/fixtures: the layer lists
 * they produce, the framework conventions of the inserted norms, what is skipped and why, and that every variant
 * probes on the CPU backend with the physics one expects (a norm before each sigmoid un-saturates a deep sigmoid
 * MLP whose N(0, 1) weights saturate it as written).
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Analyzer } from '../../core/analyzer';
import type { Model } from '../../core/ir';
import { runProbe } from '../../core/probe/runner';
import { groupCount, modelVariant, modelVariants, VARIANT_IDS } from '../../core/probe/variants';

let analyzer: Analyzer;
before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  analyzer = await Analyzer.create();
});

function read(path: string, index = 0): Model {
  const a = analyzer.analyze(path, readFileSync(path, 'utf8'));
  assert.equal(a.error, null, `${path}: ${a.error?.message}`);
  return a.models[index];
}

/** Kinds with the activation name where there is one: "dense", "batchnorm", "activation:sigmoid". */
const kinds = (m: Model) => m.layers.map((l) => (l.activation && l.activation.name !== 'linear' ? `${l.kind}:${l.activation.name}` : l.kind));

test('BatchNorm goes between each hidden Linear and its sigmoid, PyTorch conventions, output layer untouched', () => {
  const m = read('examples/deep_sigmoid_mlp.py');
  const v = modelVariant(m, 'batchnorm');
  assert.ok(v.model, v.skipped ?? '');
  const k = kinds(v.model);
  assert.equal(k.length, 31);
  assert.deepEqual(k.slice(0, 6), ['dense', 'batchnorm', 'activation:sigmoid', 'dense', 'batchnorm', 'activation:sigmoid']);
  assert.deepEqual(k.slice(-2), ['activation:sigmoid', 'dense']);
  const bn = v.model.layers[1];
  assert.deepEqual([bn.sourceType, bn.out.value, bn.norm?.momentum, bn.norm?.eps, bn.norm?.convention], ['nn.BatchNorm1d', 128, 0.1, 1e-5, 'pytorch']);
  assert.deepEqual(v.model.layers.map((l) => l.index), v.model.layers.map((_, i) => i));
  assert.equal(m.layers.length, 21, 'the original is not modified');
});

test('Keras inline activations are split out: Dense (linear) -> norm -> Activation; Keras momentum 0.99 / eps 1e-3', () => {
  const m = read('examples/keras_selu.py');
  const bn = modelVariant(m, 'batchnorm').model!;
  assert.deepEqual(kinds(bn), [
    'dense', 'batchnorm', 'activation:selu', 'dense', 'batchnorm', 'activation:selu', 'dropout',
    'dense', 'batchnorm', 'activation:selu', 'dense', 'batchnorm', 'activation:selu', 'dense:softmax',
  ]);
  assert.deepEqual([bn.layers[1].norm?.momentum, bn.layers[1].norm?.eps, bn.layers[1].sourceType], [0.99, 1e-3, 'BatchNormalization']);
  const gn = modelVariant(m, 'groupnorm').model!;
  assert.deepEqual(gn.layers.filter((l) => l.kind === 'groupnorm').map((l) => [l.out.value, l.norm?.groups]), [[512, 32], [512, 32], [256, 32], [256, 32]]);
  const brn = modelVariant(m, 'batchrenorm').model!;
  assert.deepEqual(brn.layers[1].norm?.renorm, { rmax: 3, dmax: 5 });
  assert.equal(brn.layers[1].kind, 'batchrenorm');
});

test('GroupNorm picks a group count that divides the width', () => {
  assert.deepEqual([512, 96, 48, 10, 7, 2].map(groupCount), [32, 32, 16, 2, 1, 1]);
});

test('SNN: SELU, lecun_normal (framework idiom), AlphaDropout for Dropout, BatchNorm removed', () => {
  const cnn = read('examples/bn_cnn.py');
  const snn = modelVariant(cnn, 'snn').model!;
  assert.deepEqual(kinds(snn), ['conv2d', 'activation:selu', 'pool', 'conv2d', 'activation:selu', 'pool', 'flatten', 'dense', 'activation:selu', 'alphadropout', 'dense']);
  for (const l of snn.layers.filter((x) => x.init)) {
    assert.deepEqual([l.init!.scheme, l.init!.nonlinearity, l.init!.mode], ['kaiming_normal', 'linear', 'fan_in']);
    assert.ok(Math.abs(l.init!.sigmaW2! - 1) < 1e-9, `${l.name}: sigmaW2 ${l.init!.sigmaW2}`);
  }
  assert.equal(snn.layers.find((l) => l.kind === 'alphadropout')!.rate, 0.5);
  const keras = modelVariant(read('examples/keras_selu.py'), 'snn').model!;
  assert.deepEqual(keras.layers.map((l) => l.init?.scheme ?? l.kind), ['lecun_normal', 'lecun_normal', 'alphadropout', 'lecun_normal', 'lecun_normal', 'lecun_normal']);
  const tfjs = modelVariant(read('examples/model.json'), 'snn').model!;
  assert.ok(tfjs.layers.filter((l) => l.init).every((l) => Math.abs(l.init!.sigmaW2! - 1) < 1e-3), 'tfjs truncated normal compensated');
});

test('variants the model already is are skipped with the reason', () => {
  const snn = modelVariants(read('examples/snn_alpha_dropout.py'));
  assert.match(snn.find((v) => v.id === 'snn')!.skipped!, /already SELU with lecun_normal/);
  const cnn = read('test/fixtures/pytorch/resnetCifar.py');
  const bn = modelVariant(cnn, 'batchnorm');
  // resnetCifar has BatchNorm after every conv but its last Linear is the output: nothing to add.
  assert.match(bn.skipped ?? '', /already has BatchNorm after every hidden layer/);
  assert.equal(modelVariant(cnn, 'layernorm').changes, 'LayerNorm after 10 hidden layers of 10, before the activation');
  const single = modelVariant({ ...read('examples/deep_sigmoid_mlp.py'), layers: read('examples/deep_sigmoid_mlp.py').layers.slice(-1) }, 'layernorm');
  assert.match(single.skipped!, /no hidden dense or conv layer/);
  const wn = modelVariant(modelVariant(read('examples/selu_default_init.py'), 'weightnorm').model!, 'weightnorm');
  assert.match(wn.skipped!, /every dense and conv layer is weight-normalized/);
  assert.deepEqual(modelVariants(read('examples/bn_cnn.py')).map((v) => v.id), [...VARIANT_IDS]);
});

test('an existing norm after a hidden layer is swapped, not doubled', () => {
  const cnn = read('examples/bn_cnn.py');
  const gn = modelVariant(cnn, 'groupnorm').model!;
  assert.deepEqual(kinds(gn).slice(0, 8), ['conv2d', 'groupnorm', 'activation:relu', 'pool', 'conv2d', 'groupnorm', 'activation:relu', 'pool']);
  assert.equal(gn.layers[1].name, 'features.1');
  assert.deepEqual(kinds(gn).slice(8), ['flatten', 'dense', 'groupnorm', 'activation:relu', 'dropout', 'dense']);
});

test('every variant probes on the CPU backend (small config), same seed and data', async () => {
  const m = read('test/fixtures/pytorch/snnSequential.py');
  const small: Model = { ...m, layers: m.layers.slice(0, 8).concat(m.layers.slice(-1)).map((l, i) => ({ ...l, index: i })) };
  small.layers[small.layers.length - 1].in = { value: 256, symbol: null };
  for (const v of modelVariants(small)) {
    if (!v.model) continue;
    const r = await runProbe(v.model, { steps: 2, sampleEvery: 1, batchSize: 16 });
    assert.equal(r.status, 'completed', v.id);
    assert.deepEqual(r.records.map((x) => x.step), [0, 1, 2], v.id);
    assert.equal(r.records[0].layers.length, v.model.layers.length, v.id);
    assert.ok(r.records.every((x) => Number.isFinite(x.loss)), v.id);
  }
});

test('physics: a norm before each sigmoid un-saturates the deep sigmoid MLP that N(0, 1) weights saturate', async () => {
  const m = read('examples/deep_sigmoid_mlp.py');
  const at0 = async (model: Model) => (await runProbe(model, { steps: 0, batchSize: 64 })).records[0].layers;
  const written = await at0(m);
  const lastSigmoid = written[written.length - 2];
  // As written: Linear(128, 128) with N(0, 1) weights on sigmoid outputs gives pre-activations of variance ~10+.
  assert.ok(lastSigmoid.preVariance > 5, `as written: pre-activation variance ${lastSigmoid.preVariance}`);
  assert.ok(lastSigmoid.saturation > 0.4, `as written: saturation ${lastSigmoid.saturation}`);
  for (const id of ['batchnorm', 'layernorm', 'groupnorm', 'batchrenorm'] as const) {
    const v = modelVariant(m, id).model!;
    const s = await at0(v);
    const lastNorm = s[s.length - 3];
    assert.equal(v.layers[lastNorm.index].kind, id);
    assert.ok(Math.abs(lastNorm.variance - 1) < 0.1, `${id}: last norm output variance ${lastNorm.variance}`);
    assert.ok(s[s.length - 2].saturation < 0.01, `${id}: last sigmoid saturation ${s[s.length - 2].saturation}`);
  }
  const snn = await at0(modelVariant(m, 'snn').model!);
  const lastSelu = snn[snn.length - 2];
  assert.ok(Math.abs(lastSelu.variance - 1) < 0.25 && Math.abs(lastSelu.mean) < 0.2, `snn: last SELU (${lastSelu.mean}, ${lastSelu.variance})`);
});
