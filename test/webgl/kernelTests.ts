/**
 * Kernel tests: each webglOps operation on WebGL (SwiftShader) against plainOps on the tfjs CPU backend, on odd
 * shapes (not multiples of 4), tiny batches (1, 2, 3) and NaN inputs, forward and gradients.
 * Tolerance: 1e-3 on float32 WebGL (|a - e| <= 1e-3 max(1, |e|), style.md), masks bit for bit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveActivation, type ProbeActivation } from '../../core/probe/activationSpec';
import { dropoutKeepMask, plainOps, type ProbeOps } from '../../core/probe/ops';
import { Rng } from '../../core/probe/rng';
import { webglOps, webglRenderer } from '../../webview/kernels/webglOps';
import { assert, assertClose, formatReport, mergeReports, onBackend, test, values, type CloseReport } from './suite';

const TOL = 1e-3;

function randn(seed: number, n: number, mean = 0, std = 1): Float32Array {
  return new Rng(seed).fillNormal(n, mean, std);
}

test('renderer is SwiftShader WebGL 2', async () => {
  await tf.setBackend('webgl');
  const renderer = webglRenderer();
  assert(renderer !== null, `no WebGL 2 backend (backend ${tf.getBackend()}, WEBGL_VERSION ${tf.env().getNumber('WEBGL_VERSION')})`);
  assert(/SwiftShader/i.test(renderer), `renderer is not SwiftShader: ${renderer}`);
});

interface DenseCase {
  rows: number;
  inputs: number;
  units: number;
  act: string;
  bias: boolean;
  nan?: boolean;
}

const DENSE_CASES: DenseCase[] = [
  { rows: 1, inputs: 5, units: 3, act: 'selu', bias: true },
  { rows: 2, inputs: 7, units: 9, act: 'selu', bias: true },
  { rows: 3, inputs: 33, units: 17, act: 'selu', bias: false },
  { rows: 37, inputs: 29, units: 31, act: 'selu', bias: true },
  { rows: 130, inputs: 67, units: 129, act: 'selu', bias: true },
  { rows: 3, inputs: 11, units: 13, act: 'tanh', bias: true },
  { rows: 37, inputs: 29, units: 31, act: 'tanh', bias: true },
  { rows: 5, inputs: 9, units: 7, act: 'relu', bias: true },
  { rows: 5, inputs: 9, units: 7, act: 'leaky_relu', bias: true },
  { rows: 5, inputs: 9, units: 7, act: 'elu', bias: true },
  { rows: 5, inputs: 9, units: 7, act: 'sigmoid', bias: true },
  { rows: 5, inputs: 9, units: 7, act: 'linear', bias: true },
  { rows: 2, inputs: 9, units: 7, act: 'gelu', bias: true }, // not fused: plainOps' composition on WebGL
  { rows: 3, inputs: 6, units: 5, act: 'selu', bias: true, nan: true },
  { rows: 3, inputs: 6, units: 5, act: 'tanh', bias: true, nan: true },
];

/** pre, post (with and without pre: two code paths), gradients of sum(post * r) w.r.t. x, kernel, bias. */
function denseRun(ops: ProbeOps, c: DenseCase, act: ProbeActivation): Float32Array[] {
  const xv = randn(1, c.rows * c.inputs);
  if (c.nan) xv[1] = NaN;
  const x = tf.tensor2d(xv, [c.rows, c.inputs]);
  const w = tf.tensor2d(randn(2, c.inputs * c.units, 0, 1 / Math.sqrt(c.inputs)), [c.inputs, c.units]);
  const b = c.bias ? tf.tensor1d(randn(3, c.units, 0, 0.3)) : null;
  const r = tf.tensor2d(randn(4, c.rows * c.units), [c.rows, c.units]);
  const { pre, post } = ops.dense(x, w, b, act, true);
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb?: tf.Tensor) => tf.sum(tf.mul(ops.dense(xx as tf.Tensor2D, ww as tf.Tensor2D, (bb ?? null) as tf.Tensor1D | null, act, false).post, r));
  const grads = b ? tf.grads((xx, ww, bb) => f(xx, ww, bb))([x, w, b]) : tf.grads((xx, ww) => f(xx, ww))([x, w]);
  return [values(pre as tf.Tensor), values(post), values(ops.dense(x, w, b, act, false).post), ...grads.map(values)];
}

