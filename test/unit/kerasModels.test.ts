import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileModels } from '../../core/ir';
import { TRUNCATED_NORMAL_STD } from '../../core/initializers';
import { loadPythonParser } from '../../core/frontends/python/parser';
import { readPythonModels } from '../../core/frontends/python/readPython';

async function readFixture(name: string): Promise<FileModels> {
  const parser = await loadPythonParser();
  return readPythonModels(readFileSync(join(__dirname, '../fixtures/keras', name), 'utf8'), parser);
}

async function readText(text: string): Promise<FileModels> {
  return readPythonModels(text, await loadPythonParser());
}

function close(a: number | null | undefined, b: number, what: string): void {
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
}

test('Sequential + model.add in a loop: inline activations stay on Dense, lecun_normal, fit(batch_size)', async () => {
  const r = await readFixture('sequentialSnn.py');
  assert.equal(r.format, 'keras');
  const [snn, relu] = r.models;
  assert.equal(snn.name, 'snn_mlp');
  assert.equal(snn.framework, 'keras');
  assert.equal(snn.batchSize, 32);
  assert.deepEqual(snn.input, { shape: [784], assumed: false });
  assert.equal(snn.layers.length, 1 + 5 * 2 + 1);
  const d0 = snn.layers[0];
  assert.deepEqual([d0.name, d0.kind, d0.in.value, d0.out.value, d0.activation?.name], ['dense', 'dense', 784, 512, 'selu']);
  assert.equal(d0.init?.scheme, 'lecun_normal');
  assert.equal(d0.init?.distribution, 'truncated_normal');
  assert.equal(d0.init?.framework, 'keras');
  close(d0.init!.weightVariance, 1 / 784, 'lecun_normal (Keras corrects truncation)');
  assert.equal(d0.init?.range?.startLine, 11);
  assert.deepEqual(d0.activation?.range && d0.activation.range.startLine, 11);
  assert.equal(snn.layers[1].kind, 'alphadropout');
  assert.equal(snn.layers[1].name, 'alpha_dropout');
  assert.equal(snn.layers[3].name, 'alpha_dropout_1');
  assert.equal(snn.layers[11].activation?.name, 'softmax');
  assert.equal(snn.layers[11].init?.scheme, 'glorot_uniform'); // Keras default
  assert.equal(snn.layers[11].init?.explicit, false);
  close(snn.layers[11].init!.weightVariance, 2 / (512 + 10), 'glorot_uniform');
  assert.deepEqual(snn.layers[11].bias, { present: true, variance: 0, scheme: 'zeros' });
  assert.deepEqual(snn.partial, []);
  // tf.keras.models.Sequential([...]) with input_dim, tf.nn.relu, BatchNormalization and renorm.
  assert.equal(relu.name, 'relu_net');
  assert.equal(relu.layers[0].activation?.name, 'relu');
  close(relu.layers[0].init!.weightVariance, 2 / 784, 'he_uniform');
  assert.deepEqual(relu.layers[1].norm, { convention: 'keras', momentum: 0.99, eps: 1e-3, affine: true, axis: -1 });
  assert.equal(relu.layers[3].bias?.present, false);
  const renorm = relu.layers[4];
  assert.equal(renorm.kind, 'batchrenorm');
  assert.equal(renorm.norm?.momentum, 0.9);
  assert.equal(renorm.norm?.eps, 1e-5);
  // Keras does not clip when renorm_clipping is not given.
  assert.deepEqual(renorm.norm?.renorm, { rmax: Number.MAX_VALUE, dmax: Number.MAX_VALUE });
  assert.equal(relu.layers[5].activation?.name, 'relu');
});

test('functional API: Input, layers called on tensors, Add()([x, h]) and x + y residuals, initializer objects', async () => {
  const r = await readFixture('functionalResidual.py');
  const m = r.models[0];
  assert.equal(m.name, 'residual_mlp');
  assert.equal(m.range.startLine, 24);
  assert.deepEqual(m.input, { shape: [784], assumed: false });
  assert.equal(m.layers.length, 16);
  close(m.layers[0].init!.weightVariance, 0.05 ** 2, 'RandomNormal(stddev=0.05)');
  assert.equal(m.layers[1].norm?.eps, 1e-6);
  assert.equal(m.layers[2].activation?.name, 'selu');
  assert.equal(m.layers[3].name, 'block0_fc1');
  assert.equal(m.layers[3].init?.scheme, 'lecun_normal');
  const vs = m.layers[4].init!;
  assert.deepEqual([vs.scheme, vs.distribution, vs.mode, vs.scale], ['variance_scaling', 'truncated_normal', 'fan_in', 1]);
  close(vs.weightVariance, 1 / 256, 'VarianceScaling');
  assert.equal(m.layers[5].kind, 'residual');
  assert.equal(m.layers[5].name, 'block0_add');
  assert.deepEqual(m.layers[5].residual, { from: 2 });
  assert.deepEqual(m.layers[11].residual, { from: 8 });
  assert.equal(m.layers[13].kind, 'residual'); // x + skip
  assert.deepEqual(m.layers[13].residual, { from: 11 });
  assert.equal(m.layers[14].norm?.groups, 8);
  assert.equal(m.layers[15].name, 'logits');
  assert.deepEqual(m.partial, []);
});

