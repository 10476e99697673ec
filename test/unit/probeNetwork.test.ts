/**
 * Building trainable networks from the IR: shapes and layouts (PyTorch channels-first vs tfjs NHWC), grouped
 * convolutions, pooling, flatten order, residual adds, Batch Renorm's schedule, cosine normalization, the Keras
 * BatchNorm convention, and a real Keras JSON model read by the JSON front end.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { emptyRange, type Layer, type Model } from '../../core/ir';
import { ProbePlanError } from '../../core/probe/config';
import { applyPendingUpdates, ProbeNetwork, type ForwardContext } from '../../core/probe/network';
import { normForward, renormLimits, type PendingUpdate } from '../../core/probe/norms';
import { resolveNorm } from '../../core/probe/normSettings';
import { plainOps } from '../../core/probe/ops';
import { planNetwork } from '../../core/probe/plan';
import { runProbe } from '../../core/probe/runner';
import { irLayer } from '../../core/probe/syntheticModels';
import { readJsonModels } from '../../core/frontends/json/readJson';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

function model(layers: Layer[], input: number[] | null, framework: Model['framework'] = 'pytorch', layout?: 'channels_first' | 'channels_last'): Model {
  return { name: 'm', framework, range: emptyRange(), input: { shape: input, assumed: false, layout }, batchSize: null, layers, partial: [] };
}

const evalCtx = (capture = false): ForwardContext => ({ ops: plainOps, training: true, dropout: false, step: 0, seed: 0, renormRelaxSteps: 0, capture, pending: null });

const conv2d = (i: number, cin: number, cout: number, extra: Partial<Layer> = {}) =>
  irLayer(i, 'conv2d', cin, cout, { conv: { kernel: [3], stride: [1], padding: [1], dilation: [1] }, ...extra });

test('PyTorch CNN: [C, H, W] input runs NHWC; conv / pool / flatten shapes; flatten in channels-first order', () => {
  const layers = [
    conv2d(0, 3, 4),
    irLayer(1, 'pool', 4, 4, { pool: { op: 'max', kernel: [2], stride: [2], padding: 'valid', dims: 2 } }),
    irLayer(2, 'flatten', 4, 64),
    irLayer(3, 'dense', 64, 5),
  ];
  const plan = planNetwork(model(layers, [3, 8, 8]));
  assert.deepEqual(plan.inputShape, [8, 8, 3]);
  assert.deepEqual(plan.layers.map((l) => l.outShape), [[8, 8, 4], [4, 4, 4], [64], [5]]);
  assert.deepEqual(plan.layers[0].kernelShape, [3, 3, 3, 4]);
  assert.equal(plan.layers[0].fanIn, 27);
  const net = ProbeNetwork.build(plan, { seed: 1 });
  tf.tidy(() => {
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const r = net.forward(x, evalCtx(true));
    assert.deepEqual(r.output.shape, [2, 5]);
    // Flatten equals PyTorch's: NCHW order, i.e. index c*16 + h*4 + w.
    const pooled = r.taps[1].post.arraySync() as number[][][][];
    const flat = r.taps[2].post.arraySync() as number[][];
    assert.equal(flat[1][2 * 16 + 3 * 4 + 1], pooled[1][3][1][2]);
    r.taps.forEach((t) => tf.dispose([t.pre, t.post]));
  });
  net.dispose();
});

test('grouped conv equals per-group convolutions; conv1d, strides, same padding, global / adaptive pools', () => {
  const plan = planNetwork(model([conv2d(0, 4, 6, { conv: { kernel: [3], stride: [2], padding: 'same', dilation: [1], groups: 2 } })], [6, 6, 4], 'keras'));
  assert.deepEqual(plan.layers[0].outShape, [3, 3, 6]);
  const net = ProbeNetwork.build(plan, { seed: 2 });
  tf.tidy(() => {
    const x = tf.randomNormal([1, 6, 6, 4], 0, 1, 'float32', 4);
    const y = net.forward(x, evalCtx()).output;
    const w = net.params[0].kernel!;
    const [x0, x1] = tf.split(x, 2, 3);
    const [w0, w1] = tf.split(w, 2, 3);
    const ref = tf.add(tf.concat([tf.conv2d(x0 as tf.Tensor4D, w0 as tf.Tensor4D, 2, 'same'), tf.conv2d(x1 as tf.Tensor4D, w1 as tf.Tensor4D, 2, 'same')], 3), net.params[0].bias!);
    assert.ok(tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0] < 1e-5);
  });
  net.dispose();
  const p1 = planNetwork(model([
    irLayer(0, 'conv1d', 2, 3, { conv: { kernel: [5], stride: [1], padding: 'valid', dilation: [2] } }),
    irLayer(1, 'pool', 3, 3, { pool: { op: 'avg', kernel: [2], stride: [2], padding: 'valid', dims: 1 } }),
    irLayer(2, 'pool', 3, 3, { pool: { op: 'adaptive_avg', kernel: [], stride: [], padding: 'valid', outputSize: [1], dims: 1 } }),
  ], [2, 20]));
  assert.deepEqual(p1.layers.map((l) => l.outShape), [[12, 3], [6, 3], [3]]);
  const n1 = ProbeNetwork.build(p1, { seed: 3 });
  tf.tidy(() => {
    const r = n1.forward(tf.ones([2, 20, 2]), evalCtx(true));
    // The global average of the pooled map equals the mean over the conv output positions 0..11.
    const conv = r.taps[0].post;
    assert.ok(tf.max(tf.abs(tf.sub(r.output, tf.mean(conv, 1)))).dataSync()[0] < 1e-5);
    r.taps.forEach((t) => tf.dispose([t.pre, t.post]));
  });
  n1.dispose();
});

test('plainOps.conv (sum of per-tap matmuls) equals tf.conv2d / tf.conv1d, forward and gradients, on odd shapes', () => {
  const cases: { x: number[]; k: number[]; stride: number[]; dilation: number[]; padding: 'valid' | 'same' | number[] }[] = [
    { x: [2, 9, 7, 3], k: [3, 3, 3, 5], stride: [1, 1], dilation: [1, 1], padding: 'same' },
    { x: [2, 9, 7, 3], k: [3, 2, 3, 5], stride: [2, 3], dilation: [1, 1], padding: 'same' },
    { x: [1, 11, 10, 2], k: [3, 3, 2, 4], stride: [1, 1], dilation: [2, 2], padding: 'valid' },
    { x: [3, 8, 8, 2], k: [5, 5, 2, 3], stride: [2, 2], dilation: [1, 1], padding: [2, 1] },
    { x: [2, 13, 3], k: [4, 3, 6], stride: [3], dilation: [1], padding: 'same' },
    { x: [2, 13, 3], k: [3, 3, 2], stride: [1], dilation: [3], padding: [2] },
  ];
  for (const c of cases) {
    const dims = c.x.length === 3 ? 1 : 2;
    const conv = { dims: dims as 1 | 2, kernel: c.k.slice(0, dims), stride: c.stride, dilation: c.dilation, padding: c.padding, groups: 1 };
    tf.tidy(() => {
      const x = tf.randomNormal(c.x, 0, 1, 'float32', 1);
      const w = tf.randomNormal(c.k, 0, 1, 'float32', 2);
      // Explicit padding: the reference pads first and runs 'valid' (tfjs conv1d with a numeric pad and dilation throws).
      const pad = typeof c.padding === 'string' ? c.padding : 'valid';
      const prePad = (a: tf.Tensor) => (typeof c.padding === 'string' ? a : tf.pad(a, [[0, 0], ...(c.padding as number[]).map((p) => [p, p] as [number, number]), [0, 0]]));
      // tfjs has no conv gradient for dilation > 1: the reference uses the equivalent dilation-1 kernel with holes,
      // expanded differentiably (a 0/1 selection matmul), so both gradients can be compared.
      const taps = c.k.slice(0, dims);
      const span = taps.map((k, i) => c.dilation[i] * (k - 1) + 1);
      const sel = tf.buffer([span.reduce((a, b) => a * b, 1), taps.reduce((a, b) => a * b, 1)]);
      if (dims === 1) for (let i = 0; i < taps[0]; i++) sel.set(1, i * c.dilation[0], i);
      else for (let i = 0; i < taps[0]; i++) for (let j = 0; j < taps[1]; j++) sel.set(1, i * c.dilation[0] * span[1] + j * c.dilation[1], i * taps[1] + j);
      const expand = (b: tf.Tensor) => tf.reshape(tf.matMul(sel.toTensor() as tf.Tensor2D, tf.reshape(b, [sel.shape[1] as number, -1]) as tf.Tensor2D), [...span, ...c.k.slice(dims)]);
      const ref = (a: tf.Tensor, b: tf.Tensor) =>
        dims === 1
          ? tf.conv1d(prePad(a) as tf.Tensor3D, expand(b) as tf.Tensor3D, c.stride[0], pad, 'NWC', 1)
          : tf.conv2d(prePad(a) as tf.Tensor4D, expand(b) as tf.Tensor4D, c.stride as [number, number], pad, 'NHWC', 1);
      const expected = ref(x, w);
      const ours = (a: tf.Tensor, b: tf.Tensor) => plainOps.conv(a, b, conv, expected.shape.slice(1, -1));
      const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
      assert.ok(diff(ours(x, w), expected) < 1e-4, `forward ${JSON.stringify(c)}`);
      const g = tf.randomNormal(expected.shape, 0, 1, 'float32', 3);
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ours(a, b), g)))([x, w]);
      const [rx, rw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ref(a, b), g)))([x, w]);
      assert.ok(diff(gx, rx) < 1e-4 && diff(gw, rw) < 1e-3, `gradients ${JSON.stringify(c)}`);
    });
  }
});

test('residual adds: values, model-input skips, and shape mismatches refused', () => {
  const layers = [irLayer(0, 'dense', 4, 4), irLayer(1, 'activation', 4, 4, { activation: { name: 'tanh' } }), irLayer(2, 'residual', 4, 4, { residual: { from: 0 } }), irLayer(3, 'residual', 4, 4, { residual: { from: -1 } })];
  const plan = planNetwork(model(layers, [4]));
  const net = ProbeNetwork.build(plan, { seed: 5 });
  tf.tidy(() => {
    const x = tf.randomNormal([3, 4], 0, 1, 'float32', 6);
    const r = net.forward(x, evalCtx(true));
    const h = r.taps[0].post;
    const expected = tf.add(tf.add(tf.tanh(h), h), x);
    assert.ok(tf.max(tf.abs(tf.sub(r.output, expected))).dataSync()[0] < 1e-6);
    r.taps.forEach((t) => tf.dispose([t.pre, t.post]));
  });
  net.dispose();
  assert.throws(() => planNetwork(model([irLayer(0, 'dense', 4, 8), irLayer(1, 'residual', 8, 8, { residual: { from: -1 } })], [4])), ProbePlanError);
  assert.throws(() => planNetwork(model([irLayer(0, 'dense', 4, 8, { out: { value: null, symbol: 'hidden' } })], [4])), /unresolved \(hidden\)/);
  assert.throws(() => planNetwork(model([irLayer(0, 'dense', 5, 8)], [4])), /expects 5 inputs, receives 4/);
});

test('Batch Renorm: plain BatchNorm at step 0, r/d clipped by the relaxed limits later, r and d carry no gradient', () => {
  assert.deepEqual(renormLimits({ rmax: 3, dmax: 5 }, 0, 100), { rmax: 1, dmax: 0 });
  assert.deepEqual(renormLimits({ rmax: 3, dmax: 5 }, 50, 100), { rmax: 2, dmax: 2.5 });
  assert.deepEqual(renormLimits({ rmax: 3, dmax: 5 }, 500, 100), { rmax: 3, dmax: 5 });
  const layer = irLayer(0, 'batchrenorm', 3, 3, { norm: { convention: 'keras', momentum: 0.9, eps: 1e-3, affine: true, renorm: { rmax: 3, dmax: 5 } } });
  const norm = resolveNorm(layer, 'keras', [3]);
  const p = { gamma: null, beta: null, runningMean: tf.variable(tf.tensor1d([1, -1, 0]), false), runningVar: tf.variable(tf.tensor1d([4, 0.25, 1]), false) };
  const bn = resolveNorm(irLayer(0, 'batchnorm', 3, 3, { norm: { convention: 'keras', momentum: 0.9, eps: 1e-3, affine: true } }), 'keras', [3]);
  tf.tidy(() => {
    const x = tf.randomNormal([16, 3], 0, 1, 'float32', 8);
    const ctx = (step: number) => ({ ops: plainOps, training: true, step, renormRelaxSteps: 100, pending: null });
    const diff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
    assert.ok(diff(normForward(x, norm, p, ctx(0)), normForward(x, bn, p, ctx(0))) < 1e-6);
    // Late: x^ = (x - mu_B)/sigma_B * r + d with r = clip(sigma_B/sigma, 1/3, 3), d = clip((mu_B - mu)/sigma, -5, 5).
    const { mean, variance } = tf.moments(x, 0);
    const sB = tf.sqrt(tf.add(variance, 1e-3));
    const s = tf.sqrt(tf.add(p.runningVar, 1e-3));
    const r = tf.clipByValue(tf.div(sB, s), 1 / 3, 3);
    const d = tf.clipByValue(tf.div(tf.sub(mean, p.runningMean), s), -5, 5);
    const expected = tf.add(tf.mul(tf.div(tf.sub(x, mean), sB), r), d);
    assert.ok(diff(normForward(x, norm, p, ctx(1000)), expected) < 1e-5);
    // With r, d constant the gradient of sum(y * G) wrt x is r * (BN's gradient): check against that.
    const g = tf.randomNormal([16, 3], 0, 1, 'float32', 9);
    const dRenorm = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(normForward(v, norm, p, ctx(1000)), g)))(x);
    const dBn = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(normForward(v, bn, p, ctx(1000)), g)))(x);
    assert.ok(diff(dRenorm, tf.mul(dBn, r)) < 1e-4);
  });
  tf.dispose([p.runningMean, p.runningVar]);
});

test('Keras BatchNorm convention: moving = 0.99 moving + 0.01 batch with the biased variance, eps 1e-3', () => {
  const norm = resolveNorm(irLayer(0, 'batchnorm', 2, 2, { norm: { convention: 'keras', momentum: null, eps: null, affine: false } }), 'keras', [2]);
  assert.equal(norm.eps, 1e-3);
  assert.ok(Math.abs(norm.batchWeight - 0.01) < 1e-12);
  const p = { gamma: null, beta: null, runningMean: tf.variable(tf.zeros([2]), false), runningVar: tf.variable(tf.ones([2]), false) };
  const pending: PendingUpdate[] = [];
  tf.tidy(() => {
    normForward(tf.tensor2d([[1, 2], [3, 6]]), norm, p, { ops: plainOps, training: true, step: 0, renormRelaxSteps: 0, pending });
  });
  applyPendingUpdates(pending);
  const rm = p.runningMean.dataSync();
  const rv = p.runningVar.dataSync();
  assert.ok(Math.abs(rm[0] - 0.02) < 1e-6 && Math.abs(rm[1] - 0.04) < 1e-6);
  assert.ok(Math.abs(rv[0] - (0.99 + 0.01 * 1)) < 1e-6 && Math.abs(rv[1] - (0.99 + 0.01 * 4)) < 1e-6);
  tf.dispose([p.runningMean, p.runningVar]);
});

test('cosine normalization: |w.x| / (|w| |x|) <= 1 before the activation, no bias', () => {
  const plan = planNetwork(model([irLayer(0, 'dense', 8, 5, { activation: { name: 'tanh' } })], [8]), { cosineLayers: [0] });
  assert.equal(plan.layers[0].cosine, true);
  assert.equal(plan.layers[0].useBias, false);
  const net = ProbeNetwork.build(plan, { seed: 1 });
  tf.tidy(() => {
    const r = net.forward(tf.mul(tf.randomNormal([10, 8], 0, 1, 'float32', 2), 50), evalCtx(true));
    assert.ok(tf.max(tf.abs(r.taps[0].pre)).dataSync()[0] <= 1 + 1e-6);
    r.taps.forEach((t) => tf.dispose([t.pre, t.post]));
  });
  net.dispose();
});

test('a Keras JSON CNN (conv, BN, renorm, pools, dropout, softmax) read by the front end probes cleanly', async () => {
  const text = readFileSync(join(__dirname, '..', 'fixtures', 'json', 'keras2-cnn-batchnorm.json'), 'utf8');
  const m = readJsonModels(text, {}).models[0];
  const start = tf.memory().numTensors;
  const r = await runProbe(m, { steps: 2, sampleEvery: 1, batchSize: 4 });
  assert.equal(tf.memory().numTensors, start);
  assert.equal(r.status, 'completed');
  assert.equal(r.task.kind, 'classification');
  assert.deepEqual(r.task.inputShape, [28, 28, 1]);
  assert.deepEqual(r.records[0].layers.map((l) => l.index), m.layers.map((l) => l.index));
  for (const rec of r.records) for (const l of rec.layers) assert.ok(Number.isFinite(l.mean) && Number.isFinite(l.variance), `layer ${l.index}`);
  // The BatchNorm layer's output is normalized per channel over batch and positions.
  const bn = r.records[0].layers[1];
  assert.ok(Math.abs(bn.mean) < 1e-3 && Math.abs(bn.variance - 1) < 0.01, `bn ${bn.mean} ${bn.variance}`);
  // ReLU conv: dead units tracked; conv gradient measured.
  assert.ok(r.records[0].layers[0].gradNorm! > 0);
});