test('dense forward and backward equal plainOps on CPU (selu, tanh, relu, leaky, elu, sigmoid, linear; odd shapes, batches 1-3, NaN)', async (t) => {
  const byAct = new Map<string, { fwd: CloseReport[]; bwd: CloseReport[] }>();
  for (const c of DENSE_CASES) {
    const act = resolveActivation(c.act as ProbeActivation['name'], 'pytorch');
    const label = `${c.act} [${c.rows}x${c.inputs}]x[${c.inputs}x${c.units}]${c.bias ? '+b' : ''}${c.nan ? ' NaN' : ''}`;
    const expected = await onBackend('cpu', () => denseRun(plainOps, c, act));
    const actual = await onBackend('webgl', () => denseRun(webglOps, c, act));
    const names = ['pre', 'post', 'post (one pass)', 'dX', 'dW', 'db'];
    const entry = byAct.get(c.act) ?? { fwd: [], bwd: [] };
    actual.forEach((a, i) => {
      const rep = assertClose(`${label} ${names[i]}`, a, expected[i], TOL);
      (i < 3 ? entry.fwd : entry.bwd).push(rep);
    });
    byAct.set(c.act, entry);
  }
  for (const [act, e] of byAct) {
    t.note(formatReport(`dense ${act} forward`, mergeReports(e.fwd)));
    t.note(formatReport(`dense ${act} backward`, mergeReports(e.bwd)));
  }
});

test('dense on large inputs: no overflow in selu / tanh / sigmoid and their gradients', async (t) => {
  const run = (ops: ProbeOps, name: string) => {
    const x = tf.tensor2d([[90, -90, 0, 1e-3, -1e-3, 30, -30]], [1, 7]);
    const w = tf.eye(7) as tf.Tensor2D;
    const act = resolveActivation(name as ProbeActivation['name'], 'pytorch');
    const g = tf.grad((xx: tf.Tensor) => tf.sum(ops.dense(xx as tf.Tensor2D, w, null, act, false).post))(x);
    return [values(ops.dense(x, w, null, act, false).post), values(g)];
  };
  const reps: CloseReport[] = [];
  for (const name of ['selu', 'tanh', 'sigmoid', 'elu']) {
    const e = await onBackend('cpu', () => run(plainOps, name));
    const a = await onBackend('webgl', () => run(webglOps, name));
    reps.push(assertClose(`${name} large forward`, a[0], e[0]), assertClose(`${name} large grad`, a[1], e[1]));
  }
  t.note(formatReport('large-input activations', mergeReports(reps)));
});

interface DropoutCase {
  shape: number[];
  rate: number;
  seed: number;
}

const DROPOUT_CASES: DropoutCase[] = [
  { shape: [1, 7], rate: 0.1, seed: 0 },
  { shape: [3, 37], rate: 0.05, seed: 12345 },
  { shape: [37, 29], rate: 0.5, seed: 4000000000 },
  { shape: [2, 3, 5, 7], rate: 0.2, seed: 7 },
  { shape: [129, 65], rate: 0.3, seed: 99 },
];

function dropoutRun(ops: ProbeOps, c: DropoutCase, alpha: boolean): Float32Array[] {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const xv = randn(5, n);
  xv[0] = NaN;
  const x = tf.tensor(xv, c.shape);
  const r = tf.tensor(randn(6, n), c.shape);
  const op = (v: tf.Tensor) => (alpha ? ops.alphaDropout(v, c.rate, c.seed) : ops.dropout(v, c.rate, c.seed));
  const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(op(v), r)))(x);
  return [values(op(x)), values(g)];
}

