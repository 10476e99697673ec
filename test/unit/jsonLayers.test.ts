import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Model } from '../../core/ir';
import { readJsonModels } from '../../core/frontends/json/readJson';

// Layer classes and graph shapes beyond the fixtures, as small inline topologies.

function read(value: unknown): Model {
  const r = readJsonModels(JSON.stringify(value, null, 2));
  assert.equal(r.error, null, r.error?.message);
  return r.models[0];
}
const seq = (...layers: unknown[]) => ({ class_name: 'Sequential', config: { name: 's', layers } });
const input = (...shape: (number | null)[]) => ({ class_name: 'InputLayer', config: { batch_input_shape: [null, ...shape], name: 'in' } });
const L = (class_name: string, config: Record<string, unknown> = {}) => ({ class_name, config });
const io = (m: Model) => m.layers.map((l) => [l.in.value, l.out.value]);

test('tf.keras functional x + y (TFOpLambda) and a nested Sequential called as a layer', () => {
  const node = (...names: string[]) => [names.map((n) => [n, 0, 0, {}])];
  const block = {
    class_name: 'Sequential',
    config: { name: 'block', layers: [L('Dense', { name: 'inner_1', units: 32, activation: 'relu' }), L('Dense', { name: 'inner_2', units: 32 })] },
    name: 'block',
    inbound_nodes: node('stem'),
  };
  const m = read({
    class_name: 'Functional',
    config: {
      name: 'f',
      layers: [
        { class_name: 'InputLayer', name: 'x', config: { name: 'x', batch_input_shape: [null, 10] }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'stem', config: { name: 'stem', units: 32 }, inbound_nodes: node('x') },
        block,
        {
          class_name: 'TFOpLambda', name: 'tf.__operators__.add',
          config: { name: 'tf.__operators__.add', trainable: true, dtype: 'float32', function: '__operators__.add' },
          inbound_nodes: [[['block', 0, 0, { y: ['stem', 0, 0], name: null }]]],
        },
        { class_name: 'Dense', name: 'out', config: { name: 'out', units: 3 }, inbound_nodes: node('tf.__operators__.add') },
      ],
      input_layers: [['x', 0, 0]],
      output_layers: [['out', 0, 0]],
    },
  });
  assert.deepEqual(m.layers.map((l) => `${l.name}:${l.kind}`), [
    'stem:dense', 'block/inner_1:dense', 'block/inner_2:dense', 'tf.__operators__.add:residual', 'out:dense',
  ]);
  assert.deepEqual(io(m), [[10, 32], [32, 32], [32, 32], [32, 32], [32, 3]]);
  assert.deepEqual(m.layers[3].residual, { from: 0 });
  assert.deepEqual(m.partial, []);
});

test('Keras 3 functional: flat input_layers, serialised activation functions, multiple inputs, shared layers', () => {
  const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 8], dtype: 'float32', keras_history: [name, 0, 0] } });
  const call = (...names: string[]) => ({ args: names.length === 1 ? [kt(names[0])] : [names.map(kt)], kwargs: {} });
  const m = read({
    module: 'keras.src.models.functional', class_name: 'Functional',
    config: {
      name: 'two_in',
      layers: [
        { class_name: 'InputLayer', name: 'a', config: { batch_shape: [null, 8], name: 'a' }, inbound_nodes: [] },
        { class_name: 'InputLayer', name: 'b', config: { batch_shape: [null, 4], name: 'b' }, inbound_nodes: [] },
        {
          class_name: 'Dense', name: 'shared',
          config: { name: 'shared', units: 8, activation: { module: 'builtins', class_name: 'function', config: 'gelu', registered_name: 'function' } },
          inbound_nodes: [call('a'), call('a')],
        },
        { class_name: 'Concatenate', name: 'cat', config: { name: 'cat', axis: -1 }, inbound_nodes: [call('shared', 'b')] },
      ],
      input_layers: [['a', 0, 0], ['b', 0, 0]],
      output_layers: ['cat', 0, 0],
    },
  });
  assert.deepEqual(m.input.shape, [8]);
  assert.deepEqual(io(m), [[8, 8], [8, 12]]);
  assert.equal(m.layers[0].activation!.name, 'gelu');
  assert.equal(m.layers[1].kind, 'other');
  assert.ok(m.partial.some((p) => /several inputs/.test(p.reason)));
  assert.ok(m.partial.some((p) => /called 2 times \(shared\)/.test(p.reason)));
});

