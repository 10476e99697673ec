/**
 * The probe run: streamed records at the sample points, reproducibility from the seed, cancellation (AbortSignal
 * and breaking out of the stream), divergence reported as data, tasks and input normalizations, running
 * statistics, dead units, and no tensor left behind in any of these cases.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveProbeConfig, TENSORBOARD_PERCENTILES } from '../../core/probe/config';
import { planNetwork } from '../../core/probe/plan';
import { probeStream, runProbe } from '../../core/probe/runner';
import { ProbeSession } from '../../core/probe/session';
import { plainOps } from '../../core/probe/ops';
import { chooseTask, createTask } from '../../core/probe/task';
import { initFor, irLayer, mlpModel } from '../../core/probe/syntheticModels';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const small = (extra: Parameters<typeof mlpModel>[0] | object = {}) =>
  mlpModel({ input: 12, width: 24, depth: 3, activation: 'relu', init: 'he_normal', ...extra } as Parameters<typeof mlpModel>[0]);

test('streams one record per sample point (0, every K, last) with the IR layer indices; frees every tensor', async () => {
  const model = small();
  const start = tf.memory().numTensors;
  const steps: number[] = [];
  const r = await runProbe(model, { steps: 25, sampleEvery: 10, batchSize: 16 }, { onRecord: (rec) => steps.push(rec.step) });
  assert.equal(tf.memory().numTensors, start);
  assert.deepEqual(steps, [0, 10, 20, 25]);
  assert.equal(r.status, 'completed');
  assert.equal(r.stepsRun, 25);
  assert.equal(r.backend, 'cpu');
  assert.equal(r.ops, 'plain');
  const rec = r.records[0];
  assert.deepEqual(rec.layers.map((l) => l.index), model.layers.map((l) => l.index));
  for (const l of rec.layers) {
    assert.equal(l.percentilesPre.length, TENSORBOARD_PERCENTILES.length);
    assert.ok(l.percentilesPost.every((v, i) => i === 0 || v >= l.percentilesPost[i - 1]), 'percentiles sorted');
  }
  assert.ok(rec.layers[0].gradNorm! > 0 && rec.layers[0].updateRatio! > 0);
  assert.equal(rec.layers[1].gradNorm, null); // activation layer: no weight
  assert.ok(r.records[3].loss < r.records[0].loss, 'Adam 1e-3 lowers the loss');
  // JSON-safe plain data.
  assert.deepEqual(JSON.parse(JSON.stringify(r.records[1])).layers[0].index, 0);
});

test('exactly one readback per sample point and none in plain training steps (performance-notes.md)', async () => {
  const proto = tf.Tensor.prototype as unknown as { data: () => Promise<unknown>; dataSync: () => unknown; arraySync: () => unknown; array: () => Promise<unknown> };
  const saved = { data: proto.data, dataSync: proto.dataSync, array: proto.array, arraySync: proto.arraySync };
  const counts = { data: 0, dataSync: 0, array: 0, arraySync: 0 };
  for (const k of Object.keys(saved) as (keyof typeof saved)[]) {
    (proto as Record<string, unknown>)[k] = function (this: tf.Tensor, ...args: unknown[]) {
      counts[k]++;
      return (saved[k] as (...a: unknown[]) => unknown).apply(this, args);
    };
  }
  try {
    const r = await runProbe(small({ batchNorm: true, alphaDropout: 0.05, activation: 'selu' }), { steps: 30, sampleEvery: 10, batchSize: 8 });
    assert.equal(r.records.length, 4);
    assert.equal(counts.data, 4);
    assert.equal(counts.array + counts.arraySync + counts.dataSync, 0);
  } finally {
    Object.assign(proto, saved);
  }
});

test('same seed -> identical losses and statistics; another seed -> different ones', async () => {
  const model = small({ alphaDropout: 0.1, activation: 'selu' });
  const cfg = { steps: 8, sampleEvery: 4, batchSize: 8 };
  const a = await runProbe(model, { ...cfg, seed: 3 });
  const b = await runProbe(model, { ...cfg, seed: 3 });
  const c = await runProbe(model, { ...cfg, seed: 4 });
  assert.deepEqual(a.records.map((r) => r.loss), b.records.map((r) => r.loss));
  assert.deepEqual(a.records.map((r) => r.layers.map((l) => l.variance)), b.records.map((r) => r.layers.map((l) => l.variance)));
  assert.notDeepEqual(a.records.map((r) => r.loss), c.records.map((r) => r.loss));
});

test('cancellation: an AbortSignal stops at the next step, breaking out of the stream also frees everything', async () => {
  const model = small();
  const start = tf.memory().numTensors;
  const ac = new AbortController();
  const r = await runProbe(model, { steps: 1000, sampleEvery: 5, batchSize: 8 }, { signal: ac.signal, onRecord: (rec) => rec.step >= 5 && ac.abort() });
  assert.equal(r.status, 'cancelled');
  assert.ok(r.stepsRun >= 5 && r.stepsRun < 10, `stepsRun ${r.stepsRun}`);
  assert.equal(tf.memory().numTensors, start);
  // An abort from a timer lands between steps (the engine yields to the event loop every step).
  const ac2 = new AbortController();
  setTimeout(() => ac2.abort(), 30);
  const r2 = await runProbe(model, { steps: 100000, sampleEvery: 100000, batchSize: 8 }, { signal: ac2.signal });
  assert.equal(r2.status, 'cancelled');
  assert.ok(r2.stepsRun < 100000);
  assert.equal(tf.memory().numTensors, start);
  let seen = 0;
  for await (const rec of probeStream(model, { steps: 100, sampleEvery: 2, batchSize: 8 })) {
    seen = rec.step;
    if (rec.step === 4) break;
  }
  assert.equal(seen, 4);
  assert.equal(tf.memory().numTensors, start);
});

test('divergence is data: {step, layer} of the first non-finite layer, status diverged, no throw, no leak', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 6, activation: 'selu', init: 'lecun_normal' });
  const start = tf.memory().numTensors;
  const r = await runProbe(model, { steps: 60, sampleEvery: 5, optimizer: 'sgd', momentum: 0, learningRate: 50, batchSize: 16 });
  assert.equal(tf.memory().numTensors, start);
  assert.equal(r.status, 'diverged');
  assert.ok(r.diverged && r.diverged.step > 0 && r.diverged.step <= 60);
  const last = r.records[r.records.length - 1];
  assert.deepEqual(last.diverged, r.diverged);
  if (r.diverged.layer !== null) {
    const bad = last.layers.findIndex((l) => l.index === r.diverged!.layer);
    assert.ok(last.layers.slice(0, bad).every((l) => Number.isFinite(l.variance) && Number.isFinite(l.mean)), 'earlier layers finite');
  }
});

test('steps 0 measures the initialized network only', async () => {
  const r = await runProbe(small(), { steps: 0 });
  assert.equal(r.records.length, 1);
  assert.equal(r.records[0].step, 0);
  assert.equal(r.stepsRun, 0);
});

test('task choice by the last layer; input normalizations standardized / unit / symmetric', () => {
  const cls = small();
  const plan = planNetwork(cls);
  assert.deepEqual(chooseTask(plan, { task: 'auto' }), { kind: 'classification', classes: 10 });
  assert.equal(chooseTask(planNetwork(small({ output: 1 })), { task: 'auto' }).kind, 'regression');
  assert.equal(chooseTask(planNetwork(small({ outputActivation: 'tanh' })), { task: 'auto' }).kind, 'regression');
  assert.equal(chooseTask(planNetwork(small({ outputActivation: 'softmax' })), { task: 'auto' }).kind, 'classification');
  assert.equal(chooseTask(plan, { task: 'regression' }).kind, 'regression');
  const expected = { standardized: [0, 1], unit: [0.5, 1 / 12], symmetric: [0, 1 / 3] } as const;
  for (const [mode, [m, v]] of Object.entries(expected)) {
    const task = createTask(plan, resolveProbeConfig(cls, { inputNormalization: mode as 'unit', batchSize: 256 }));
    const { x, target } = task.batch(0);
    const mo = tf.tidy(() => tf.moments(x));
    assert.ok(Math.abs(mo.mean.dataSync()[0] - m) < 0.02 && Math.abs(mo.variance.dataSync()[0] - v) < 0.03 * Math.max(v, 0.1), `${mode}`);
    tf.dispose([x, target, mo.mean, mo.variance]);
    task.dispose();
  }
  const reg = planNetwork(small({ output: 3, outputActivation: 'tanh' }));
  const task = createTask(reg, resolveProbeConfig(null, { batchSize: 512 }));
  const { x, target } = task.batch(1);
  assert.deepEqual(target.shape, [512, 3]);
  const tv = tf.tidy(() => tf.moments(target).variance.dataSync()[0]);
  assert.ok(tv > 0.3 && tv < 3, `teacher target variance ${tv}`);
  tf.dispose([x, target]);
  task.dispose();
});

test('BatchNorm running statistics move during training (PyTorch convention), dead ReLU units are counted', async () => {
  const model = small({ batchNorm: true });
  const plan = planNetwork(model);
  const cfg = resolveProbeConfig(model, { steps: 3, batchSize: 16 });
  const session = new ProbeSession(plan, cfg, plainOps);
  const rv = session.network.params[1].runningVar!;
  const before = Array.from(rv.dataSync());
  session.train(0);
  session.train(1);
  const after = Array.from(rv.dataSync());
  assert.notDeepEqual(after, before);
  // After 2 updates at momentum 0.1 from 1: (0.81 + 0.19 * var) -- far from the batch variance, close to 1.
  assert.ok(after.every((v) => v > 0.8 && v < 2), `${after.slice(0, 4)}`);
  const rec = await session.measure(2, false, () => 0);
  assert.ok(Math.abs(rec.layers[1].mean) < 1e-3 && Math.abs(rec.layers[1].variance - 1) < 0.01, 'BN output normalized in training mode');
  session.dispose();
  // Zero weights and zero biases: every ReLU pre-activation is 0, so every unit is dead.
  const dead = mlpModel({ input: 8, width: 16, depth: 2, activation: 'relu', bias: 'zeros', init: (fi, fo, fw) => initFor('zeros', fw, fi, fo, { distribution: 'constant' }) });
  const r = await runProbe(dead, { steps: 0 });
  assert.equal(r.records[0].layers[1].dead, 1);
  assert.equal(r.records[0].layers[0].dead, 0); // the dense layer itself has no ReLU
});

test('a model that cannot be built is refused before anything is allocated', async () => {
  const start = tf.memory().numTensors;
  const bad = small();
  bad.layers[0] = irLayer(0, 'dense', 12, 24, { out: { value: null, symbol: 'width' } });
  await assert.rejects(runProbe(bad, { steps: 1 }), /unresolved \(width\)/);
  await assert.rejects(runProbe(small(), { steps: -1 }), RangeError);
  assert.equal(tf.memory().numTensors, start);
});

test('pipeline false (the dashboard) streams the same records as the default, one readback each', async () => {
  const model = mlpModel({ input: 8, width: 16, depth: 3, activation: 'selu', init: 'lecun_normal' });
  const start = tf.memory().numTensors;
  const cfg = { steps: 6, sampleEvery: 2, batchSize: 8 };
  const piped = await runProbe(model, cfg);
  const plain = await runProbe(model, cfg, { pipeline: false });
  assert.deepEqual(plain.records.map((r) => r.step), [0, 2, 4, 6]);
  assert.deepEqual(plain.records.map((r) => r.loss), piped.records.map((r) => r.loss));
  assert.deepEqual(plain.records.map((r) => r.layers.map((l) => l.variance)), piped.records.map((r) => r.layers.map((l) => l.variance)));
  assert.equal(plain.stepsRun, 6);
  assert.equal(tf.memory().numTensors, start);
  const nan = await runProbe(model, { ...cfg, steps: 60, sampleEvery: 1, optimizer: 'sgd', momentum: 0, learningRate: 1e3 }, { pipeline: false });
  const nanPiped = await runProbe(model, { ...cfg, steps: 60, sampleEvery: 1, optimizer: 'sgd', momentum: 0, learningRate: 1e3 });
  assert.equal(nan.status, 'diverged');
  assert.deepEqual(nan.diverged, nanPiped.diverged);
  assert.equal(nan.stepsRun, nanPiped.stepsRun);
  assert.equal(nan.stepsRun, nan.diverged!.step);
  assert.equal(tf.memory().numTensors, start);
});