test('alpha dropout and dropout: masks bit for bit equal to dropoutKeepMask, values and gradients equal plainOps', async (t) => {
  const reps: CloseReport[] = [];
  let dropped = 0;
  let total = 0;
  for (const c of DROPOUT_CASES) {
    const keep = await onBackend('cpu', () => values(dropoutKeepMask(c.shape, c.rate, c.seed)));
    // The mask as the GPU draws it: dropout of ones is 1/(1-rate) where kept and exactly 0 where dropped.
    const gpuMask = await onBackend('webgl', () => values(webglOps.dropout(tf.ones(c.shape), c.rate, c.seed)));
    for (let i = 0; i < keep.length; i++) {
      assert((gpuMask[i] !== 0 ? 1 : 0) === keep[i], `mask ${c.shape} rate ${c.rate} seed ${c.seed}: element ${i} GPU ${gpuMask[i]} vs CPU keep ${keep[i]}`);
    }
    dropped += keep.filter((k) => k === 0).length;
    total += keep.length;
    for (const alpha of [true, false]) {
      const e = await onBackend('cpu', () => dropoutRun(plainOps, c, alpha));
      const a = await onBackend('webgl', () => dropoutRun(webglOps, c, alpha));
      const label = `${alpha ? 'alphaDropout' : 'dropout'} ${c.shape} rate ${c.rate}`;
      reps.push(assertClose(`${label} forward`, a[0], e[0], TOL), assertClose(`${label} grad`, a[1], e[1], TOL));
    }
  }
  t.note(`masks: ${total} elements bit-identical to the CPU hash (${dropped} dropped)`);
  t.note(formatReport('dropout / alpha dropout forward+grad', mergeReports(reps)));
});

interface MomentsCase {
  shape: number[];
  axes: number[];
  mean?: number;
  nan?: boolean;
  what: string;
}

const MOMENTS_CASES: MomentsCase[] = [
  { shape: [1, 5], axes: [0], what: 'BatchNorm, batch 1' },
  { shape: [2, 7], axes: [0], what: 'BatchNorm, batch 2' },
  { shape: [3, 33], axes: [0], what: 'BatchNorm, batch 3' },
  { shape: [129, 67], axes: [0], what: 'BatchNorm, odd' },
  { shape: [37, 29], axes: [0], mean: 1000, what: 'BatchNorm, mean 1000 (cancellation)' },
  { shape: [300, 5], axes: [0], mean: -50, what: 'BatchNorm, long column, mean -50' },
  { shape: [5, 31], axes: [1], what: 'LayerNorm over features' },
  { shape: [3, 5, 7, 6], axes: [1, 2, 3], what: 'LayerNorm over the whole sample' },
  { shape: [3, 11, 6], axes: [1], what: 'InstanceNorm' },
  { shape: [2, 9, 4, 3], axes: [1, 3], what: 'GroupNorm' },
  { shape: [6, 5], axes: [0], nan: true, what: 'NaN input' },
];

function momentsRun(ops: ProbeOps, c: MomentsCase): Float32Array[] {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const xv = randn(7, n, c.mean ?? 0.5, 2);
  if (c.nan) xv[3] = NaN;
  const x = tf.tensor(xv, c.shape);
  const { mean, variance } = ops.moments(x, c.axes);
  const r1 = tf.tensor(randn(8, mean.size), mean.shape);
  const r2 = tf.tensor(randn(9, variance.size), variance.shape);
  const g = tf.grad((v: tf.Tensor) => {
    const m = ops.moments(v, c.axes);
    return tf.add(tf.sum(tf.mul(m.mean, r1)), tf.sum(tf.mul(m.variance, r2)));
  })(x);
  assert(mean.shape.join() === variance.shape.join(), 'mean and variance shapes differ');
  return [values(mean), values(variance), values(g), Float32Array.from(mean.shape)];
}

test('moments: one-pass per-feature mean / variance and gradient equal plainOps (BN, LN, IN, GN layouts; large means; NaN)', async (t) => {
  const reps: CloseReport[] = [];
  for (const c of MOMENTS_CASES) {
    const e = await onBackend('cpu', () => momentsRun(plainOps, c));
    const a = await onBackend('webgl', () => momentsRun(webglOps, c));
    assert(a[3].join() === e[3].join(), `${c.what}: keepDims shape [${a[3]}] vs [${e[3]}]`);
    reps.push(assertClose(`${c.what} mean`, a[0], e[0], TOL), assertClose(`${c.what} variance`, a[1], e[1], TOL), assertClose(`${c.what} grad`, a[2], e[2], TOL));
  }
  t.note(formatReport('moments mean+variance+grad', mergeReports(reps)));
});

interface BatchNormCase {
  rows: number;
  cols: number;
  gamma: boolean;
  beta: boolean;
  /** Running-statistics convention: PyTorch (momentum 0.1, unbiased variance, eps 1e-5) or Keras (0.99, biased, 1e-3). */
  convention: 'pytorch' | 'keras' | null;
  mean?: number;
  nan?: boolean;
  what: string;
}

