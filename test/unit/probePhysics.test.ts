/**
 * Known physics reproduced by the probe at initialization (steps 0, CPU backend, standardized input), and measured
 * next to the theory where the theory has a closed form:
 * - 64 SELU layers with lecun_normal stay near (0, 1) (Klambauer et al. 2017);
 * - with PyTorch's default init (Var(w) = 1/(3 fan_in)) the variance collapses;
 * - tanh with N(0, 1) weights saturates (~90% at layer 1 for width 256: P(|h| > 2) with h ~ N(0, 256));
 * - a ReLU net with He init keeps its second moment.
 * Widths are kept small (128 / 256) so the file runs in a few seconds.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LayerSample } from '../../core/probe/config';
import { runProbe } from '../../core/probe/runner';
import { initFor, mlpModel } from '../../core/probe/syntheticModels';
import { activationModel } from '../../core/theory/activations';
import { saturationProbability } from '../../core/theory/saturation';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Outputs of the activation layers (the post-activation of each hidden layer), in order. */
async function hidden(model: ReturnType<typeof mlpModel>, batchSize = 128): Promise<LayerSample[]> {
  const r = await runProbe(model, { steps: 0, batchSize });
  return r.records[0].layers.filter((_, i) => model.layers[i].kind === 'activation');
}

test('64 SELU layers with lecun_normal stay near the fixed point (0, 1)', async () => {
  const layers = await hidden(mlpModel({ input: 128, width: 128, depth: 64, activation: 'selu', init: 'kaiming_normal', bias: 'zeros' }));
  assert.equal(layers.length, 64);
  const last = layers[63];
  for (const l of layers) {
    assert.ok(Math.abs(l.mean) < 0.25, `layer ${l.index}: mean ${l.mean}`);
    assert.ok(l.variance > 0.6 && l.variance < 1.5, `layer ${l.index}: variance ${l.variance}`);
  }
  assert.ok(Math.abs(last.variance - 1) < 0.3, `last variance ${last.variance}`);
  console.log(`SELU lecun_normal: layer 1 (${layers[0].mean.toFixed(3)}, ${layers[0].variance.toFixed(3)}), layer 64 (${last.mean.toFixed(3)}, ${last.variance.toFixed(3)})`);
});

test('64 SELU layers with PyTorch default init: the variance collapses', async () => {
  const layers = await hidden(mlpModel({ input: 128, width: 128, depth: 64, activation: 'selu' }));
  const v = layers.map((l) => l.variance);
  assert.ok(v[63] < 0.02, `last variance ${v[63]}`);
  assert.ok(v[9] < v[0] && v[63] < v[9], 'monotone decay');
  console.log(`SELU pytorch_default: variance layer 1 ${v[0].toFixed(3)}, 10 ${v[9].toFixed(4)}, 64 ${v[63].toExponential(2)}`);
});

test('tanh with N(0, 1) weights saturates at layer 1 (unit-variance input, width 256), as the theory predicts', async () => {
  const width = 256;
  const model = mlpModel({ input: width, width, depth: 3, activation: 'tanh', bias: 'zeros', init: (fi, fo, fw) => initFor('normal', fw, fi, fo, { distribution: 'normal', std: 1, explicit: true }) });
  const layers = await hidden(model, 64);
  const predicted = saturationProbability(activationModel('tanh'), 0, width); // h ~ N(0, 256): P(|h| > 2)
  for (const l of layers) assert.ok(l.saturation > 0.85, `layer ${l.index}: saturation ${l.saturation}`);
  assert.ok(Math.abs(layers[0].saturation - predicted) < 0.02, `layer 1: ${layers[0].saturation} vs theory ${predicted}`);
  console.log(`tanh N(0,1): saturation ${layers.map((l) => (100 * l.saturation).toFixed(1) + '%').join(', ')} (theory layer 1 ${(100 * predicted).toFixed(1)}%)`);
});

test('ReLU with He init keeps the second moment through depth (mean over 4 networks); PyTorch default loses it', async () => {
  const he = (fi: number, fo: number, fw: 'pytorch' | 'keras' | 'tfjs') => initFor('he_normal', fw, fi, fo, { distribution: 'normal' });
  const depth = 16;
  const secondMoments = async (init: Parameters<typeof mlpModel>[0]['init'], seed: number) => {
    const model = mlpModel({ input: 256, width: 256, depth, activation: 'relu', init, bias: 'zeros' });
    const r = await runProbe(model, { steps: 0, batchSize: 64, seed });
    return r.records[0].layers.filter((_, i) => model.layers[i].kind === 'activation').map((l) => l.variance + l.mean * l.mean);
  };
  // One finite-width network drifts like a random walk in log E[x^2] (~ +-40% at depth 16, width 256); mean-field
  // theory is about the average over networks: average the log over 4 seeds.
  const runs = await Promise.all([0, 1, 2, 3].map((seed) => secondMoments(he, seed)));
  const logMean = Array.from({ length: depth }, (_, l) => runs.reduce((s, r) => s + Math.log(r[l]), 0) / runs.length);
  for (const [l, v] of logMean.entries()) assert.ok(Math.abs(v) < Math.log(1.35), `layer ${l + 1}: geometric-mean E[x^2] ${Math.exp(v)}`);
  for (const r of runs) for (const v of r) assert.ok(v > 0.33 && v < 3, `one network: E[x^2] ${v}`);
  const fallen = await secondMoments(undefined, 0); // PyTorch default: sigma_w^2 = 1/3, E[x^2] shrinks ~6x per layer
  assert.ok(fallen[depth - 1] < 1e-9, `default init: ${fallen[depth - 1]}`);
  console.log(`ReLU He: geometric-mean E[x^2] layer 1 ${Math.exp(logMean[0]).toFixed(3)}, 8 ${Math.exp(logMean[7]).toFixed(3)}, 16 ${Math.exp(logMean[15]).toFixed(3)}; PyTorch default layer 16 ${fallen[depth - 1].toExponential(1)}`);
});
