/**
 * Resource caps (core/probe/cost.ts fitProbeToBudget): before a probe starts, the estimate from the IR refuses
 * models that cannot fit (weights above the memory budget, a weight matrix larger than one WebGL texture, more
 * layers than a record carries) and scales the rest down, batch for memory, steps (then batch) for time, saying
 * from what to what and why. Absurd inputs (10^9 widths, 10,000 layers) are answered in bounded time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateProbeCost, fitProbeToBudget, MAX_PROBED_LAYERS } from '../../core/probe/cost';
import { resolveProbeConfig } from '../../core/probe/config';
import { mlpModel } from '../../core/probe/syntheticModels';

const MiB = 2 ** 20;

test('10^9 widths: refused on both backends, the message gives the parameter count and the memory needed', () => {
  const wide = mlpModel({ input: 1e9, width: 1e9, depth: 2, activation: 'relu' });
  const t0 = performance.now();
  const cpu = fitProbeToBudget(wide, {}, { backend: 'cpu', maxBytes: 1024 * MiB, maxSeconds: 60 });
  const gl = fitProbeToBudget(wide, {}, { backend: 'webgl', maxBytes: 1024 * MiB, maxSeconds: 300, maxTextureSize: 16384 });
  assert.ok(performance.now() - t0 < 500);
  assert.equal(cpu.refused, 'its 2.0e+18 parameters need 2.9e+7 TiB (weights, gradients, optimizer state) before any activation, above the 1,024 MiB memory budget of the CPU backend');
  // WebGL: the texture limit is hit first (1e18 elements in one matrix, 16384^2 = 268M texels).
  assert.equal(gl.refused, "layer 0's weights have 1.0e+18 elements, more than one WebGL texture holds (MAX_TEXTURE_SIZE 16384² = 268,435,456)");
});

test('a weight matrix larger than one WebGL texture is refused on WebGL and accepted on the CPU', () => {
  const m = mlpModel({ input: 8192, width: 8192, depth: 1, activation: 'relu' });
  const gl = fitProbeToBudget(m, { batchSize: 4, steps: 1 }, { backend: 'webgl', maxBytes: 4096 * MiB, maxSeconds: 1e6, maxTextureSize: 4096 });
  assert.match(gl.refused ?? '', /^layer 0's weights have 67,108,864 elements, more than one WebGL texture holds \(MAX_TEXTURE_SIZE 4096² = 16,777,216\)$/);
  const cpu = fitProbeToBudget(m, { batchSize: 4, steps: 1 }, { backend: 'cpu', maxBytes: 4096 * MiB, maxSeconds: 1e6 });
  assert.equal(cpu.refused, null);
  assert.deepEqual(cpu.changes, []);
});

test('10,000 layers: measured (the protocol limit), 10,001 refused; either answered in bounded time', () => {
  // An MLP of depth d has 2d + 1 IR layers.
  const at = mlpModel({ input: 16, width: 16, depth: 4999, activation: 'relu' });
  at.layers.push({ ...at.layers[at.layers.length - 2], index: at.layers.length });
  assert.equal(at.layers.length, MAX_PROBED_LAYERS);
  const over = mlpModel({ input: 16, width: 16, depth: 5000, activation: 'relu' });
  const t0 = performance.now();
  const ok = fitProbeToBudget(at, { steps: 200 }, { backend: 'webgl', maxBytes: 1024 * MiB, maxSeconds: 1e6, maxTextureSize: 4096 });
  const refused = fitProbeToBudget(over, { steps: 200 }, { backend: 'webgl', maxBytes: 1024 * MiB, maxSeconds: 1e6, maxTextureSize: 4096 });
  const ms = performance.now() - t0;
  assert.equal(ok.refused, null);
  assert.equal(refused.refused, 'it has 10,001 layers; a probe measures at most 10,000');
  assert.ok(ms < 2000, `${ms} ms`);
  console.log(`10,000-layer fit: ${ms.toFixed(0)} ms`);
});

test('memory: the batch is cut to the largest that fits the budget, and the change says from what to what and why', () => {
  const m = mlpModel({ input: 1024, width: 1024, depth: 8, activation: 'relu' });
  const asked = resolveProbeConfig(m, { batchSize: 4096, steps: 10 });
  const budget = { backend: 'cpu' as const, maxBytes: 256 * MiB, maxSeconds: 1e9 };
  const full = estimateProbeCost(m, asked);
  assert.ok(full.bytes > budget.maxBytes);
  const fit = fitProbeToBudget(m, asked, budget);
  assert.equal(fit.refused, null);
  const b = fit.config.batchSize;
  assert.ok(b > 1 && b < 4096);
  assert.ok(estimateProbeCost(m, { ...asked, batchSize: b }).bytes <= budget.maxBytes);
  assert.ok(estimateProbeCost(m, { ...asked, batchSize: b + 1 }).bytes > budget.maxBytes);
  assert.equal(fit.config.steps, 10);
  assert.deepEqual(fit.changes, [`batch 4096 -> ${b}: ${Math.ceil(full.bytes / MiB).toLocaleString('en-US')} MiB at batch 4096 is above the 256 MiB memory budget of the CPU backend`]);
  // Weights alone above the budget: refused, not scaled.
  assert.match(fitProbeToBudget(m, asked, { ...budget, maxBytes: 64 * MiB }).refused ?? '', /^its 8,4\d\d,\d{3} parameters need 1\d\d MiB \(weights, gradients, optimizer state\) before any activation, above the 64 MiB memory budget/);
});

test('time: steps are cut to the most that fit the cap; then the batch; a BatchNorm model keeps a batch of at least 2', () => {
  const m = mlpModel({ input: 256, width: 256, depth: 6, activation: 'tanh' });
  const asked = resolveProbeConfig(m, { steps: 5000, sampleEvery: 100, batchSize: 64 });
  const fit = fitProbeToBudget(m, asked, { backend: 'webgl', maxBytes: 1024 * MiB, maxSeconds: 10 });
  const secs = (steps: number) => estimateProbeCost(m, { ...asked, steps }).estimatedSeconds.webgl;
  const s = fit.config.steps;
  assert.ok(s > 0 && s < 5000);
  assert.ok(secs(s) <= 10 && secs(s + 1) > 10, `${secs(s)} / ${secs(s + 1)}`);
  assert.equal(fit.config.batchSize, 64);
  assert.equal(fit.changes.length, 1);
  assert.match(fit.changes[0], new RegExp(`^steps 5000 -> ${s}: 5000 steps are estimated at \\d+ s on WebGL, above the 10 s time cap$`));
  // A cap below one measurement at batch 64: steps 0, then the batch halves.
  const tight = fitProbeToBudget(m, asked, { backend: 'cpu', maxBytes: 1024 * MiB, maxSeconds: 0.05 });
  assert.equal(tight.refused, null);
  assert.equal(tight.config.steps, 0);
  assert.ok(tight.config.batchSize < 64);
  assert.ok(tight.cost.estimatedSeconds.cpu <= 0.05);
  assert.match(tight.changes.join(' | '), /^steps 5000 -> 0 \(the initialized network only\): .* \| batch 64 -> \d+: to fit the 0\.05 s time cap$/);
  const bn = mlpModel({ input: 1024, width: 1024, depth: 4, activation: 'relu', batchNorm: true });
  const refused = fitProbeToBudget(bn, { steps: 10, batchSize: 64 }, { backend: 'cpu', maxBytes: 1024 * MiB, maxSeconds: 1e-6 });
  assert.match(refused.refused ?? '', /^measuring even the initialized network at batch 2 is estimated at \d+ s on the CPU backend, above the 0\.000001 s time cap$/);
});

test('a model that fits is left alone', () => {
  const m = mlpModel({ input: 32, width: 64, depth: 3, activation: 'selu' });
  const fit = fitProbeToBudget(m, { steps: 200 }, { backend: 'webgl', maxBytes: 1024 * MiB, maxSeconds: 300, maxTextureSize: 4096 });
  assert.deepEqual([fit.refused, fit.changes, fit.config], [null, [], resolveProbeConfig(m, { steps: 200 })]);
});