const BATCHNORM_CASES: BatchNormCase[] = [
  { rows: 1, cols: 5, gamma: true, beta: true, convention: 'pytorch', what: 'batch 1 (variance 0: eps only)' },
  { rows: 2, cols: 7, gamma: true, beta: true, convention: 'pytorch', what: 'batch 2' },
  { rows: 3, cols: 33, gamma: true, beta: true, convention: 'keras', what: 'batch 3, Keras' },
  { rows: 37, cols: 29, gamma: true, beta: false, convention: 'pytorch', what: 'odd, gamma only' },
  { rows: 37, cols: 29, gamma: false, beta: true, convention: null, what: 'odd, beta only, no running update' },
  { rows: 129, cols: 67, gamma: false, beta: false, convention: 'keras', what: 'odd, no affine' },
  { rows: 37, cols: 29, gamma: true, beta: true, convention: 'pytorch', mean: 1000, what: 'mean 1000 (cancellation)' },
  { rows: 301, cols: 5, gamma: true, beta: true, convention: 'pytorch', mean: -50, what: 'long column (blocked sums), mean -50' },
  { rows: 6, cols: 5, gamma: true, beta: true, convention: 'pytorch', nan: true, what: 'NaN input' },
];

/** y, the running statistics and the gradients of sum(y * r) w.r.t. x, gamma and beta. */
function batchNormRun(ops: ProbeOps, c: BatchNormCase): Float32Array[] {
  const xv = randn(21, c.rows * c.cols, c.mean ?? 0.5, 2);
  if (c.nan) xv[3] = NaN;
  const x = tf.tensor2d(xv, [c.rows, c.cols]);
  const gamma = c.gamma ? tf.tensor1d(randn(22, c.cols, 1, 0.5)) : null;
  const beta = c.beta ? tf.tensor1d(randn(23, c.cols, 0, 0.5)) : null;
  const eps = c.convention === 'keras' ? 1e-3 : 1e-5;
  const running = c.convention
    ? { mean: tf.tensor1d(randn(24, c.cols, 0.2, 0.1)), variance: tf.tensor1d(randn(25, c.cols, 1, 0.1)), batchWeight: c.convention === 'pytorch' ? 0.1 : 0.01, unbiased: c.convention === 'pytorch' }
    : null;
  const r = tf.tensor2d(randn(26, c.rows * c.cols), [c.rows, c.cols]);
  const out = ops.batchNorm(x, gamma, beta, eps, running);
  assert((out.runningMean === null) === (running === null) && (out.runningVar === null) === (running === null), `${c.what}: running statistics returned iff requested`);
  const loss = (xx: tf.Tensor, gg: tf.Tensor | null, bb: tf.Tensor | null) => tf.sum(tf.mul(ops.batchNorm(xx as tf.Tensor2D, gg as tf.Tensor1D | null, bb as tf.Tensor1D | null, eps, null).y, r));
  const params = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const grads = tf.grads((...p: tf.Tensor[]) => loss(p[0], gamma ? p[1] : null, beta ? p[gamma ? 2 : 1] : null))(params);
  return [values(out.y), out.runningMean ? values(out.runningMean) : new Float32Array(0), out.runningVar ? values(out.runningVar) : new Float32Array(0), ...grads.map(values)];
}

test('batchNorm (train mode): fused forward, closed-form backward and running statistics equal plainOps on CPU (odd shapes, batches 1-3, affine on/off, PyTorch / Keras, NaN)', async (t) => {
  const fwd: CloseReport[] = [];
  const bwd: CloseReport[] = [];
  const run: CloseReport[] = [];
  for (const c of BATCHNORM_CASES) {
    const e = await onBackend('cpu', () => batchNormRun(plainOps, c));
    const a = await onBackend('webgl', () => batchNormRun(webglOps, c));
    const names = ['y', 'running mean', 'running variance', 'dX', ...(c.gamma ? ['dgamma'] : []), ...(c.beta ? ['dbeta'] : [])];
    assert(a.length === names.length && e.length === names.length, `${c.what}: ${a.length} / ${e.length} outputs, expected ${names.length}`);
    a.forEach((v, i) => {
      const rep = assertClose(`batchNorm ${c.what} [${c.rows}x${c.cols}] ${names[i]}`, v, e[i], TOL);
      (i === 0 ? fwd : i < 3 ? run : bwd).push(rep);
    });
    if (c.nan) {
      // Column 3 holds the NaN: its outputs and gradients are NaN, the other columns finite.
      assert(Number.isNaN(a[0][3]) && Number.isFinite(a[0][2]) && Number.isNaN(a[3][3]) && Number.isFinite(a[3][4]), `${c.what}: NaN must stay in its column`);
    }
    if (c.rows === 1) {
      // Batch of one: x - mean = 0, so y = beta and no gradient reaches x.
      assert(a[3].every((v) => v === 0), `${c.what}: dX must be 0, got ${a[3].slice(0, 5)}`);
    }
  }
  t.note(formatReport('batchNorm forward', mergeReports(fwd)));
  t.note(formatReport('batchNorm running statistics', mergeReports(run)));
  t.note(formatReport('batchNorm backward (vs tf.grad of the plain composition)', mergeReports(bwd)));
});

