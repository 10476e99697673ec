/**
 * estimateProbeCost: exact parameter counts (against Keras' own count for a fixture), FLOPs dominated by
 * 6 x batch x sum(fan_in x fan_out) for an MLP, linear in steps and batch, and no tfjs loaded to compute it (the
 * extension host calls it before deciding to start a probe).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { estimateProbeCost, LAYER_STEP_OVERHEAD_SECONDS, REFERENCE_THROUGHPUT } from '../../core/probe/cost';
import { ProbePlanError } from '../../core/probe/config';
import { irLayer, mlpModel } from '../../core/probe/syntheticModels';
import { readJsonModels } from '../../core/frontends/json/readJson';

test('computing a cost estimate loads no tfjs', () => {
  estimateProbeCost(mlpModel({ input: 8, width: 8, depth: 1, activation: 'relu' }));
  assert.equal(Object.keys(require.cache).filter((k) => k.includes('@tensorflow')).length, 0);
});

test('MLP: exact parameters; FLOPs ~ 6 x batch x sum(in x out) per step (+ elementwise and Adam, < 15%); linear in steps and batch', () => {
  const model = mlpModel({ input: 64, width: 128, depth: 2, activation: 'selu' });
  const c = estimateProbeCost(model, { steps: 100, batchSize: 32, sampleEvery: 10 });
  assert.equal(c.parameters, 64 * 128 + 128 + 128 * 128 + 128 + 128 * 10 + 10);
  const matmul = 6 * 32 * (64 * 128 + 128 * 128 + 128 * 10);
  assert.ok(c.flopsPerStep >= matmul && c.flopsPerStep < 1.15 * matmul, `${c.flopsPerStep} vs ${matmul}`);
  assert.equal(c.sampleCount, 11);
  const c2 = estimateProbeCost(model, { steps: 200, batchSize: 32, sampleEvery: 10 });
  assert.ok(Math.abs(c2.totalFlops / c.totalFlops - 2) < 0.02);
  const c3 = estimateProbeCost(model, { steps: 100, batchSize: 64, sampleEvery: 10 });
  // The optimizer's per-parameter work does not grow with the batch: a little under 2x.
  assert.ok(c3.flopsPerStep / c.flopsPerStep > 1.9 && c3.flopsPerStep / c.flopsPerStep < 2, `${c3.flopsPerStep / c.flopsPerStep}`);
  // FLOPs at the reference throughput plus the per-layer-step overhead (5 planned layers: 3 dense, 2 SELU; 100 steps + 11 sample points).
  assert.ok(Math.abs(c.estimatedSeconds.cpu - (c.totalFlops / REFERENCE_THROUGHPUT.cpu + 5 * 111 * LAYER_STEP_OVERHEAD_SECONDS.cpu)) < 1e-9);
  assert.ok(c.bytes > 4 * c.parameters * 4); // weights, gradients, two Adam slots
});

test('Keras CNN fixture: trainable parameters equal Keras\' count (19,658); steps 0 still costs one measured step', () => {
  const m = readJsonModels(readFileSync(join(__dirname, '..', 'fixtures', 'json', 'keras2-cnn-batchnorm.json'), 'utf8'), {}).models[0];
  // conv 1->32 3x3 (320) + BN 32 (64) + conv 32->64 3x3 (18,496) + renorm BN 64 (128) + dense 64->10 (650).
  const c = estimateProbeCost(m, { batchSize: 8 });
  assert.equal(c.parameters, 19658);
  assert.ok(estimateProbeCost(m, { steps: 0, batchSize: 8 }).totalFlops >= c.flopsPerStep);
});

test('a model the probe cannot build throws ProbePlanError (callers refuse it the same way)', () => {
  const model = mlpModel({ input: 8, width: 8, depth: 1, activation: 'relu' });
  model.layers[0] = irLayer(0, 'dense', 8, 8, { out: { value: null, symbol: 'hidden' } });
  assert.throws(() => estimateProbeCost(model), ProbePlanError);
});
