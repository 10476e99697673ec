/**
 * The measured side of the editor without VS Code: examples/deep_sigmoid_mlp.py read by the real front end and
 * probed on the CPU backend; its measured findings and lens texts are checked against the run's own records, and
 * the run store answers "measured on this text?" per model by content hash (stale otherwise).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Analyzer, type FileAnalysis } from '../../core/analyzer';
import { measuredFindings, type MeasuredRun } from '../../core/findings/measured';
import { runProbe } from '../../core/probe/runner';
import { resolveProbeConfig, type ProbeRecord } from '../../core/probe/config';
import { measuredLayerLenses, measuredModelLensText, staleLensText, type MeasuredLensRun } from '../../core/presentation/measuredLenses';
import { two } from '../../core/presentation/lenses';
import type { RunReport } from '../../core/protocol';
import { RunStore, type NewRun } from '../../extension/runStore';
import { MemoryStorage } from './memoryStorage';

let analysis: FileAnalysis;
let run: MeasuredRun & MeasuredLensRun;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const analyzer = await Analyzer.create();
  const text = readFileSync(join(__dirname, '..', '..', 'examples', 'deep_sigmoid_mlp.py'), 'utf8');
  analysis = analyzer.analyze('deep_sigmoid_mlp.py', text);
  const model = analysis.models[0];
  const r = await runProbe(model, { steps: 10, sampleEvery: 5, batchSize: 32 });
  run = { model, prediction: analysis.predictions[0], records: r.records, diverged: r.diverged, config: r.config, backend: r.backend, renderer: null, updatedAt: 0 };
});

const last = () => run.records[run.records.length - 1];
const sample = (rec: ProbeRecord, i: number) => rec.layers.find((l) => l.index === i)!;

test('deep_sigmoid_mlp.py (N(0,1) weights, widths 64-128): measured saturation on both Sigmoid lines, pre-activation std far above 2', () => {
  const f = measuredFindings(run, 0);
  const at = (code: string) => f.filter((x) => x.code === code).map((x) => x.range.startLine + 1);
  // Line 7: the first Linear + Sigmoid; line 9: the nine built in the loop (reported once, the worst).
  assert.deepEqual(at('measured-saturation'), [7, 9]);
  assert.deepEqual(at('measured-activation-std'), [7, 9]);
  const loop = f.find((x) => x.code === 'measured-saturation' && x.range.startLine === 8)!;
  const sigmoidLayers = run.model.layers.filter((l) => l.activation?.name === 'sigmoid' && l.range.startLine === 8).map((l) => l.index);
  assert.equal(sigmoidLayers.length, 9);
  const worst = sigmoidLayers.reduce((a, b) => (sample(last(), b).saturation > sample(last(), a).saturation ? b : a));
  assert.equal(loop.layerIndex, worst);
  assert.ok(sample(last(), worst).saturation > 0.5);
  assert.match(loop.message, new RegExp(`sigmoid layers ${sigmoidLayers[0]}-${sigmoidLayers[8]} \\(9 built here; worst \\S+\\) has ${Math.round(sample(last(), worst).saturation * 100)}% of its pre-activations in the flat region \\(\\|h\\| > 4`));
  assert.match(loop.message, /at step 10 \(since step 0\)/);
  // Predicted ~60% saturation at init (the static finding); measured agrees within a few points.
  const predicted = analysis.predictions[0].layers[worst].saturation;
  assert.ok(Math.abs(sample(run.records[0], worst).saturation - predicted) < 0.08, `measured ${sample(run.records[0], worst).saturation} vs predicted ${predicted}`);
});

test('measured lenses: one per source line, the last record\'s values, labelled measured', () => {
  const lenses = measuredLayerLenses(run);
  assert.deepEqual(lenses.map((l) => l.range.startLine + 1), [7, 9, 10]);
  const rec = last();
  // Line 7: Linear(64, 128) + Sigmoid is one unit: the output's moments, the sigmoid's saturation, the Linear's gradient.
  const [lin, act] = [0, 1].map((i) => sample(rec, i));
  assert.equal(lenses[0].text, `measured  mu ${two(act.mean, false)}  var ${two(act.variance)}  sat ${Math.round(act.saturation * 100)}%  dead 0%  |g| ${two(lin.gradNorm!)}`);
  assert.deepEqual(lenses[0].layers, [0, 1]);
  assert.match(lenses[0].tooltip, /^Measured by the probe at step 10 of 10 on cpu\.\n/);
  assert.match(lenses[1].text, /^measured {2}layers 2-19 \(18 built here\): var [\d.]+ -> [\d.]+ {2}sat <=\d+% {2}dead <=0% {2}\|g\| [\d.e-]+ -> [\d.e-]+$/);
  const out = sample(rec, run.model.layers.length - 1);
  assert.equal(lenses[2].text, `measured  mu ${two(out.mean, false)}  var ${two(out.variance)}  sat 0%  dead 0%  |g| ${two(out.gradNorm!)}`);
  const grads = rec.layers.filter((s) => s.gradNorm !== null);
  assert.equal(
    measuredModelLensText(run, 4),
    `NormLens net: measured step 10/10 on cpu  loss ${two(run.records[0].loss)} -> ${two(rec.loss)}  |g| first/last x${two(grads[0].gradNorm! / grads[grads.length - 1].gradNorm!)}  4 measured findings`,
  );
  assert.equal(staleLensText(run), 'measured: stale (file edited since the 10-step probe)  ·  Probe again');
});

test('a diverged run: lenses from the last finite record, the model lens says where it diverged', () => {
  const bad: ProbeRecord = { ...last(), step: 15, loss: NaN, diverged: { step: 15, layer: 2 }, layers: last().layers.map((s) => ({ ...s, mean: NaN, variance: NaN })) };
  const diverged = { ...run, records: [...run.records, bad], diverged: { step: 15, layer: 2 } };
  assert.deepEqual(measuredLayerLenses(diverged).map((l) => l.text), measuredLayerLenses(run).map((l) => l.text));
  assert.match(measuredModelLensText(diverged, 1), /^NormLens net: measured step 10\/10 on cpu {2}DIVERGED at step 15 \(\S+\) {2}loss /);
  const f = measuredFindings(diverged, 0).filter((x) => x.code === 'measured-divergence');
  assert.equal(f.length, 1);
  assert.equal(f[0].layerIndex, 2);
  assert.equal(f[0].range.startLine + 1, 9);
  assert.match(f[0].message, new RegExp(`diverged at step 15 of the probe: layer ${run.model.layers[2].name} \\(layer 2\\) produced NaN / Inf first \\(Adam, learning rate 0\\.001, batch 32\\)\\. The last finite loss was [\\d.]+ at step 10\\.`));
});

test('run store: the newest measured run per model and text; any text for "stale"; unfinished runs are not measured', () => {
  let t = 0;
  const store = new RunStore(new MemoryStorage(), { now: () => (t += 10) });
  const uri = 'file:///w/deep_sigmoid_mlp.py';
  const base: NewRun = { uri, fileName: 'deep_sigmoid_mlp.py', version: 1, contentHash: 'A', modelIndex: 0, modelName: 'net', model: run.model, prediction: run.prediction, config: resolveProbeConfig(run.model, { steps: 10 }), backendPreference: 'cpu' };
  const report = (runId: string, status: RunReport['status']): RunReport => ({ runId, status, backend: 'cpu', renderer: null, ops: 'plain', note: null, error: null, restarted: false, stepsRun: null, diverged: null, notes: [] });
  const finish = (over: Partial<NewRun>, status: RunReport['status'] = 'done') => {
    const r = store.create({ ...base, ...over });
    store.applyReport(report(r.id, 'running'));
    store.appendRecord(r.id, run.records[0]);
    if (status !== 'running') store.applyReport(report(r.id, status));
    return r.id;
  };
  const a = finish({});
  const b = finish({ version: 2, contentHash: 'B' });
  const c = finish({ version: 3, contentHash: 'A', modelIndex: 1 });
  finish({ version: 4, contentHash: 'A' }, 'running');
  assert.equal(store.latestMeasured(uri, 0, 'A')?.id, a);
  assert.equal(store.latestMeasured(uri, 0, 'B')?.id, b);
  assert.equal(store.latestMeasured(uri, 0)?.id, b, 'newest of any text');
  assert.equal(store.latestMeasured(uri, 1, 'A')?.id, c);
  assert.equal(store.latestMeasured(uri, 1, 'B'), undefined);
  assert.equal(store.latestMeasured(uri, 0, 'C'), undefined);
  assert.deepEqual(store.measuredModels(uri), [0, 1]);
  assert.deepEqual(store.measuredModels('file:///w/other.py'), []);
});