test('batchNorm (train mode) on WebGL: no tensor leaks with the tape on, running statistics of the PyTorch convention by hand', async () => {
  await tf.setBackend('webgl');
  const rows = 4;
  const xv = Float32Array.from([1, 10, 2, 20, 3, 30, 6, 60]); // columns [1,2,3,6] and [10,20,30,60]
  const x = tf.tensor2d(xv, [rows, 2]);
  const gamma = tf.variable(tf.tensor1d([2, 0.5]));
  const beta = tf.variable(tf.tensor1d([0.1, -0.1]));
  const running = { mean: tf.tensor1d([0, 1]), variance: tf.tensor1d([1, 2]), batchWeight: 0.1, unbiased: true };
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const out = webglOps.batchNorm(x, gamma, beta, 1e-5, running);
    out.runningMean?.dispose();
    out.runningVar?.dispose();
    return tf.sum(tf.mul(out.y, tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [rows, 2])));
  }, [gamma, beta]);
  const dgamma = values(grads[gamma.name]);
  const dbeta = values(grads[beta.name]);
  value.dispose();
  Object.values(grads).forEach((g) => g.dispose());
  assert(tf.memory().numTensors === before, `leaked ${tf.memory().numTensors - before} tensors through variableGrads`);
  // dbeta = column sums of r: [1+3+5+7, 2+4+6+8].
  assertClose('dbeta', dbeta, [16, 20], 1e-5);
  // dgamma = sum(r * xhat): column 0 mean 3, biased variance 3.5.
  const xhat0 = [1, 2, 3, 6].map((v) => (v - 3) / Math.sqrt(3.5 + 1e-5));
  assertClose('dgamma[0]', [dgamma[0]], [[1, 3, 5, 7].reduce((s, r, i) => s + r * xhat0[i], 0)], TOL);
  const out = webglOps.batchNorm(x, gamma, beta, 1e-5, running);
  // PyTorch: running = 0.9 running + 0.1 batch, with the unbiased batch variance (3.5 * 4/3, 350 * 4/3).
  assertClose('running mean', values(out.runningMean!), [0.9 * 0 + 0.1 * 3, 0.9 * 1 + 0.1 * 30], 1e-5);
  assertClose('running variance', values(out.runningVar!), [0.9 * 1 + 0.1 * (3.5 * 4) / 3, 0.9 * 2 + 0.1 * (350 * 4) / 3], 1e-5);
  tf.dispose([out.y, out.runningMean!, out.runningVar!, x, gamma, beta, running.mean, running.variance]);
});

test('on the CPU backend webglOps is plainOps (the engine may take it unconditionally)', async () => {
  const selu = resolveActivation('selu', 'pytorch');
  const run = (ops: ProbeOps) => {
    const x = tf.tensor2d(randn(11, 15), [3, 5]);
    const w = tf.tensor2d(randn(12, 10), [5, 2]);
    const { post } = ops.dense(x, w, null, selu, false);
    const m = ops.moments(x, [0]);
    const bn = ops.batchNorm(x, null, null, 1e-5, null);
    return [values(post), values(ops.alphaDropout(x, 0.2, 3)), values(m.mean), values(m.variance), values(bn.y)];
  };
  const e = await onBackend('cpu', () => run(plainOps));
  const a = await onBackend('cpu', () => run(webglOps));
  a.forEach((v, i) => assertClose(`cpu fallback output ${i}`, v, e[i], 0));
});
