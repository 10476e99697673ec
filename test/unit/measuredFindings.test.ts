/**
 * Measured findings from real probe records: small synthetic models run through runProbe on the CPU backend,
 * each built to show one failure (saturated tanh, vanishing sigmoid gradients, ReLUs killed by a large learning
 * rate, divergence under a huge one), plus a healthy network that must produce none.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { runProbe } from '../../core/probe/runner';
import { initFor, mlpModel } from '../../core/probe/syntheticModels';
import { DEFAULT_MEASURED_THRESHOLDS, describeSaturationSet, lastFiniteRecord, measuredFindings, type MeasuredRun } from '../../core/findings/measured';
import { FINDING_CODES } from '../../core/findings/types';
import { resolveActivation } from '../../core/probe/activationSpec';
import type { Framework, Model } from '../../core/ir';
import type { ProbeConfig } from '../../core/probe/config';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** Weights N(0, 1) whatever the fan-in: the "old-style" init of examples/deep_sigmoid_mlp.py. */
const unitNormal = (fi: number, fo: number, fw: Framework) => initFor('normal', fw, fi, fo, { weightVariance: 1 });

async function probe(model: Model, config: Partial<ProbeConfig>): Promise<MeasuredRun> {
  const r = await runProbe(model, config);
  return { model, records: r.records, diverged: r.diverged, config: r.config };
}

const codes = (fs: { code: string }[]) => fs.map((f) => f.code).sort();

test('every measured code is a registered finding code', () => {
  for (const c of ['measured-saturation', 'measured-dead-units', 'measured-vanishing-gradient', 'measured-exploding-gradient', 'measured-divergence', 'measured-activation-std']) {
    assert.ok((FINDING_CODES as readonly string[]).includes(c), c);
  }
  assert.equal(describeSaturationSet(resolveActivation({ name: 'tanh' }, 'pytorch').saturation), '|h| > 2');
  assert.equal(describeSaturationSet(resolveActivation({ name: 'sigmoid' }, 'pytorch').saturation), '|h| > 4');
  assert.equal(describeSaturationSet(resolveActivation({ name: 'selu' }, 'pytorch').saturation), 'h < -2.65');
});

test('tanh with N(0,1) weights: saturated layers, exploding gradients, pre-activation std above the band', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 12, activation: 'tanh', init: unitNormal });
  const run = await probe(model, { steps: 0, batchSize: 32 });
  const rec = run.records[0];
  const f = measuredFindings(run, 0);
  assert.deepEqual([...new Set(codes(f))], ['measured-activation-std', 'measured-exploding-gradient', 'measured-saturation']);
  // Each of the 12 tanh layers is its own source line here (synthetic ranges): one saturation finding per layer
  // whose measured saturated fraction is above 50%.
  const saturated = rec.layers.filter((s) => model.layers[s.index].kind === 'activation' && s.saturation > 0.5).map((s) => s.index);
  assert.ok(saturated.length >= 10, `saturated tanh layers: ${saturated}`);
  assert.deepEqual(f.filter((x) => x.code === 'measured-saturation').map((x) => x.layerIndex), saturated);
  const sat = f.find((x) => x.code === 'measured-saturation')!;
  assert.match(sat.message, /tanh layer activation_1 has (6\d|7\d)% of its pre-activations in the flat region \(\|h\| > 2, where tanh' < 7\.07% of its maximum\) at step 0/);
  // AUTOTRAINER's ratio, from the record's own norms.
  const weighted = rec.layers.filter((s) => s.gradNorm !== null);
  const ratio = weighted[0].gradNorm! / weighted[weighted.length - 1].gradNorm!;
  assert.ok(ratio > 70, `ratio ${ratio}`);
  const exploding = f.find((x) => x.code === 'measured-exploding-gradient')!;
  assert.equal(exploding.layerIndex, null);
  assert.equal(exploding.range, model.range);
  assert.match(exploding.message, new RegExp(`first weight layer \\(dense_0\\) is ${weighted[0].gradNorm!.toPrecision(3).replace('.', '\\.').replace(/0+$/, '')}`));
  assert.deepEqual(exploding.related.map((r) => r.message.split(':')[0]), ['first weight layer', 'last weight layer']);
  // Pre-activation std ~ 4-5 (N(0,1) weights, fan-in 16 / 32): above 2.
  const std = f.filter((x) => x.code === 'measured-activation-std');
  assert.ok(std.length >= 10);
  for (const x of std) assert.ok(Math.sqrt(rec.layers[x.layerIndex!].preVariance) > 2);
  // A threshold from the settings changes the verdict: nothing here is 90% saturated.
  const strict = measuredFindings(run, 0, { ...DEFAULT_MEASURED_THRESHOLDS, saturation: 0.9, explodingGradientRatio: 1e6, activationStdHigh: 10 });
  assert.deepEqual(strict, []);
});

