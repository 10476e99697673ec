import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Layer, Model } from '../../core/ir';
import { readJsonModels } from '../../core/frontends/json/readJson';

// Keras 2 / Keras 3 to_json fixtures (see test/fixtures/json/README.md for where each layout comes from).

function readFixture(name: string): Model {
  const result = readJsonModels(readFileSync(join(__dirname, '../fixtures/json', name), 'utf8'));
  assert.equal(result.error, null, `unexpected error: ${result.error?.message}`);
  assert.equal(result.models.length, 1);
  return result.models[0];
}

function widths(layers: Layer[]): [number | null, number | null][] {
  return layers.map((l) => [l.in.value, l.out.value]);
}

test('Keras 2.2 SNN Sequential: kinds, widths, SELU, lecun_normal written as VarianceScaling', () => {
  const text = readFileSync(join(__dirname, '../fixtures/json/keras2-snn-sequential.json'), 'utf8');
  const result = readJsonModels(text);
  assert.equal(result.format, 'keras-json');
  const m = result.models[0];
  assert.equal(m.name, 'snn_mnist');
  assert.equal(m.framework, 'keras');
  assert.deepEqual(m.input, { shape: [784], assumed: false });
  assert.deepEqual(m.partial, []);
  assert.deepEqual(m.layers.map((l) => l.kind), ['dense', 'alphadropout', 'dense', 'alphadropout', 'dense']);
  assert.deepEqual(widths(m.layers), [[784, 256], [256, 256], [256, 256], [256, 256], [256, 10]]);
  assert.deepEqual(m.layers.map((l) => l.activation?.name ?? null), ['selu', null, 'selu', null, 'softmax']);
  assert.deepEqual(m.layers.map((l) => l.rate), [null, 0.05, null, 0.05, null]);

  const dense2 = m.layers[2];
  assert.equal(dense2.name, 'dense_2');
  assert.equal(dense2.init!.scheme, 'lecun_normal');
  assert.equal(dense2.init!.framework, 'keras');
  assert.equal(dense2.init!.distribution, 'truncated_normal');
  assert.equal(dense2.init!.explicit, true);
  // Keras corrects its truncated normal: Var(w) = 1 / fan_in exactly.
  assert.equal(dense2.init!.weightVariance, 1 / 256);
  assert.equal(dense2.init!.sigmaW2, 1);
  assert.equal(m.layers[0].init!.weightVariance, 1 / 784);
  assert.deepEqual(dense2.bias, { present: true, variance: 0, scheme: 'zeros' });
  // glorot_uniform written as VarianceScaling(1, fan_avg, uniform) is named back.
  assert.equal(m.layers[4].init!.scheme, 'glorot_uniform');
  assert.equal(m.layers[4].init!.weightVariance, 2 / (256 + 10));

  // Ranges: layer object, activation value, kernel_initializer value (0-based lines).
  const dense1 = m.layers[0];
  assert.deepEqual([dense1.range.startLine, dense1.range.startColumn], [5, 6]);
  assert.deepEqual([dense1.range.endLine, dense1.range.endColumn], [37, 7]);
  assert.deepEqual(dense1.activation!.range, { startLine: 16, startColumn: 24, endLine: 16, endColumn: 30 });
  assert.equal(text.split('\n')[16].slice(24, 30), '"selu"');
  assert.deepEqual([dense1.init!.range!.startLine, dense1.init!.range!.startColumn], [18, 32]);
  assert.equal(dense1.init!.range!.endLine, 26);
  assert.deepEqual([m.layers[1].range.startLine, m.layers[2].range.startLine, m.layers[4].range.startLine], [38, 46, 82]);
  assert.deepEqual([m.range.startLine, m.range.startColumn], [0, 0]);
});

test('tf.keras 2.12 CNN: conv / pool spatial sizes, BatchNormalization and batch renorm', () => {
  const m = readFixture('keras2-cnn-batchnorm.json');
  assert.deepEqual(m.input, { shape: [28, 28, 1], assumed: false, layout: 'channels_last' });
  assert.deepEqual(m.layers.map((l) => l.kind), [
    'conv2d', 'batchnorm', 'pool', 'conv2d', 'batchrenorm', 'activation', 'pool', 'dropout', 'dense',
  ]);
  assert.deepEqual(widths(m.layers), [[1, 32], [32, 32], [32, 32], [32, 64], [64, 64], [64, 64], [64, 64], [64, 64], [64, 10]]);
  assert.deepEqual(m.layers.map((l) => l.spatial ?? null), [[26, 26], null, [13, 13], [13, 13], null, null, [], null, null]);
  assert.deepEqual(m.partial, []);

  const conv = m.layers[0];
  assert.deepEqual(conv.conv, { kernel: [3, 3], stride: [1, 1], padding: 'valid', dilation: [1, 1] });
  assert.equal(conv.init!.scheme, 'he_normal');
  assert.equal(conv.init!.weightVariance, 2 / 9); // fan_in = 1 channel * 3 * 3
  assert.equal(conv.activation!.name, 'relu');
  const conv2 = m.layers[3];
  assert.equal(conv2.conv!.padding, 'same');
  assert.equal(conv2.init!.scheme, 'glorot_uniform');
  assert.equal(conv2.init!.explicit, true);
  assert.equal(conv2.init!.weightVariance, 2 / (32 * 9 + 64 * 9));
  assert.equal(conv2.activation!.name, 'linear');

  assert.deepEqual(m.layers[1].norm, { convention: 'keras', momentum: 0.99, eps: 1e-3, affine: true, axis: [3] });
  const renorm = m.layers[4].norm!;
  assert.equal(renorm.momentum, 0.9);
  assert.equal(renorm.eps, 1e-5);
  assert.deepEqual(renorm.renorm, { rmax: 3, dmax: 5 });
  assert.deepEqual(m.layers[6].pool, { op: 'global_avg', kernel: [], stride: [], padding: 'valid', dims: 2 });
  assert.deepEqual(m.layers[2].pool, { op: 'max', kernel: [2, 2], stride: [2, 2], padding: 'valid', dims: 2 });
  assert.deepEqual(m.layers[5].activation && { name: m.layers[5].activation.name, param: m.layers[5].activation.param }, { name: 'elu', param: 1 });
  assert.equal(m.layers[7].rate, 0.5);
});

