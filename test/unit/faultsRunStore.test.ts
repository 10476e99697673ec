/**
 * Faults at the host's run store (extension/runStore.ts), without VS Code: each ends in a clear state and keeps
 * what was measured. A window reload mid-run (records streamed since the last status change reach storage within
 * recordPersistMs, and dispose() writes what is pending), a WebGL restart (the lost attempt's records move to
 * `attempts`), the file edited or deleted mid-run (a host note that the engine's notes do not overwrite; the run
 * stays the measurement of the version it started on), the view disposed mid-run (interrupted; late reports
 * refused), divergence streamed from a real CPU probe through the protocol, and runs stored before `attempts`
 * existed still load (backward compatible).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { resolveProbeConfig, type ProbeRecord } from '../../core/probe/config';
import { probeStream } from '../../core/probe/runner';
import { mlpModel } from '../../core/probe/syntheticModels';
import { predictModel } from '../../core/theory/predict';
import { fromWire, parseToHost, toWire, type ProbeRun, type RunReport, type Wire } from '../../core/protocol';
import { RunStore, type NewRun } from '../../extension/runStore';
import { MemoryStorage } from './memoryStorage';

const model = mlpModel({ input: 16, width: 32, depth: 4, activation: 'relu', init: 'he_normal' });
const uri = 'file:///w/tiny.py';
const newRun = (over: Partial<NewRun> = {}): NewRun => ({
  uri, fileName: 'tiny.py', version: 4, contentHash: 'h4', modelIndex: 0, modelName: model.name, model, prediction: predictModel(model),
  config: resolveProbeConfig(model, { steps: 4, sampleEvery: 2 }), backendPreference: 'auto', ...over,
});
const report = (runId: string, over: Partial<RunReport> = {}): RunReport => ({ runId, status: 'running', backend: 'webgl', renderer: 'SwiftShader', ops: 'webgl', note: null, error: null, restarted: false, stepsRun: null, diverged: null, notes: [], ...over });
const rec = (step: number, loss = 2 - step / 100): ProbeRecord => ({ step, loss, elapsedMs: step, diverged: null, layers: [{ index: 0, mean: 0.1, variance: 1, preMean: 0, preVariance: 1, percentilesPre: [-1, 0, 1], percentilesPost: [0, 0, 1], saturation: 0, dead: 0.5, gradNorm: 0.3, updateRatio: 1e-3 }] });
const stored = (s: MemoryStorage) => s.get<Wire<ProbeRun>[]>('normlens.runs.v1') ?? [];

test('window reload mid-run: records streamed after the last status change reach storage; the run comes back interrupted with them and can be re-run', async () => {
  const storage = new MemoryStorage();
  const store = new RunStore(storage, { recordPersistMs: 20 });
  const run = store.create(newRun({ config: resolveProbeConfig(model, { steps: 1000, sampleEvery: 1 }) }));
  store.applyReport(report(run.id));
  for (let s = 0; s <= 7; s++) assert.ok(store.appendRecord(run.id, rec(s)));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(stored(storage)[0].records.length, 8, 'written without a status change');
  // More records, then the window goes away before the timer: dispose() writes them.
  for (let s = 8; s <= 9; s++) store.appendRecord(run.id, rec(s));
  store.dispose();
  await store.persist();
  const back = new RunStore(storage).get(run.id)!;
  assert.equal(back.status, 'interrupted');
  assert.equal(back.history[back.history.length - 1].note, 'the window was reloaded while the probe ran');
  assert.deepEqual(back.records.map((r) => r.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(back.records[9], rec(9));
  // An interrupted run is not a measurement, and it can be run again as a new run with the same settings.
  const reopened = new RunStore(storage);
  assert.equal(reopened.latestFor(uri, 4), undefined);
  const again = reopened.create(newRun({ config: back.config }));
  assert.equal(again.status, 'queued');
  assert.equal(reopened.get(run.id)!.records.length, 10);
});

test('WebGL lost -> restarted on the CPU: the lost attempt keeps its records in `attempts`, stored and read back; a second loss appends', async () => {
  const storage = new MemoryStorage();
  const store = new RunStore(storage);
  const run = store.create(newRun());
  store.applyReport(report(run.id));
  store.appendRecord(run.id, rec(0));
  store.appendRecord(run.id, rec(2));
  assert.ok(store.applyReport(report(run.id, { backend: 'cpu', renderer: null, ops: 'plain', restarted: true, note: 'WebGL context lost at step 2: restarted on the CPU backend' })));
  assert.deepEqual(run.attempts, [{ backend: 'webgl', renderer: 'SwiftShader', ops: 'webgl', records: [rec(0), rec(2)], note: 'WebGL context lost at step 2: restarted on the CPU backend' }]);
  assert.deepEqual([run.records, run.stepsRun, run.backend], [[], 0, 'cpu']);
  for (const s of [0, 2, 4]) assert.ok(store.appendRecord(run.id, rec(s)));
  store.applyReport(report(run.id, { status: 'done', backend: 'cpu', renderer: null, ops: 'plain', stepsRun: 4 }));
  await store.persist();
  const back = new RunStore(storage).get(run.id)!;
  assert.equal(back.status, 'done');
  assert.deepEqual(back.attempts?.[0].records.map((r) => r.step), [0, 2]);
  assert.deepEqual(back.records.map((r) => r.step), [0, 2, 4]);
  assert.equal(new RunStore(storage).latestFor(uri, 4)?.id, run.id);
});

test('runs stored before `attempts` and host notes existed load unchanged (stored format is backward compatible)', async () => {
  const storage = new MemoryStorage();
  const store = new RunStore(storage);
  const run = store.create(newRun());
  store.applyReport(report(run.id));
  store.appendRecord(run.id, rec(0));
  store.applyReport(report(run.id, { status: 'done', stepsRun: 4 }));
  await store.persist();
  const old = stored(storage).map((r) => {
    const { attempts, ...rest } = r as Wire<ProbeRun> & { attempts?: unknown };
    void attempts;
    return rest;
  });
  assert.ok(!('attempts' in old[0]));
  storage.data.set('normlens.runs.v1', JSON.stringify(old));
  const logs: string[] = [];
  const back = new RunStore(storage, { log: (m) => logs.push(m) }).get(run.id)!;
  assert.equal(logs.length, 0, logs.join('\n'));
  assert.equal(back.status, 'done');
  assert.equal(back.attempts, undefined);
  // A malformed attempts field is a corrupt run: dropped with the reason, the rest loads.
  storage.data.set('normlens.runs.v1', JSON.stringify([{ ...old[0], attempts: [{ records: 'x' }] }]));
  const bad = new RunStore(storage, { log: (m) => logs.push(m) });
  assert.equal(bad.all().length, 0);
  assert.match(logs[0], /dropped a stored probe run: run\.attempts\[0\]\.backend: missing/);
});

test('file edited or deleted mid-run: a host note the engine report does not overwrite; the run stays the measurement of its version', () => {
  const store = new RunStore(new MemoryStorage());
  const run = store.create(newRun({ notes: ['Scaled down before starting: batch 64 -> 8: x.'] }));
  store.applyReport(report(run.id));
  store.appendRecord(run.id, rec(0));
  const edited = 'The file changed while the probe ran; this run measures the version it started on (version 4).';
  assert.ok(store.addNote(run.id, edited));
  assert.ok(store.addNote(run.id, edited), 'once');
  assert.ok(store.addNote(run.id, 'The file was deleted while the probe ran; the run went on with the model it started with.'));
  store.appendRecord(run.id, rec(2));
  store.applyReport(report(run.id, { status: 'done', stepsRun: 4, notes: ['layer 3: unknown initializer, PyTorch default assumed'] }));
  assert.deepEqual(run.notes, [
    'Scaled down before starting: batch 64 -> 8: x.',
    edited,
    'The file was deleted while the probe ran; the run went on with the model it started with.',
    'layer 3: unknown initializer, PyTorch default assumed',
  ]);
  assert.equal(store.latestFor(uri, 4)?.id, run.id);
  assert.equal(store.latestFor(uri, 5), undefined);
  assert.equal(store.latestForContent(uri, 'h4')?.id, run.id);
  assert.equal(store.addNote(run.id, 'late'), false, 'a finished run takes no more notes');
});

test('view disposed mid-run: interrupted with its records; late records and reports from the old page are refused', () => {
  const store = new RunStore(new MemoryStorage());
  const run = store.create(newRun());
  store.applyReport(report(run.id));
  store.appendRecord(run.id, rec(0));
  store.appendRecord(run.id, rec(2));
  const queued = store.create(newRun());
  assert.ok(store.finish(run.id, 'interrupted', 'the dashboard was closed'));
  assert.ok(store.finish(queued.id, 'interrupted', 'the dashboard was closed'));
  assert.equal(store.appendRecord(run.id, rec(4)), false);
  assert.equal(store.applyReport(report(run.id, { status: 'done', stepsRun: 4 })), false);
  assert.equal(store.finish(run.id, 'cancelled', 'late'), false);
  assert.deepEqual([run.status, run.records.length, run.stepsRun], ['interrupted', 2, 2]);
  assert.deepEqual(store.active(), []);
});

test('divergence through the protocol: a real CPU probe at SGD lr 1000 streams NaN records the host guard accepts; the store keeps every one and the divergence', async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const store = new RunStore(new MemoryStorage());
  const config = resolveProbeConfig(model, { steps: 60, sampleEvery: 1, batchSize: 16, optimizer: 'sgd', learningRate: 1e3, momentum: 0 });
  const run = store.create(newRun({ config }));
  store.applyReport(report(run.id, { backend: 'cpu', renderer: null, ops: 'plain' }));
  const stream = probeStream(model, config);
  let next = await stream.next();
  for (; !next.done; next = await stream.next()) {
    const wire = JSON.parse(JSON.stringify({ kind: 'command', method: 'probe/record', params: { runId: run.id, record: toWire(next.value) } }));
    const parsed = parseToHost(wire);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.error);
    assert.ok(store.appendRecord(run.id, fromWire<ProbeRecord>(wire.params.record)));
  }
  const result = next.value;
  assert.equal(result.status, 'diverged');
  assert.deepEqual(result.diverged, { step: 2, layer: 0 });
  store.applyReport(report(run.id, { status: 'diverged', backend: 'cpu', renderer: null, ops: 'plain', stepsRun: result.stepsRun, diverged: result.diverged, note: 'diverged (NaN / Inf) at step 2 in layer 0' }));
  assert.equal(run.status, 'diverged');
  assert.deepEqual(run.records.map((r) => r.step), [0, 1, 2]);
  assert.ok(Number.isFinite(run.records[0].loss) && Number.isFinite(run.records[1].loss));
  const l0 = run.records[2].layers.find((s) => s.index === 0)!;
  // Layer 0 is where it starts: its weight gradient is NaN (its output is still finite, 8.3e24 variance).
  assert.ok(Number.isNaN(l0.gradNorm), String(l0.gradNorm));
  assert.ok(Number.isFinite(l0.variance) && l0.variance > 1e20, String(l0.variance));
  assert.equal(store.latestFor(uri, 4)?.id, run.id, 'a diverged run is a measurement');
});