test('deep sigmoid with lecun_normal: gradients vanish (first-layer norm < 1e-4) and pre-activations shrink below std 0.5', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 16, activation: 'sigmoid', init: 'lecun_normal' });
  const run = await probe(model, { steps: 20, sampleEvery: 10, batchSize: 32 });
  const f = measuredFindings(run, 0);
  const last = lastFiniteRecord(run.records)!;
  assert.equal(last.step, 20);
  const vanishing = f.filter((x) => x.code === 'measured-vanishing-gradient');
  assert.equal(vanishing.length, 1);
  const weighted = last.layers.filter((s) => s.gradNorm !== null);
  assert.ok(weighted[0].gradNorm! < 1e-4 && weighted[0].gradNorm! / weighted[weighted.length - 1].gradNorm! < 1e-3);
  assert.match(vanishing[0].message, /gradients vanish at step 20 \(since step 0\) of the probe/);
  assert.ok(!f.some((x) => x.code === 'measured-exploding-gradient' || x.code === 'measured-saturation'));
  const low = f.filter((x) => x.code === 'measured-activation-std');
  assert.ok(low.length > 0);
  for (const x of low) {
    assert.ok(Math.sqrt(last.layers[x.layerIndex!].preVariance) < 0.5);
    assert.match(x.message, /below the band \[0\.5, 2\]/);
  }
});

test('ReLUs killed by a large learning rate: dead units', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 4, activation: 'relu', init: 'he_normal' });
  const run = await probe(model, { steps: 60, sampleEvery: 20, batchSize: 32, learningRate: 0.3 });
  const last = lastFiniteRecord(run.records)!;
  const f = measuredFindings(run, 0);
  const dead = f.filter((x) => x.code === 'measured-dead-units');
  const expected = last.layers.filter((s) => s.dead >= 0.7).map((s) => s.index);
  assert.ok(expected.length >= 2, JSON.stringify(last.layers.map((s) => s.dead)));
  assert.deepEqual(dead.map((x) => x.layerIndex), expected);
  for (const x of dead) {
    assert.equal(model.layers[x.layerIndex!].activation?.name, 'relu');
    assert.match(x.message, new RegExp(`^Measured: ${Math.round(last.layers[x.layerIndex!].dead * 100)}% of the units of relu layer activation_\\d+ are dead \\(pre-activation <= 0 for all 32 examples`));
  }
  // At initialization nothing was dead: the finding says since when.
  assert.equal(run.records[0].layers.every((s) => s.dead < 0.7), true);
  assert.match(dead[0].message, /at step 60 \(since step (20|40)\)/);
  // With every gradient zero the AUTOTRAINER ratio is 0 / 0: not reported as a gradient finding.
  assert.ok(!f.some((x) => x.code.endsWith('-gradient')));
});

test('SGD at learning rate 100 diverges: an error at the step and layer where NaN appeared', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 4, activation: 'relu', init: 'he_normal' });
  const run = await probe(model, { steps: 60, sampleEvery: 5, batchSize: 32, learningRate: 100, optimizer: 'sgd' });
  assert.deepEqual(run.diverged, { step: 5, layer: 0 });
  const f = measuredFindings(run, 0);
  const div = f.filter((x) => x.code === 'measured-divergence');
  assert.equal(div.length, 1);
  assert.equal(div[0].severity, 'error');
  assert.equal(div[0].layerIndex, 0);
  assert.equal(div[0].range, model.layers[0].range);
  assert.match(div[0].message, /diverged at step 5 of the probe: layer dense_0 \(layer 0\) produced NaN \/ Inf first \(SGD, learning rate 100, batch 32\)\. The last finite loss was [\d.]+ at step 0\./);
  // The NaN record counts every unit as dead; the rules read the last finite record (step 0) instead.
  assert.ok(!f.some((x) => x.code === 'measured-dead-units'));
});

test('a healthy ReLU network with He init under Adam 1e-3 has no measured findings', async () => {
  const model = mlpModel({ input: 16, width: 32, depth: 4, activation: 'relu', init: 'he_normal' });
  const run = await probe(model, { steps: 20, sampleEvery: 10, batchSize: 32 });
  assert.deepEqual(measuredFindings(run, 0), []);
});
