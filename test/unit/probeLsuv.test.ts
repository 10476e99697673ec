/**
 * Data-dependent init suggestions: LSUV reaches unit output std within 0.1 in at most 10 tries and recovers the
 * known critical inits (sigma_w^2 ~ 1 for SELU = lecun, ~ 2 for ReLU = He); the weight-norm (g, b) normalize every
 * layer's units on the batch they were computed from.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveProbeConfig } from '../../core/probe/config';
import { lsuvSuggestions, weightNormInitSuggestions } from '../../core/probe/lsuv';
import { columnNorms, disposeTaps, ProbeNetwork, type LayerTap } from '../../core/probe/network';
import { plainOps } from '../../core/probe/ops';
import { planNetwork } from '../../core/probe/plan';
import { createTask } from '../../core/probe/task';
import { mlpModel } from '../../core/probe/syntheticModels';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

test('LSUV: unit output std per dense layer; sigma_w^2 ~ 1 for SELU (lecun) and ~ 2 for ReLU (He)', async () => {
  const start = tf.memory().numTensors;
  for (const [activation, critical] of [['selu', 1], ['relu', 2]] as const) {
    const model = mlpModel({ input: 64, width: 128, depth: 5, activation });
    const s = await lsuvSuggestions(model, { batchSize: 256 });
    assert.deepEqual(s.map((x) => x.index), model.layers.filter((l) => l.kind === 'dense').map((l) => l.index));
    for (const x of s) {
      assert.ok(x.converged && x.tries <= 10 && Math.abs(x.outputStd - 1) <= 0.1, `${activation} layer ${x.index}: ${JSON.stringify(x)}`);
    }
    // Hidden layers after the first see phi's output: the scale that gives unit std is the critical one.
    for (const x of s.slice(1, -1)) assert.ok(Math.abs(x.sigmaW2 / critical - 1) < 0.25, `${activation} layer ${x.index}: sigma_w^2 ${x.sigmaW2}`);
    // The first layer sees standardized input: sigma_w^2 = 1 whatever the activation.
    assert.ok(Math.abs(s[0].sigmaW2 - 1) < 0.25, `first layer ${s[0].sigmaW2}`);
  }
  assert.equal(tf.memory().numTensors, start);
});

test('weight-norm data-dependent init: applying (g, b) layer by layer gives every unit mean 0, variance 1 on the batch', async () => {
  const model = mlpModel({ input: 20, width: 32, depth: 3, activation: 'tanh' });
  const config = { batchSize: 128, seed: 5 };
  const start = tf.memory().numTensors;
  const s = await weightNormInitSuggestions(model, config);
  assert.equal(tf.memory().numTensors, start);
  assert.equal(s.length, 4);
  assert.ok(s.every((x) => x.biasApplied && x.g.length === model.layers[x.index].out.value && x.g.every((g) => g > 0)));
  // Rebuild the same network (same seed: same V), set W = g V/||V|| and b, and look at each dense layer's units.
  const cfg = resolveProbeConfig(model, config);
  const plan = planNetwork(model, cfg);
  const net = ProbeNetwork.build(plan, { seed: cfg.seed });
  for (const x of s) {
    const p = net.params[plan.layers.findIndex((lp) => lp.layer.index === x.index)];
    const units = x.g.length;
    const v = p.kernel!.dataSync() as Float32Array;
    const norms = columnNorms(v, units);
    tf.tidy(() => {
      p.kernel!.assign(tf.tensor(v.map((w, i) => (w / norms[i % units]) * x.g[i % units]), p.kernel!.shape));
      p.bias!.assign(tf.tensor1d(x.b));
    });
  }
  const task = createTask(plan, cfg);
  const batch = task.batch(0);
  let taps: LayerTap[] = [];
  tf.tidy(() => {
    taps = net.forward(batch.x, { ops: plainOps, training: true, dropout: false, step: 0, seed: cfg.seed, renormRelaxSteps: 0, capture: true, pending: null }).taps;
  });
  for (const x of s) {
    const pre = taps[plan.layers.findIndex((lp) => lp.layer.index === x.index)].pre;
    const { mean, variance } = tf.tidy(() => tf.moments(pre, 0));
    const m = mean.dataSync();
    const vv = variance.dataSync();
    for (let j = 0; j < m.length; j++) assert.ok(Math.abs(m[j]) < 1e-4 && Math.abs(vv[j] - 1) < 1e-3, `layer ${x.index} unit ${j}: ${m[j]} ${vv[j]}`);
    tf.dispose([mean, variance]);
  }
  disposeTaps(taps);
  tf.dispose([batch.x, batch.target]);
  task.dispose();
  net.dispose();
  assert.equal(tf.memory().numTensors, start);
});
