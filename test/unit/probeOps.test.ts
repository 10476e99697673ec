/**
 * The ops seam: plainOps against JS references, the statistics reduction against a float64 recomputation, and a
 * second ProbeOps (dense as a tf.customGrad op with an explicit backward, the shape the WebGL kernel will take)
 * giving the same probe as plainOps.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveActivation } from '../../core/probe/activationSpec';
import { applyActivation } from '../../core/probe/activations';
import { TENSORBOARD_PERCENTILES } from '../../core/probe/config';
import { dropoutKeepMask, plainOps, type ProbeOps } from '../../core/probe/ops';
import { percentilesOf, percentilesOfSorted, sortedFloat32 } from '../../core/probe/stats';
import { hashUniform, Rng, sampleIndices } from '../../core/probe/rng';
import { runProbe } from '../../core/probe/runner';
import { mlpModel } from '../../core/probe/syntheticModels';
import { SELU_ALPHA, SELU_LAMBDA } from '../../core/theory/selu';
import { activationModel } from '../../core/theory/activations';
import { ACTIVATION_NAMES } from '../../core/ir';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

test('hashUniform is pinned (the GLSL port must reproduce these bits) and uniform', () => {
  assert.deepEqual([0, 1, 2, 3].map((i) => hashUniform(0, i)), [0.9673330783843994, 0.05066424608230591, 0.9845896363258362, 0.5142596364021301]);
  assert.equal(hashUniform(12345, 1), 0.029158294200897217);
  let s = 0;
  let s2 = 0;
  const n = 200000;
  for (let i = 0; i < n; i++) {
    const u = hashUniform(7, i);
    assert.ok(u >= 0 && u < 1);
    s += u;
    s2 += u * u;
  }
  assert.ok(Math.abs(s / n - 0.5) < 0.003);
  assert.ok(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12) < 0.001);
});

test('Rng: reproducible, uniform and normal moments, distinct sample indices', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 10; i++) assert.equal(a.nextUint32(), b.nextUint32());
  const r = new Rng(1);
  const z = r.fillNormal(100000, 0, 1);
  let m = 0;
  let v = 0;
  let k = 0;
  for (const x of z) m += x / z.length;
  for (const x of z) {
    v += (x - m) ** 2 / z.length;
    k += (x - m) ** 4 / z.length;
  }
  assert.ok(Math.abs(m) < 0.015 && Math.abs(v - 1) < 0.02 && Math.abs(k / (v * v) - 3) < 0.1, `${m} ${v} ${k}`);
  const idx = sampleIndices(1000, 100, new Rng(3));
  assert.equal(new Set(idx).size, 100);
  assert.ok(idx.every((x, i) => x >= 0 && x < 1000 && (i === 0 || x > idx[i - 1])));
  assert.equal(sampleIndices(5, 10, new Rng(3)).length, 5);
});

test('every activation equals the theory phi and its gradient the theory phi\' (1e-5)', () => {
  // Away from kinks (hard_sigmoid's edges are +-3 in PyTorch, +-2.5 in Keras), where one-sided slopes differ.
  const xs = [-6, -2.6, -1, -0.3, 0.2, 0.7, 1.5, 3.2, 7];
  for (const framework of ['pytorch', 'keras'] as const) {
    for (const name of ACTIVATION_NAMES) {
      if (name === 'softmax' || name === 'log_softmax') continue;
      const act = resolveActivation(name, framework);
      const m = activationModel(name, framework);
      const [y, dy] = tf.tidy(() => {
        const x = tf.tensor1d(xs);
        const g = tf.grad((v: tf.Tensor) => tf.sum(applyActivation(v, act)))(x);
        return [applyActivation(x, act).dataSync(), g.dataSync()];
      });
      xs.forEach((x, i) => {
        assert.ok(Math.abs(y[i] - m.phi(x)) <= 1e-5 * Math.max(1, Math.abs(m.phi(x))), `${framework} ${name}(${x}) = ${y[i]} vs ${m.phi(x)}`);
        assert.ok(Math.abs(dy[i] - m.dphi(x)) <= 1e-5 * Math.max(1, Math.abs(m.dphi(x))), `${framework} ${name}'(${x}) = ${dy[i]} vs ${m.dphi(x)}`);
      });
    }
  }
  // softmax / log_softmax over the last axis; selu never NaN in backprop at large |x| (exp(min(x, 0)) branch).
  tf.tidy(() => {
    const x = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const s = applyActivation(x, resolveActivation('softmax', 'pytorch')).arraySync() as number[][];
    assert.ok(Math.abs(s[1][0] - 1 / 3) < 1e-6 && Math.abs(s[0].reduce((a, b) => a + b) - 1) < 1e-6);
    const g = tf.grad((v: tf.Tensor) => tf.sum(applyActivation(v, resolveActivation('selu', 'pytorch'))))(tf.tensor1d([200, -200]));
    assert.ok(g.dataSync().every(Number.isFinite));
  });
});

test('plainOps dropout: inverted scaling, mask from hashUniform, deterministic per seed', () => {
  tf.tidy(() => {
    const x = tf.ones([100, 50]);
    const y = plainOps.dropout(x, 0.2, 5).dataSync();
    const keep = dropoutKeepMask([100, 50], 0.2, 5).dataSync();
    for (let i = 0; i < y.length; i++) {
      assert.equal(keep[i], hashUniform(5, i) >= 0.2 ? 1 : 0);
      assert.ok(Math.abs(y[i] - keep[i] / 0.8) < 1e-6);
    }
    assert.deepEqual(plainOps.dropout(x, 0.2, 5).dataSync(), y);
    assert.notDeepEqual(plainOps.dropout(x, 0.2, 6).dataSync(), y);
    assert.equal(plainOps.dropout(x, 0, 5), x);
  });
});

test('statistics reduction equals a float64 recomputation; NaN surfaces in the decoded values', async () => {
  const rng = new Rng(9);
  const rows = 40;
  const units = 7;
  const preVals = rng.fillNormal(rows * units, 0.3, 2);
  for (let i = 0; i < rows; i++) preVals[i * units + 2] = -Math.abs(preVals[i * units + 2]); // unit 2 never active
  const pre = tf.tensor2d(preVals, [rows, units]);
  const post = tf.tanh(pre);
  const w = tf.tensor2d(rng.fillNormal(12, 0, 1), [3, 4]);
  const g = tf.mul(w, 0.5);
  const sample = tf.tensor1d(sampleIndices(rows * units, 50, rng), 'int32');
  const tanh = resolveActivation('tanh', 'pytorch');
  const red = plainOps.statistics({
    loss: tf.scalar(1.25),
    layers: [
      { pre, post, saturation: tanh.saturation, trackDead: true, sample, weight: w, grad: g },
      { pre: post, post, saturation: [], trackDead: false, sample: null, weight: null, grad: null },
    ],
  });
  const before = tf.memory().numTensors;
  const values = await red.read();
  assert.equal(tf.memory().numTensors, before - 1, 'read() frees the packed statistics');
  red.dispose(); // idempotent after read()
  const d = red.decode(values);
  assert.equal(d.loss, 1.25);
  const postVals = Array.from(post.dataSync());
  const moments = (a: ArrayLike<number>) => {
    const arr = Array.from(a);
    const m = arr.reduce((s, v) => s + v, 0) / arr.length;
    return { m, v: arr.reduce((s, x) => s + (x - m) ** 2, 0) / arr.length };
  };
  const mp = moments(preVals);
  const mq = moments(postVals);
  const l = d.layers[0];
  assert.ok(Math.abs(l.preMean - mp.m) < 1e-5 && Math.abs(l.preVariance - mp.v) < 1e-4);
  assert.ok(Math.abs(l.mean - mq.m) < 1e-6 && Math.abs(l.variance - mq.v) < 1e-6);
  assert.ok(Math.abs(l.saturation - Array.from(preVals).filter((h) => Math.abs(h) > 2).length / preVals.length) < 1e-7); // tanh: |h| > 2
  assert.ok(Math.abs(l.dead - 1 / units) < 1e-7);
  assert.equal(l.preMin, Math.min(...preVals));
  assert.equal(l.postMax, Math.max(...postVals));
  const idx = sample.dataSync();
  assert.deepEqual(Array.from(l.preSample), Array.from(idx, (i) => preVals[i]));
  assert.deepEqual(Array.from(l.postSample), Array.from(idx, (i) => postVals[i]));
  const ws = Array.from(w.dataSync());
  assert.ok(Math.abs((l.weightSquared as number) - ws.reduce((s, v) => s + v * v, 0)) < 1e-4);
  assert.ok(Math.abs((l.gradSquared as number) - 0.25 * (l.weightSquared as number)) < 1e-4);
  assert.equal(d.layers[1].gradSquared, null);
  assert.equal(d.layers[1].preSample.length, 0);
  // A NaN anywhere shows in the moments.
  const bad = tf.tensor2d([[1, NaN], [0, 2]]);
  const red2 = plainOps.statistics({ loss: tf.scalar(0), layers: [{ pre: bad, post: bad, saturation: [], trackDead: false, sample: null, weight: null, grad: null }] });
  const d2 = red2.decode(await red2.read());
  assert.ok(Number.isNaN(d2.layers[0].mean));
  tf.dispose([pre, post, w, g, sample, bad]);
});

test('percentiles: linear interpolation between order statistics, exact extremes', () => {
  const s = Float32Array.from([5, 1, 4, 2, 3]);
  assert.deepEqual(percentilesOf(s, 0.5, 9, [0, 25, 50, 100]), [0.5, 2, 3, 9]);
  assert.deepEqual(percentilesOf(new Float32Array(0), 0, 1), []);
  assert.ok(Math.abs(percentilesOf(Float32Array.from([0, 10]), 0, 10, [15.87])[0] - 1.587) < 1e-12);
});

test('percentiles of a monotone image phi(sample) from the sample\'s order statistics equal those of the mapped sample', () => {
  const rng = new Rng(11);
  const selu = activationModel('selu', 'pytorch').phi;
  const phis: [string, (v: number) => number][] = [
    ['selu', (v) => (Number.isNaN(v) ? NaN : Math.fround(selu(v)))],
    ['relu (ties at 0)', (v) => (Number.isNaN(v) ? NaN : Math.max(0, v))],
    ['tanh', (v) => (Number.isNaN(v) ? NaN : Math.fround(Math.tanh(v)))],
  ];
  for (const n of [1, 2, 7, 1024]) {
    const sample = rng.fillNormal(n, 0.2, 3);
    if (n > 2) sample[1] = NaN;
    for (const [name, phi] of phis) {
      const direct = percentilesOf(sample.map(phi), -1, 1);
      const viaPre = percentilesOfSorted(sortedFloat32(sample), -1, 1, TENSORBOARD_PERCENTILES, phi);
      assert.deepEqual(viaPre, direct, `${name}, n ${n}`);
    }
  }
});

test('sortedFloat32 orders exactly as TypedArray sort: signed zeros, infinities, NaNs of any payload, duplicates', () => {
  const rng = new Rng(7);
  const specials = [0, -0, Infinity, -Infinity, NaN, 1.5, -1.5, 3.4028234663852886e38, -3.4028234663852886e38, 1e-45, -1e-45, 1.1754943508222875e-38];
  const nanBits = [0x7fc00000, 0xffc00000, 0x7f800001, 0xff800001, 0x7fffffff];
  for (const n of [1, 2, 3, 17, 1024, 1025, 4099]) {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      a[i] = u < 0.1 ? specials[Math.floor(rng.uniform() * specials.length)] : u < 0.2 ? Math.round(rng.normal() * 3) : rng.normal() * Math.exp(10 * rng.normal());
    }
    const bits = new Uint32Array(a.buffer);
    for (let i = 0; i < Math.min(n, nanBits.length); i++) bits[(i * 7) % n] = nanBits[i];
    // A view at an offset inside a larger buffer, as the statistics decoder hands out.
    const host = new Float32Array(n + 3);
    host.set(a, 2);
    const view = host.subarray(2, 2 + n);
    const before = Uint32Array.from(new Uint32Array(host.buffer));
    const got = sortedFloat32(view);
    const want = Float32Array.from(view).sort();
    assert.equal(got.length, n);
    for (let i = 0; i < n; i++) assert.ok(Object.is(got[i], want[i]), `n ${n}, position ${i}: ${got[i]} vs ${want[i]}`);
    assert.deepEqual(new Uint32Array(host.buffer), before, 'the input is left as it was');
  }
});

/** dense + bias + SELU as ONE tf.customGrad op with a hand-written backward: what a fused kernel provides. */
function explicitGradOps(): ProbeOps {
  const seluDense = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b] = args as tf.Tensor[];
    const save = args[3] as tf.GradSaveFunc;
    const h = tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
    save([x, w, h]);
    const y = tf.where(tf.greater(h, 0), tf.mul(h, SELU_LAMBDA), tf.mul(tf.sub(tf.exp(tf.minimum(h, 0)), 1), SELU_LAMBDA * SELU_ALPHA));
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sh] = saved;
        const slope = tf.where(tf.greater(sh, 0), tf.fill(sh.shape, SELU_LAMBDA), tf.mul(tf.exp(tf.minimum(sh, 0)), SELU_LAMBDA * SELU_ALPHA));
        const dh = tf.mul(dy, slope) as tf.Tensor2D;
        return [tf.matMul(dh, sw as tf.Tensor2D, false, true), tf.matMul(sx as tf.Tensor2D, dh, true, false), tf.sum(dh, 0)];
      },
    };
  });
  return {
    ...plainOps,
    name: 'explicit-grad',
    dense(x, kernel, bias, activation, wantPre) {
      if (activation.name !== 'selu' || !bias) return plainOps.dense(x, kernel, bias, activation, wantPre);
      const post = seluDense(x, kernel, bias) as tf.Tensor2D;
      return { pre: wantPre ? (tf.add(tf.matMul(x, kernel), bias) as tf.Tensor2D) : null, post };
    },
  };
}

test('a ProbeOps with a customGrad fused dense runs the same probe as plainOps (the WebGL seam)', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 3, activation: 'selu', init: 'lecun_normal', framework: 'keras', inlineActivation: true, alphaDropout: 0.1 });
  const config = { steps: 6, sampleEvery: 3, batchSize: 16 };
  const start = tf.memory().numTensors;
  const a = await runProbe(model, config);
  const b = await runProbe(model, config, { ops: explicitGradOps() });
  assert.equal(tf.memory().numTensors, start);
  assert.equal(b.ops, 'explicit-grad');
  assert.equal(a.records.length, b.records.length);
  a.records.forEach((r, i) => {
    assert.ok(Math.abs(r.loss - b.records[i].loss) < 1e-5, `loss at ${r.step}: ${r.loss} vs ${b.records[i].loss}`);
    r.layers.forEach((l, j) => {
      const o = b.records[i].layers[j];
      assert.ok(Math.abs(l.variance - o.variance) < 1e-4 && Math.abs((l.gradNorm ?? 0) - (o.gradNorm ?? 0)) < 1e-4, `layer ${l.index} at ${r.step}`);
    });
  });
});