test('Keras 3 functional: residual Add, LayerNormalization, LeakyReLU negative_slope, LecunNormal object', () => {
  const m = readFixture('keras3-functional-residual.json');
  assert.equal(m.name, 'residual_mlp');
  assert.deepEqual(m.input, { shape: [64], assumed: false });
  assert.deepEqual(m.partial, []);
  assert.deepEqual(m.layers.map((l) => `${l.name}:${l.kind}`), [
    'dense:dense', 'dense_1:dense', 'add:residual', 'layer_normalization:layernorm', 'leaky_re_lu:activation', 'dense_2:dense',
  ]);
  assert.deepEqual(widths(m.layers), [[64, 64], [64, 64], [64, 64], [64, 64], [64, 64], [64, 10]]);
  // add = dense_1 (main path, the layer before) + dense (skip branch, index 0).
  assert.deepEqual(m.layers[2].residual, { from: 0 });
  assert.equal(m.layers[0].init!.scheme, 'lecun_normal');
  assert.equal(m.layers[0].init!.weightVariance, 1 / 64);
  assert.equal(m.layers[1].init!.scheme, 'he_normal');
  assert.equal(m.layers[1].init!.weightVariance, 2 / 64);
  assert.deepEqual(m.layers[3].norm, { convention: 'keras', momentum: null, eps: 1e-3, affine: true, axis: -1 });
  assert.equal(m.layers[4].activation!.name, 'leaky_relu');
  assert.equal(m.layers[4].activation!.param, 0.3);
  assert.equal(m.layers[2].range.startLine, 157);
});

test('Keras 3 nested Sequential: flattened in order, names prefixed, widths carried through', () => {
  const m = readFixture('keras3-nested-sequential.json');
  assert.equal(m.name, 'classifier');
  assert.deepEqual(m.layers.map((l) => l.name), ['encoder/dense', 'encoder/dense_1', 'alpha_dropout', 'dense_2']);
  assert.deepEqual(m.layers.map((l) => l.index), [0, 1, 2, 3]);
  assert.deepEqual(widths(m.layers), [[784, 128], [128, 32], [32, 32], [32, 10]]);
  assert.deepEqual(m.layers.map((l) => l.init?.weightVariance ?? null), [1 / 784, 1 / 128, null, 2 / 42]);
  // One-line file: everything is on line 0, columns tell layers apart.
  assert.ok(m.layers.every((l) => l.range.startLine === 0));
  assert.ok(m.layers[1].range.startColumn > m.layers[0].range.endColumn);
  assert.deepEqual(m.partial, []);
});

test('Keras 2.1 Sequential whose config is the layer list', () => {
  const m = readFixture('keras21-config-list.json');
  assert.deepEqual(m.input, { shape: [100], assumed: false });
  assert.deepEqual(m.layers.map((l) => l.kind), ['dense', 'dropout', 'dense', 'batchnorm', 'dense']);
  assert.deepEqual(widths(m.layers), [[100, 64], [64, 64], [64, 64], [64, 64], [64, 1]]);
  // VarianceScaling(2.0, fan_in, "normal") is he_normal (Keras <= 2.2 spelling of truncated normal).
  assert.equal(m.layers[2].init!.scheme, 'he_normal');
  assert.equal(m.layers[2].init!.distribution, 'truncated_normal');
  assert.equal(m.layers[2].init!.weightVariance, 2 / 64);
  assert.equal(m.layers[2].activation!.name, 'tanh');
  assert.deepEqual(m.layers[3].norm, { convention: 'keras', momentum: 0.99, eps: 1e-3, affine: true, axis: -1 });
});

test('truncated Keras file: syntax error with 1-based line and column in the message, 0-based range', () => {
  const result = readJsonModels(readFileSync(join(__dirname, '../fixtures/json/keras2-truncated.json'), 'utf8'));
  assert.equal(result.format, 'keras-json');
  assert.deepEqual(result.models, []);
  assert.match(result.error!.message, /^JSON syntax error at line 52, column 22: .*truncated/);
  assert.deepEqual(result.error!.range, { startLine: 51, startColumn: 21, endLine: 51, endColumn: 21 });
});