test('channels_first Conv2D, DepthwiseConv2D fan-in, strided same padding, window that does not fit', () => {
  const cf = read(seq(
    L('Conv2D', { name: 'c', filters: 16, kernel_size: [3, 3], data_format: 'channels_first', batch_input_shape: [null, 3, 32, 32], kernel_initializer: 'lecun_normal' }),
    L('MaxPooling2D', { name: 'p', pool_size: [2, 2], strides: null, data_format: 'channels_first' }),
    L('Flatten', { name: 'f' }),
  ));
  assert.deepEqual(cf.input, { shape: [3, 32, 32], assumed: false, layout: 'channels_first' });
  assert.deepEqual(io(cf), [[3, 16], [16, 16], [16, 16 * 15 * 15]]);
  assert.deepEqual(cf.layers.map((l) => l.spatial ?? null), [[30, 30], [15, 15], null]);
  assert.equal(cf.layers[0].init!.weightVariance, 1 / 27);

  const dw = read(seq(
    input(16, 16, 8),
    L('DepthwiseConv2D', { name: 'dw', kernel_size: 3, strides: 2, padding: 'same', depth_multiplier: 2, depthwise_initializer: { class_name: 'HeNormal', config: {} } }),
  ));
  const layer = dw.layers[0];
  assert.equal(layer.kind, 'conv2d');
  assert.deepEqual([layer.in.value, layer.out.value, layer.spatial], [8, 16, [8, 8]]);
  assert.equal(layer.conv!.groups, 8);
  // Keras scales the depthwise init by in_channels * 9 although each output sees 9 inputs.
  assert.equal(layer.init!.weightVariance, 2 / (8 * 9));
  assert.equal(layer.init!.sigmaW2, 2 / 8);

  const tooSmall = read(seq(input(4, 4, 1), L('Conv2D', { name: 'big', filters: 2, kernel_size: 5 })));
  assert.equal(tooSmall.layers[0].spatial, null);
  assert.match(tooSmall.partial[0].reason, /window does not fit its input \[4, 4\]/);
});

test('normalization variants: GroupNormalization, tfa InstanceNormalization, renorm without clipping', () => {
  const m = read(seq(
    input(8, 8, 64),
    L('GroupNormalization', { name: 'gn', groups: 8, axis: -1, epsilon: 1e-3 }),
    L('GroupNormalization', { name: 'gn_default' }),
    L('Addons>InstanceNormalization', { name: 'in', axis: -1, epsilon: 1e-5 }),
    L('BatchNormalization', { name: 'brn', renorm: true, renorm_clipping: null }),
    L('LayerNormalization', { name: 'ln', axis: [1, 2, 3] }),
  ));
  assert.deepEqual(m.layers.map((l) => l.kind), ['groupnorm', 'groupnorm', 'instancenorm', 'batchrenorm', 'layernorm']);
  assert.deepEqual([m.layers[0].norm!.groups, m.layers[1].norm!.groups], [8, 32]);
  assert.equal(m.layers[2].norm!.eps, 1e-5);
  assert.deepEqual(m.layers[3].norm!.renorm, { rmax: Number.MAX_VALUE, dmax: Number.MAX_VALUE });
  assert.equal(m.layers[3].norm!.momentum, 0.99);
  // LayerNormalization over all three per-sample axes: width 8 * 8 * 64.
  assert.equal(m.layers[4].in.value, 4096);
  assert.deepEqual(m.partial, []);
});