test('conv nets: Conv2D / pooling / Flatten shapes (channels last), functional GlobalAveragePooling2D', async () => {
  const r = await readFixture('convNet.py');
  const [cnn, gap] = r.models;
  assert.deepEqual(cnn.input, { shape: [28, 28, 1], assumed: false, layout: 'channels_last' });
  assert.deepEqual(cnn.layers.map((l) => l.spatial ?? null), [[26, 26], [13, 13], [13, 13], [6, 6], null, null, null, null]);
  assert.deepEqual(cnn.layers[2].conv, { kernel: [3, 3], stride: [1, 1], padding: 'same', dilation: [1, 1], groups: 1 });
  assert.equal(cnn.layers[4].out.value, 6 * 6 * 64);
  close(cnn.layers[0].init!.weightVariance, 2 / 9, 'he_normal on a 3x3x1 kernel');
  close(cnn.layers[5].init!.weightVariance, 2 / (2304 + 128), 'glorot on Dense after Flatten');
  assert.equal(gap.name, 'gap_net');
  assert.deepEqual(gap.layers.map((l) => l.kind), ['conv2d', 'batchnorm', 'conv2d', 'pool', 'dense']);
  assert.deepEqual(gap.layers[2].spatial, [16, 16]);
  assert.equal(gap.layers[3].pool?.op, 'global_avg');
  assert.equal(gap.layers[4].in.value, 32);
});

test('subclassed keras.Model: call() order, list of layers, build(input_shape)', async () => {
  const r = await readFixture('subclassedModel.py');
  const m = r.models[0];
  assert.equal(m.name, 'SNNClassifier');
  assert.deepEqual(m.input, { shape: [784], assumed: false });
  assert.deepEqual(
    m.layers.map((l) => `${l.kind}:${l.out.value}`),
    ['dense:256', 'alphadropout:256', 'dense:256', 'alphadropout:256', 'dense:128', 'alphadropout:128', 'dense:10'],
  );
  assert.equal(m.layers[0].useRange?.startLine, 16);
  assert.deepEqual(m.partial, []);
});

test('missing input shape: Dense fan-in unknown with symbol input_shape; a directive pins it', async () => {
  const r = await readFixture('missingInput.py');
  const m = r.models[0];
  assert.deepEqual(m.layers[0].in, { value: null, symbol: 'input_shape' });
  assert.equal(m.layers[0].init?.weightVariance, null);
  assert.deepEqual(m.partial.map((p) => p.symbol), ['input_shape']);
  assert.equal(m.layers[1].activation?.param, 0.2); // LeakyReLU(negative_slope=0.2)
  assert.equal(m.layers[3].init?.scheme, 'orthogonal');
  const pinned = (await readFixture('missingInputPinned.py')).models[0];
  assert.deepEqual(pinned.partial, []);
  assert.deepEqual(pinned.input, { shape: [20], assumed: false });
  const gn = pinned.layers[0].init!;
  assert.equal(gn.scheme, 'glorot_normal');
  close(gn.weightVariance, 2 / (20 + 64), 'glorot_normal (truncation corrected)');
  assert.ok(TRUNCATED_NORMAL_STD > 0.87);
});

test('import spellings: keras 3, tf.keras, tensorflow.keras layers, keras.models, snake_case initializers', async () => {
  const variants = [
    "import keras\nm = keras.Sequential([keras.Input(shape=(16,)), keras.layers.Dense(8, activation='selu', kernel_initializer='lecun_normal')])\n",
    "import tensorflow as tf\nm = tf.keras.Sequential([tf.keras.layers.Dense(8, activation='selu', kernel_initializer=tf.keras.initializers.lecun_normal(), input_shape=(16,))])\n",
    "from tensorflow.keras import layers, models\nm = models.Sequential([layers.Dense(8, activation='selu', kernel_initializer='LecunNormal', batch_input_shape=(None, 16))])\n",
    "from keras.models import Sequential\nfrom keras.layers import Dense, Activation\nm = Sequential()\nm.add(Dense(8, input_dim=16, kernel_initializer='lecun_normal'))\nm.add(Activation('selu'))\n",
  ];
  for (const text of variants) {
    const r = await readText(text);
    assert.equal(r.models.length, 1, text);
    const d = r.models[0].layers[0];
    assert.deepEqual([d.in.value, d.out.value, d.init?.scheme], [16, 8, 'lecun_normal'], text);
    close(d.init!.weightVariance, 1 / 16, text);
    const act = d.activation?.name ?? r.models[0].layers[1]?.activation?.name;
    assert.equal(act, 'selu', text);
  }
});

