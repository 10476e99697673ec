import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TRUNCATED_NORMAL_STD } from '../../core/initializers';
import { GRAPH_MODEL_ERROR, looksLikeModelJson, readJsonModels } from '../../core/frontends/json/readJson';

// TensorFlow.js model.json fixtures: two written by tfjs-layers 4.22 model.save, one by tensorflowjs_converter
// from a Keras h5 (topology under modelTopology.model_config), one graph model.

function fixtureText(name: string): string {
  return readFileSync(join(__dirname, '../fixtures/json', name), 'utf8');
}

test('tfjs-layers Sequential model.json: tfjs framework, uncorrected truncated normal (0.7737 / fan_in)', () => {
  const result = readJsonModels(fixtureText('tfjs-layers-sequential.model.json'));
  assert.equal(result.format, 'tfjs-json');
  assert.equal(result.error, null);
  const m = result.models[0];
  assert.equal(m.name, 'snn_tfjs');
  assert.equal(m.framework, 'tfjs');
  assert.deepEqual(m.input, { shape: [784], assumed: false });
  assert.deepEqual(m.partial, []);
  assert.deepEqual(m.layers.map((l) => l.kind), ['dense', 'alphadropout', 'dense', 'batchnorm', 'activation', 'dense']);
  assert.deepEqual(m.layers.map((l) => [l.in.value, l.out.value]), [[784, 256], [256, 256], [256, 256], [256, 256], [256, 256], [256, 10]]);

  const dense2 = m.layers[2].init!;
  assert.equal(dense2.scheme, 'lecun_normal');
  assert.equal(dense2.framework, 'tfjs');
  assert.equal(dense2.distribution, 'truncated_normal');
  // tfjs leCunNormal omits the 1/0.8796 correction: Var(w) = 0.7737 / 256, sigma_w^2 = 0.7737.
  assert.equal(dense2.weightVariance, (TRUNCATED_NORMAL_STD * TRUNCATED_NORMAL_STD) / 256);
  assert.ok(Math.abs(dense2.weightVariance! * 256 - 0.7737) < 1e-4);
  assert.ok(Math.abs(dense2.sigmaW2! - 0.7737) < 1e-4);
  // tfjs-layers serialises its Dense default (glorotNormal) explicitly.
  assert.equal(m.layers[5].init!.scheme, 'glorot_normal');
  assert.deepEqual(m.layers[3].norm, { convention: 'tfjs', momentum: 0.99, eps: 1e-3, affine: true, axis: -1 });
  assert.deepEqual(
    { name: m.layers[4].activation!.name, param: m.layers[4].activation!.param },
    { name: 'leaky_relu', param: 0.2 },
  );
  assert.equal(m.layers[1].rate, 0.05);
  // model.save writes one line: ranges differ by column.
  assert.deepEqual(m.layers.map((l) => l.range.startLine), [0, 0, 0, 0, 0, 0]);
  const text = fixtureText('tfjs-layers-sequential.model.json');
  const r = m.layers[1].range;
  assert.ok(text.slice(r.startColumn, r.endColumn).startsWith('{"class_name":"AlphaDropout"'));
  assert.ok(text.slice(r.startColumn, r.endColumn).endsWith('}'));
  const act = m.layers[0].activation!.range!;
  assert.equal(text.slice(act.startColumn, act.endColumn), '"selu"');
});

test('tfjs-layers functional model.json: Keras 2 style inbound_nodes lists, Add -> residual', () => {
  const m = readJsonModels(fixtureText('tfjs-layers-functional.model.json')).models[0];
  assert.equal(m.name, 'tfjs_residual');
  assert.deepEqual(m.layers.map((l) => `${l.name}:${l.kind}`), ['fc1:dense', 'fc2:dense', 'skip:residual', 'head:dense']);
  assert.deepEqual(m.layers[2].residual, { from: 0 });
  assert.deepEqual(m.layers.map((l) => [l.in.value, l.out.value]), [[64, 64], [64, 64], [64, 64], [64, 1]]);
  assert.equal(m.layers[0].init!.scheme, 'he_normal');
  assert.equal(m.layers[0].init!.weightVariance, (2 * TRUNCATED_NORMAL_STD ** 2) / 64);
  assert.deepEqual(m.partial, []);
});

test('tensorflowjs_converter output: topology in modelTopology.model_config, Conv1D / pool / Flatten widths', () => {
  const result = readJsonModels(fixtureText('tfjs-converted-keras.model.json'));
  assert.equal(result.format, 'tfjs-json');
  const m = result.models[0];
  assert.equal(m.name, 'sensor_cnn');
  assert.equal(m.framework, 'tfjs');
  assert.deepEqual(m.input, { shape: [100, 8], assumed: false, layout: 'channels_last' });
  assert.deepEqual(m.layers.map((l) => l.kind), ['conv1d', 'pool', 'flatten', 'dense']);
  assert.deepEqual(m.layers.map((l) => [l.in.value, l.out.value]), [[8, 16], [16, 16], [16, 384], [384, 1]]);
  // floor((100 - 5) / 2) + 1 = 48, then pooled by 2.
  assert.deepEqual(m.layers.map((l) => l.spatial ?? null), [[48], [24], null, null]);
  assert.deepEqual(m.layers[0].conv, { kernel: [5], stride: [2], padding: 'valid', dilation: [1] });
  // glorot_uniform: fan_in 8*5 = 40, fan_out 16*5 = 80.
  assert.equal(m.layers[0].init!.weightVariance, 1 / 60);
  assert.deepEqual(m.partial, []);
});

test('tfjs graph model: clear error, not a layers model', () => {
  const text = fixtureText('tfjs-graph-model.json');
  assert.equal(looksLikeModelJson(text), true);
  const result = readJsonModels(text);
  assert.equal(result.format, 'tfjs-json');
  assert.deepEqual(result.models, []);
  assert.equal(result.error!.message, GRAPH_MODEL_ERROR);
  assert.match(result.error!.message, /^This is a TensorFlow\.js graph model \(converted from a SavedModel\); NormLens reads layers models: convert with/);
  assert.match(result.error!.message, /open the Keras source$/);
  assert.ok(result.error!.range);

  // A graph topology without the "format" field (older converters) is recognised by its node list / versions.
  const bare = JSON.parse(text);
  delete bare.format;
  const again = readJsonModels(JSON.stringify(bare));
  assert.equal(again.error!.message, GRAPH_MODEL_ERROR);
});