test('activation layers and activations with parameters', () => {
  const m = read(seq(
    input(5),
    L('ELU', { name: 'elu', alpha: 0.5 }),
    L('ReLU', { name: 'relu6', max_value: 6.0, negative_slope: 0.0, threshold: 0.0 }),
    L('LeakyReLU', { name: 'lrelu2', alpha: 0.3 }),
    L('PReLU', { name: 'prelu' }),
    L('Softmax', { name: 'sm', axis: -1 }),
    L('Activation', { name: 'act', activation: 'leaky_relu' }),
    L('Dense', { name: 'd', units: 2, activation: 'elu' }),
  ));
  assert.deepEqual(
    m.layers.map((l) => [l.kind, l.activation?.name, l.activation?.param]),
    [
      ['activation', 'elu', 0.5], ['activation', 'relu6', undefined], ['activation', 'leaky_relu', 0.3],
      ['activation', 'prelu', undefined], ['activation', 'softmax', undefined], ['activation', 'leaky_relu', 0.2],
      ['dense', 'elu', 1],
    ],
  );
  // The range of a layer-form activation is its class name, of an inline one its value.
  const text = JSON.stringify(seq(input(5), L('ELU', { name: 'elu' })), null, 2);
  const elu = readJsonModels(text).models[0].layers[0];
  const line = text.split('\n')[elu.activation!.range!.startLine];
  assert.equal(line.slice(elu.activation!.range!.startColumn, elu.activation!.range!.endColumn), '"ELU"');
});

test('sequence and shape layers: Embedding, LSTM, TimeDistributed, Reshape, ZeroPadding2D, UpSampling2D', () => {
  const m = read(seq(
    L('Embedding', { name: 'emb', input_dim: 1000, output_dim: 64, batch_input_shape: [null, 20] }),
    L('LSTM', { name: 'lstm', units: 32, return_sequences: true }),
    L('TimeDistributed', { name: 'td', layer: { class_name: 'Dense', config: { name: 'd', units: 16, activation: 'selu', kernel_initializer: 'lecun_normal' } } }),
    L('Bidirectional', { name: 'bi', layer: { class_name: 'GRU', config: { units: 8 } }, merge_mode: 'concat' }),
    L('Reshape', { name: 'r', target_shape: [4, 4, -1] }),
    L('ZeroPadding2D', { name: 'zp', padding: [[1, 1], [2, 2]] }),
    L('UpSampling2D', { name: 'up', size: [2, 2] }),
    L('GlobalMaxPooling2D', { name: 'gmp' }),
  ));
  assert.deepEqual(io(m), [[20, 64], [64, 32], [32, 16], [16, 16], [16, 1], [1, 1], [1, 1], [1, 1]]);
  assert.equal(m.layers[2].sourceType, 'TimeDistributed(Dense)');
  assert.equal(m.layers[2].kind, 'dense');
  assert.equal(m.layers[2].init!.weightVariance, 1 / 32);
  assert.deepEqual(m.layers.map((l) => l.spatial ?? null), [null, null, null, null, null, [6, 8], [12, 16], []]);
  assert.deepEqual(m.partial.filter((p) => p.symbol !== 'input_shape'), []);
});

