/**
 * Initial weights drawn as each framework draws them: the law's shape (uniform bounds, truncation points),
 * the realised variance (initWeightVariance, including Keras' 0.8796 correction and tfjs' lack of it), biases.
 * Pure JS: no tfjs needed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Framework, InitScheme } from '../../core/ir';
import { initWeightVariance, TRUNCATED_NORMAL_STD } from '../../core/initializers';
import { drawBias, drawWeights, orthogonal } from '../../core/probe/seededInit';
import { Rng } from '../../core/probe/rng';
import { initFor } from '../../core/probe/syntheticModels';

const FAN_IN = 256;
const FAN_OUT = 128;
const N = FAN_IN * FAN_OUT;

function moments(v: Float32Array) {
  let m = 0;
  for (const x of v) m += x / v.length;
  let s = 0;
  let max = 0;
  for (const x of v) {
    s += (x - m) ** 2 / v.length;
    max = Math.max(max, Math.abs(x));
  }
  return { mean: m, variance: s, maxAbs: max };
}

test('every variance-scaling scheme realises initWeightVariance (within sampling error) in its law', () => {
  const cases: [InitScheme, Framework][] = [
    ['pytorch_default', 'pytorch'],
    ['kaiming_normal', 'pytorch'],
    ['kaiming_uniform', 'pytorch'],
    ['xavier_normal', 'pytorch'],
    ['lecun_normal', 'keras'],
    ['lecun_normal', 'tfjs'],
    ['he_normal', 'keras'],
    ['he_uniform', 'keras'],
    ['glorot_uniform', 'keras'],
    ['glorot_normal', 'tfjs'],
  ];
  for (const [scheme, fw] of cases) {
    const spec = initFor(scheme, fw, FAN_IN, FAN_OUT);
    const v = initWeightVariance(spec, FAN_IN, FAN_OUT) as number;
    const { values, note } = drawWeights(spec, fw, [FAN_IN, FAN_OUT], FAN_IN, FAN_OUT, new Rng(11));
    assert.equal(note, null);
    const m = moments(values);
    // Var of the sample variance ~ 2 v^2 / N (normal) or less (uniform / truncated): 5 sigma.
    assert.ok(Math.abs(m.variance / v - 1) < 5 * Math.sqrt(2 / N), `${fw} ${scheme}: variance ${m.variance} vs ${v}`);
    assert.ok(Math.abs(m.mean) < 5 * Math.sqrt(v / N), `${fw} ${scheme}: mean ${m.mean}`);
    const std = Math.sqrt(v);
    if (spec.distribution === 'uniform') assert.ok(m.maxAbs <= Math.sqrt(3) * std * (1 + 1e-6), `${scheme}: uniform bound`);
    if (spec.distribution === 'truncated_normal') {
      // Cut at 2 parameter stds; the parameter std is sqrt(v)/0.8796 (Keras corrected; tfjs's v is already 0.7737x).
      assert.ok(m.maxAbs <= (2 * std) / TRUNCATED_NORMAL_STD * (1 + 1e-6), `${fw} ${scheme}: truncation`);
      assert.ok(m.maxAbs > 1.95 * (std / TRUNCATED_NORMAL_STD), `${fw} ${scheme}: reaches the cut`);
    }
    if (spec.distribution === 'normal') assert.ok(m.maxAbs > 3 * std, `${fw} ${scheme}: untruncated tails`);
  }
});

test('Keras lecun_normal has variance 1/fan_in, tfjs leCunNormal 0.7737/fan_in (the tfjs defect reproduced for tfjs models only)', () => {
  const keras = moments(drawWeights(initFor('lecun_normal', 'keras', FAN_IN, FAN_OUT), 'keras', [FAN_IN, FAN_OUT], FAN_IN, FAN_OUT, new Rng(2)).values);
  const tfjs = moments(drawWeights(initFor('lecun_normal', 'tfjs', FAN_IN, FAN_OUT), 'tfjs', [FAN_IN, FAN_OUT], FAN_IN, FAN_OUT, new Rng(2)).values);
  assert.ok(Math.abs(keras.variance * FAN_IN - 1) < 0.03, `keras ${keras.variance * FAN_IN}`);
  assert.ok(Math.abs(tfjs.variance * FAN_IN - TRUNCATED_NORMAL_STD ** 2) < 0.03, `tfjs ${tfjs.variance * FAN_IN}`);
  // Same draws, scaled by exactly 0.8796: the laws differ only in that factor.
  const k = drawWeights(initFor('lecun_normal', 'keras', FAN_IN, FAN_OUT), 'keras', [4], FAN_IN, FAN_OUT, new Rng(5)).values;
  const t = drawWeights(initFor('lecun_normal', 'tfjs', FAN_IN, FAN_OUT), 'tfjs', [4], FAN_IN, FAN_OUT, new Rng(5)).values;
  k.forEach((x, i) => assert.ok(Math.abs(t[i] - x * TRUNCATED_NORMAL_STD) < 1e-7));
});

test('PyTorch default: weights U(+-1/sqrt(fan_in)) (variance 1/(3 fan_in)), bias U(+-1/sqrt(fan_in)); Keras bias zeros', () => {
  const w = moments(drawWeights(null, 'pytorch', [FAN_IN, FAN_OUT], FAN_IN, FAN_OUT, new Rng(3)).values);
  assert.ok(w.maxAbs <= 1 / Math.sqrt(FAN_IN) && w.maxAbs > 0.99 / Math.sqrt(FAN_IN));
  assert.ok(Math.abs(w.variance * 3 * FAN_IN - 1) < 0.03);
  const b = drawBias(null, 'pytorch', FAN_IN, 4096, new Rng(4));
  const bm = moments(b);
  assert.ok(bm.maxAbs <= 1 / Math.sqrt(FAN_IN) && Math.abs(bm.variance * 3 * FAN_IN - 1) < 0.1);
  assert.ok(drawBias(null, 'keras', FAN_IN, 8, new Rng(4)).every((x) => x === 0));
  assert.ok(drawBias({ present: true, variance: 0, scheme: 'zeros' }, 'pytorch', FAN_IN, 8, new Rng(4)).every((x) => x === 0));
});

test('explicit laws: normal(std), PyTorch trunc_normal_ absolute bounds, uniform(a, b), constants, orthogonal', () => {
  const rng = new Rng(6);
  const normal = moments(drawWeights(initFor('normal', 'pytorch', 64, 64, { distribution: 'normal', std: 0.5, explicit: true }), 'pytorch', [64, 64], 64, 64, rng).values);
  assert.ok(Math.abs(normal.variance - 0.25) < 0.02);
  const tn = drawWeights(initFor('truncated_normal', 'pytorch', 64, 64, { distribution: 'truncated_normal', std: 1, low: -0.5, high: 0.5 }), 'pytorch', [64, 64], 64, 64, rng).values;
  assert.ok(tn.every((x) => x >= -0.5 && x <= 0.5));
  const u = drawWeights(initFor('uniform', 'pytorch', 64, 64, { distribution: 'uniform', low: 2, high: 3 }), 'pytorch', [64, 64], 64, 64, rng).values;
  assert.ok(u.every((x) => x >= 2 && x < 3));
  assert.ok(drawWeights(initFor('zeros', 'keras', 8, 8, { distribution: 'constant' }), 'keras', [8, 8], 8, 8, rng).values.every((x) => x === 0));
  assert.ok(drawWeights(initFor('constant', 'keras', 8, 8, { distribution: 'constant', value: 0.3 }), 'keras', [8, 8], 8, 8, rng).values.every((x) => Math.abs(x - 0.3) < 1e-7));
  // Orthogonal [in, out] with in >= out: orthonormal columns (W^T W = I), scaled by the gain.
  const q = orthogonal([48, 16], 2, new Rng(7));
  for (let a = 0; a < 16; a++) {
    for (let b = 0; b < 16; b++) {
      let dot = 0;
      for (let r = 0; r < 48; r++) dot += q[r * 16 + a] * q[r * 16 + b];
      assert.ok(Math.abs(dot - (a === b ? 4 : 0)) < 1e-5);
    }
  }
  // A scheme NormLens cannot reproduce falls back to the framework default, and says so.
  const unknown = drawWeights({ scheme: 'unknown', framework: 'pytorch', distribution: 'normal', explicit: true, weightVariance: null, sigmaW2: null }, 'pytorch', [8, 8], 8, 8, rng);
  assert.match(unknown.note ?? '', /pytorch default/);
});

test('the same seed draws the same weights', () => {
  const spec = initFor('he_normal', 'keras', 32, 32);
  assert.deepEqual(drawWeights(spec, 'keras', [32, 32], 32, 32, new Rng(9)).values, drawWeights(spec, 'keras', [32, 32], 32, 32, new Rng(9)).values);
});
