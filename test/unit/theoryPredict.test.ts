import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ActivationName, Framework, InitSpec, Layer, LayerKind, Model } from '../../core/ir';
import { defaultBias, defaultInit, namedInit } from '../../core/initializers';
import { predictModel } from '../../core/theory/predict';
import { alphaDropoutAffine } from '../../core/theory/selu';
import { avgPoolMoments, maxPoolMoments } from '../../core/theory/pooling';
import { activationModel } from '../../core/theory/activations';

const RANGE = { startLine: 0, startColumn: 0, endLine: 0, endColumn: 0 };

function close(actual: number, expected: number, tol: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${what} ${actual} vs ${expected} (tol ${tol})`);
}

/** A layer with everything unset except what the test gives. */
function layer(kind: LayerKind, extra: Partial<Layer> = {}): Layer {
  return {
    index: 0,
    name: kind,
    kind,
    sourceType: kind,
    in: { value: null, symbol: null },
    out: { value: null, symbol: null },
    activation: null,
    init: null,
    bias: null,
    norm: null,
    rate: null,
    range: RANGE,
    ...extra,
  };
}

function dense(width: number | null, act: ActivationName | null, init: InitSpec, framework: Framework = 'pytorch'): Layer {
  return layer('dense', {
    in: { value: width, symbol: width === null ? 'hidden' : null },
    out: { value: width, symbol: width === null ? 'hidden' : null },
    activation: act ? { name: act } : null,
    init,
    bias: defaultBias(framework, width),
  });
}

function model(layers: Layer[], framework: Framework = 'pytorch', shape: number[] = [256]): Model {
  layers.forEach((l, i) => { l.index = i; });
  return { name: 'm', framework, range: RANGE, input: { shape, assumed: false }, batchSize: null, layers, partial: [] };
}

const normal1: InitSpec = { scheme: 'normal', framework: 'pytorch', distribution: 'normal', std: 1, explicit: true, weightVariance: null, sigmaW2: null };

test('SELU + pytorch_default collapses the variance with depth; Theorem 1 flags tau = 1/3', () => {
  const p = predictModel(model(Array.from({ length: 24 }, () => dense(256, 'selu', defaultInit('pytorch')))));
  for (let i = 1; i < 24; i++) assert.ok(p.layers[i].variance < p.layers[i - 1].variance, `layer ${i} decreases`);
  assert.ok(p.layers[23].variance < 0.01, `last variance ${p.layers[23].variance}`);
  const s = p.layers[0].selu!;
  close(s.tau, 1 / 3, 1e-15);
  assert.equal(s.inDomain, false);
  assert.deepEqual(s.violations, ['tau=0.333 < 0.95']);
  assert.equal(s.varianceFixedPoint, 0);
  const sug = p.layers[0].suggestion!;
  assert.equal(sug.scheme, 'lecun_normal');
  assert.equal(sug.sigmaW2, 1);
  assert.match(sug.reason, /collapses/);
  assert.ok(p.totalGradGain < 1e-4, 'gradients vanish');
});

test('SELU + lecun_normal sits at the fixed point (0, 1)', () => {
  const p = predictModel(model(Array.from({ length: 8 }, () => dense(256, 'selu', namedInit('lecun_normal', 'keras'), 'keras')), 'keras'));
  for (const l of p.layers) {
    close(l.mean, 0, 1e-14);
    close(l.variance, 1, 1e-13);
    assert.equal(l.selu!.inDomain, true);
    close(l.selu!.jacobianNorm, 0.7876733604657, 1e-12);
  }
  close(p.varianceRatio, 1, 1e-13);
});

test('batchnorm resets to mean 0, variance 1 (eps included) and divides the gradient gain by the variance', () => {
  const p = predictModel(model([
    dense(256, null, normal1),
    layer('batchnorm', { norm: { convention: 'pytorch', momentum: 0.1, eps: 1e-5, affine: true } }),
    layer('activation', { activation: { name: 'relu' } }),
  ]));
  const q = p.layers[0].preVariance!;
  close(q, 256 + 1 / (3 * 256), 1e-12, 'sigma_w^2 = fan_in for N(0, 1) weights, plus the default bias');
  close(p.layers[1].mean, 0, 0);
  close(p.layers[1].variance, q / (q + 1e-5), 1e-15);
  close(p.layers[1].gradGain, 1 / (q + 1e-5), 1e-15);
  close(p.layers[2].variance, (0.5 - 1 / (2 * Math.PI)) * p.layers[1].variance, 1e-12);
  assert.equal(p.layers[2].inactive, 0.5);
  assert.equal(p.layers[0].suggestion, null, 'init scale does not matter before a norm layer');
});

test('dropout and alpha dropout', () => {
  const p = predictModel(model([
    dense(64, 'selu', namedInit('lecun_normal', 'keras'), 'keras'),
    layer('dropout', { rate: 0.1 }),
    dense(64, 'selu', namedInit('lecun_normal', 'keras'), 'keras'),
    layer('alphadropout', { rate: 0.2 }),
    layer('dropout', { rate: null }),
    layer('dropout', { rate: 1 }),
  ], 'keras'));
  close(p.layers[1].mean, p.layers[0].mean, 0);
  close(p.layers[1].secondMoment, 1 / 0.9, 1e-13);
  close(p.layers[1].gradGain, 1 / 0.9, 1e-15);
  // After inverted dropout E[x^2] = 1/0.9, so the next SELU layer sees q = 1/0.9 and leaves (0, 1).
  assert.ok(p.layers[2].variance > 1);
  const { a } = alphaDropoutAffine(0.2);
  const expectMean = a * (0.8 * p.layers[2].mean + 0.2 * -1.7580993408473766) + (0 - a * 0.2 * -1.7580993408473766);
  close(p.layers[3].mean, expectMean, 1e-14);
  close(p.layers[3].gradGain, a * a * 0.8, 1e-15);
  assert.match(p.layers[4].unknown!, /rate unresolved/);
  close(p.layers[4].variance, p.layers[3].variance, 0);
  assert.match(p.layers[5].unknown!, /outside \[0, 1\)/);
});

test('alpha dropout after a SELU layer at the fixed point keeps (0, 1)', () => {
  const p = predictModel(model([dense(64, 'selu', namedInit('lecun_normal', 'keras'), 'keras'), layer('alphadropout', { rate: 0.05 })], 'keras'));
  close(p.layers[1].mean, 0, 1e-14);
  close(p.layers[1].variance, 1, 1e-13);
});

test('separate activation layer: SELU check on the activation, suggestion on the dense', () => {
  const p = predictModel(model([dense(128, null, { ...namedInit('kaiming_normal', 'pytorch'), scale: 0.5625, nonlinearity: 'selu' }), layer('activation', { activation: { name: 'selu' } })]));
  close(p.layers[0].preVariance!, 0.5625 + 1 / (3 * 128), 1e-14);
  assert.equal(p.layers[0].selu, null);
  const s = p.layers[1].selu!;
  close(s.tau, 0.5625, 0);
  assert.deepEqual(s.violations, ['tau=0.563 < 0.95']);
  assert.equal(p.layers[0].suggestion!.scheme, 'lecun_normal');
});

test('ReLU / tanh gradient gains and suggestions', () => {
  const relu = predictModel(model(Array.from({ length: 4 }, () => dense(100, 'relu', { ...namedInit('kaiming_normal', 'pytorch'), scale: 2 }))));
  for (const l of relu.layers) close(l.gradGain, 2 * 0.5, 1e-13);
  assert.equal(relu.layers[0].suggestion!.scheme, 'kaiming_normal');
  const tanh = predictModel(model([dense(100, 'tanh', namedInit('xavier_normal', 'pytorch'))]));
  const sug = tanh.layers[0].suggestion!;
  // PyTorch default bias variance 1/300 moves the tanh edge of chaos just above 1.
  assert.ok(sug.criticalSigmaW2 > 1 && sug.criticalSigmaW2 < 1.424, `${sug.criticalSigmaW2}`);
  const leaky = predictModel(model([dense(100, null, namedInit('he_normal', 'keras'), 'keras'), layer('activation', { activation: { name: 'leaky_relu', param: 0.3 } })], 'keras'));
  close(leaky.layers[0].suggestion!.criticalSigmaW2, 2 / 1.09, 1e-14);
  assert.equal(leaky.layers[0].suggestion!.scheme, 'variance_scaling');
});

test('unresolved widths: lecun stays known, glorot (fan_avg) is unknown but propagation continues', () => {
  const p = predictModel(model([
    dense(null, 'selu', namedInit('lecun_normal', 'keras'), 'keras'),
    dense(null, 'tanh', namedInit('glorot_uniform', 'keras'), 'keras'),
    layer('other', { sourceType: 'MyBlock' }),
  ], 'keras'));
  assert.equal(p.layers[0].unknown, null);
  close(p.layers[0].variance, 1, 1e-13);
  assert.match(p.layers[1].unknown!, /glorot_uniform.*unresolved: hidden/);
  assert.ok(p.layers[1].variance > 0 && Number.isFinite(p.layers[1].variance));
  assert.match(p.layers[2].unknown!, /MyBlock/);
  close(p.layers[2].variance, p.layers[1].variance, 0);
});

test('residual add: variances add, the gradient reaches the skip source both ways', () => {
  const p = predictModel(model([
    dense(32, null, namedInit('lecun_normal', 'keras'), 'keras'),
    layer('residual', { residual: { from: -1 } }),
  ], 'keras'));
  close(p.layers[1].variance, 2, 1e-14);
  close(p.layers[1].cumulativeGradGain, 2, 1e-14);
  close(p.layers[1].gradGain, 2, 1e-14);
});

test('pooling: i.i.d. max / avg moments, exact through a monotone activation, identity when correlated', () => {
  const gauss = { mean: 0, variance: 1, secondMoment: 1, gaussian: true, source: null };
  const m2 = maxPoolMoments(gauss, 2);
  close(m2.mean, 1 / Math.sqrt(Math.PI), 1e-13);
  close(m2.secondMoment, 1, 1e-13);
  const m4 = maxPoolMoments(gauss, 4);
  close(m4.mean, 1.029375373003964, 1e-12);
  close(m4.secondMoment, 1.551328895421792, 1e-12);
  const relu = activationModel('relu');
  const viaRelu = maxPoolMoments({ mean: 0, variance: 0, secondMoment: 0, gaussian: false, source: { act: relu, m: 0, q: 1, a: 1, b: 0 } }, 4);
  close(viaRelu.mean, 1.045755515522351, 1e-12);
  close(viaRelu.secondMoment, 1.543785011585704, 1e-12);
  assert.equal(maxPoolMoments(gauss, 4, 1).mean, 0);
  const half = maxPoolMoments(gauss, 4, 0.5);
  // h_i = sqrt(.5) Z0 + sqrt(.5) Z_i: E[max] = sqrt(.5) E[max of 4].
  close(half.mean, Math.SQRT1_2 * 1.029375373003964, 1e-10);
  close(avgPoolMoments(gauss, 4).variance, 0.25, 0);
  close(avgPoolMoments(gauss, 4, 0.5).variance, 0.625, 1e-15);
  const conv = layer('conv2d', {
    in: { value: 3, symbol: null },
    out: { value: 16, symbol: null },
    activation: { name: 'relu' },
    init: { ...namedInit('kaiming_normal', 'pytorch'), scale: 2 },
    bias: { present: false, variance: 0, scheme: 'zeros' },
    conv: { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1] },
    spatial: [8, 8],
  });
  const pool = layer('pool', { pool: { op: 'max', kernel: [2, 2], stride: [2, 2], padding: 'valid', dims: 2 }, spatial: [4, 4] });
  const gap = layer('pool', { pool: { op: 'global_avg', kernel: [], stride: [], padding: 'valid', dims: 2 } });
  const p = predictModel(model([conv, pool, gap], 'pytorch', [3, 8, 8]));
  close(p.layers[0].preVariance!, 2, 1e-14, 'fan_in = 3 * 9');
  close(p.layers[1].mean, 1.045755515522351 * Math.SQRT2, 1e-11);
  close(p.layers[2].variance, p.layers[1].variance / 16, 1e-15);
  const unknownSpatial = predictModel(model([gap], 'pytorch', [16]));
  assert.match(unknownSpatial.layers[0].unknown!, /window size unknown/);
});

test('weight norm: PyTorch leaves the init unchanged, Keras data init sets q = 1', () => {
  const torch = predictModel(model([{ ...dense(64, 'tanh', normal1), weightNorm: true }]));
  close(torch.layers[0].preVariance!, 64 + 1 / 192, 1e-12);
  assert.ok(torch.layers[0].notes!.some((n) => /weight_norm/.test(n)));
  const keras = predictModel(model([{ ...dense(64, 'tanh', { ...normal1, framework: 'keras' }, 'keras'), weightNorm: true }], 'keras'));
  close(keras.layers[0].preVariance!, 1, 0);
});

test('empty model and input options', () => {
  const p = predictModel(model([]), { inputVariance: 4 });
  assert.deepEqual(p, { layers: [], totalGradGain: 1, varianceRatio: 1, input: { mean: 0, variance: 4 } });
  const q = predictModel(model([dense(10, null, namedInit('lecun_normal', 'keras'), 'keras')], 'keras'), { inputMean: 1, inputVariance: 1 });
  close(q.layers[0].preVariance!, 2, 1e-15, 'q = sigma_w^2 E[x^2] with E[x^2] = 2');
});