test('Keras 1 spellings: output_dim, init, input_dim, Convolution2D nb_filter / nb_row / border_mode, Dropout p', () => {
  const m = read({
    class_name: 'Sequential',
    config: [
      L('Convolution2D', { name: 'conv', nb_filter: 8, nb_row: 3, nb_col: 3, border_mode: 'same', subsample: [2, 2], dim_ordering: 'tf', init: 'he_normal', batch_input_shape: [null, 10, 10, 3] }),
      L('Flatten', { name: 'flat' }),
      L('Dropout', { name: 'drop', p: 0.25 }),
      L('Dense', { name: 'dense', output_dim: 10, init: 'glorot_uniform', activation: 'softmax' }),
    ],
  });
  assert.deepEqual(io(m), [[3, 8], [8, 200], [200, 200], [200, 10]]);
  assert.deepEqual(m.layers[0].spatial, [5, 5]);
  assert.equal(m.layers[0].init!.scheme, 'he_normal');
  assert.equal(m.layers[2].rate, 0.25);
  const wn = read(seq(input(6), L('Addons>WeightNormalization', { name: 'wn', layer: { class_name: 'Dense', config: { units: 4 } } })));
  assert.equal(wn.layers[0].weightNorm, true);
  assert.equal(wn.layers[0].out.value, 4);
});

test('CRLF files: layer ranges land on the editor lines', () => {
  const text = JSON.stringify(seq(input(3), L('Dense', { name: 'd', units: 2 })), null, 2).replace(/\n/g, '\r\n');
  const m = readJsonModels(text).models[0];
  const lines = text.split('\r\n');
  assert.equal(lines[m.layers[0].range.startLine].trim(), '{');
  assert.match(lines[m.layers[0].range.startLine + 1], /"class_name": "Dense"/);
});

test('Keras 3 functional nested inside a functional: inner InputLayer takes the parent tensor', () => {
  const kt = (name: string) => ({ class_name: '__keras_tensor__', config: { shape: [null, 16], dtype: 'float32', keras_history: [name, 0, 0] } });
  const call = (...names: string[]) => [{ args: names.length === 1 ? [kt(names[0])] : [names.map(kt)], kwargs: {} }];
  const inner = {
    module: 'keras.src.models.functional', class_name: 'Functional', name: 'resblock', inbound_nodes: call('proj'),
    config: {
      name: 'resblock',
      layers: [
        { class_name: 'InputLayer', name: 'block_in', config: { batch_shape: [null, 16], name: 'block_in' }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'fc', config: { name: 'fc', units: 16, activation: 'selu' }, inbound_nodes: call('block_in') },
        { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: call('fc', 'block_in') },
      ],
      input_layers: ['block_in', 0, 0],
      output_layers: ['sum', 0, 0],
    },
  };
  const m = read({
    module: 'keras.src.models.functional', class_name: 'Functional',
    config: {
      name: 'outer',
      layers: [
        { class_name: 'InputLayer', name: 'x', config: { batch_shape: [null, 4], name: 'x' }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'proj', config: { name: 'proj', units: 16 }, inbound_nodes: call('x') },
        inner,
        { class_name: 'Dense', name: 'head', config: { name: 'head', units: 1 }, inbound_nodes: call('resblock') },
      ],
      input_layers: ['x', 0, 0],
      output_layers: ['head', 0, 0],
    },
  });
  assert.deepEqual(m.layers.map((l) => l.name), ['proj', 'resblock/fc', 'resblock/sum', 'head']);
  assert.deepEqual(io(m), [[4, 16], [16, 16], [16, 16], [16, 1]]);
  // The block's skip is its input, which is the parent's "proj" layer (index 0), not the model input.
  assert.deepEqual(m.layers[2].residual, { from: 0 });
  assert.deepEqual(m.input.shape, [4]);
  assert.deepEqual(m.partial, []);
});

test('shape layers that cannot be resolved keep channels and say why', () => {
  const m = read(seq(
    input(8, 8, 3),
    L('ZeroPadding2D', { name: 'zp', padding: 'lots' }),
    L('Reshape', { name: 'r', target_shape: 'flat' }),
    L('Embedding', { name: 'e', output_dim: -1 }),
  ));
  assert.deepEqual(io(m), [[3, 3], [3, null], [null, null]]);
  assert.deepEqual(m.partial.map((p) => [p.symbol, p.layer]), [['zp', 0], ['r.target_shape', 1], ['e.output_dim', 2]]);
});