test('Keras initializer variants: RandomUniform, TruncatedNormal, untruncated VarianceScaling, zeros bias', async () => {
  const r = await readText(`from tensorflow import keras
from tensorflow.keras import layers, initializers
m = keras.Sequential([
    layers.Dense(10, input_shape=(40,), kernel_initializer=initializers.RandomUniform(minval=-0.1, maxval=0.1), bias_initializer=initializers.Constant(0.5)),
    layers.Dense(10, kernel_initializer=initializers.TruncatedNormal(stddev=0.1)),
    layers.Dense(10, kernel_initializer=initializers.VarianceScaling(2.0, 'fan_avg', 'untruncated_normal')),
    layers.Dense(10, kernel_initializer=keras.initializers.he_uniform, use_bias=False),
])
`);
  const [a, b, c, d] = r.models[0].layers;
  close(a.init!.weightVariance, 0.04 / 12, 'RandomUniform');
  assert.deepEqual(a.bias, { present: true, variance: 0, scheme: 'constant' });
  close(b.init!.weightVariance, 0.01 * TRUNCATED_NORMAL_STD ** 2, 'TruncatedNormal is not corrected');
  assert.deepEqual([c.init?.distribution, c.init?.mode, c.init?.scale], ['normal', 'fan_avg', 2]);
  close(c.init!.weightVariance, 2 / 10, 'VarianceScaling fan_avg');
  close(d.init!.weightVariance, 2 / 10, 'he_uniform function reference');
  assert.equal(d.bias?.present, false);
});

test('keras Conv1D and AveragePooling1D / GlobalMaxPooling1D on a sequence', async () => {
  const r = await readText(`from tensorflow.keras import layers, models
m = models.Sequential([
    layers.Conv1D(8, 5, strides=1, padding='same', activation='relu', input_shape=(100, 2)),
    layers.AveragePooling1D(pool_size=4),
    layers.Conv1D(16, 3),
    layers.GlobalMaxPooling1D(),
    layers.Dense(1),
])
`);
  const m = r.models[0];
  assert.deepEqual(m.input, { shape: [100, 2], assumed: false, layout: 'channels_last' });
  assert.deepEqual(m.layers.map((l) => l.spatial ?? null), [[100], [25], [23], null, null]);
  assert.ok(Math.abs(m.layers[0].init!.weightVariance! - 2 / (5 * 2 + 5 * 8)) < 1e-15);
  assert.equal(m.layers[3].pool?.op, 'global_max');
  assert.equal(m.layers[4].in.value, 16);
});

test('a file broken while typing: the error is reported, both models are read, the broken one says so', async () => {
  const r = await readFixture('brokenWhileTyping.py');
  assert.equal(r.error?.message, 'Python syntax error at line 11: unexpected "(64, activation="');
  assert.deepEqual(r.models.map((m) => [m.name, m.layers.length]), [['encoder', 2], ['decoder', 1]]);
  assert.deepEqual(r.models[0].partial, []);
  assert.equal(r.models[1].partial.length, 1);
  assert.match(r.models[1].partial[0].reason, /^Python syntax error at line 11: .*layers around it may be missing$/);
});

test('functional Input with an unresolved shape names the symbol; a directive pins it', async () => {
  const text = `import keras
inputs = keras.Input(shape=(n_features,))
x = keras.layers.Dense(32, activation='selu')(inputs)
model = keras.Model(inputs, keras.layers.Dense(1)(x))
`;
  const m = (await readText(text)).models[0];
  assert.deepEqual(m.layers[0].in, { value: null, symbol: 'n_features' });
  assert.deepEqual(m.partial.map((p) => [p.symbol, p.reason, p.range?.startLine]), [['n_features', 'input shape could not be resolved', 1]]);
  const pinned = (await readText(`# normlens: n_features=30\n${text}`)).models[0];
  assert.deepEqual(pinned.input, { shape: [30], assumed: false });
  assert.deepEqual(pinned.partial, []);
  close(pinned.layers[0].init!.weightVariance, 2 / 62, 'glorot_uniform 30 -> 32');
});
