/**
 * The host's run store without VS Code: a run's life (queued -> running -> records -> done), what "measured for
 * this file version" returns, late or out-of-order reports refused, the CPU-fallback restart, persistence through
 * a Memento-shaped storage (a reload brings finished runs back intact, NaN included, and running ones as
 * interrupted), corrupt storage, pruning, and the CSV / JSON exports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProbeConfig, type ProbeRecord } from '../../core/probe/config';
import { mlpModel } from '../../core/probe/syntheticModels';
import { predictModel } from '../../core/theory/predict';
import type { RunReport } from '../../core/protocol';
import { RunStore, type NewRun, type RunChange } from '../../extension/runStore';
import { MemoryStorage } from './memoryStorage';
import { runToCsv, runToJson } from '../../extension/runExport';

const model = mlpModel({ input: 4, width: 3, depth: 1, activation: 'relu', init: 'he_normal', name: 'Tiny, "quoted"' });
const prediction = predictModel(model);
const uri = 'file:///w/tiny.py';

function newRun(over: Partial<NewRun> = {}): NewRun {
  return { uri, fileName: 'tiny.py', version: 4, contentHash: 'h4', modelIndex: 0, modelName: model.name, model, prediction, config: resolveProbeConfig(model, { steps: 4, sampleEvery: 2 }), backendPreference: 'auto', ...over };
}

function record(step: number, loss = 2.3 - step / 10): ProbeRecord {
  return {
    step,
    loss,
    elapsedMs: 10 * step,
    diverged: null,
    layers: model.layers.map((l) => ({ index: l.index, mean: 0.1, variance: 1.2, preMean: 0, preVariance: 1, percentilesPre: [-1, 0, 1], percentilesPost: [0, 0, 1], saturation: 0, dead: 0.25, gradNorm: l.kind === 'dense' ? 0.5 : null, updateRatio: l.kind === 'dense' ? 1e-3 : null })),
  };
}

const running = (runId: string, over: Partial<RunReport> = {}): RunReport => ({ runId, status: 'running', backend: 'webgl', renderer: 'SwiftShader', ops: 'webgl', note: null, error: null, restarted: false, stepsRun: null, diverged: null, notes: [], ...over });

function clock(start = 1000) {
  let t = start;
  return () => (t += 10);
}

test('a run goes queued -> running -> records -> done and becomes the measured result for its file version', async () => {
  const storage = new MemoryStorage();
  const store = new RunStore(storage, { now: clock() });
  const events: string[] = [];
  store.onDidChange((e: RunChange) => events.push(`${e.kind}:${e.run.status}${e.record ? `@${e.record.step}` : ''}`));
  const run = store.create(newRun());
  assert.equal(run.status, 'queued');
  assert.equal(store.latestFor(uri, 4), undefined, 'nothing measured yet');
  assert.equal(store.appendRecord(run.id, record(0)), false, 'no records before the view says running');
  assert.ok(store.applyReport(running(run.id)));
  for (const s of [0, 2, 4]) assert.ok(store.appendRecord(run.id, record(s)));
  assert.equal(store.appendRecord(run.id, record(2)), false, 'steps only move forward');
  assert.ok(store.applyReport(running(run.id, { status: 'done', stepsRun: 4, notes: ['assumed input 4'] })));
  assert.deepEqual(events, ['created:queued', 'status:running', 'record:running@0', 'record:running@2', 'record:running@4', 'status:done']);
  const got = store.latestFor({ toString: () => uri }, 4);
  assert.equal(got?.id, run.id);
  assert.deepEqual(got.records.map((r) => r.step), [0, 2, 4]);
  assert.equal(got.backend, 'webgl');
  assert.equal(got.renderer, 'SwiftShader');
  assert.deepEqual(got.notes, ['assumed input 4']);
  assert.ok(got.firstRecordMs !== null && got.firstRecordMs > 0);
  assert.deepEqual(got.history.map((h) => h.status), ['queued', 'running', 'done']);
  assert.equal(store.latestFor(uri, 5), undefined, 'another version is not measured');
  assert.equal(store.latestForContent(uri, 'h4')?.id, run.id);
  // A finished run is never revived by a late message from the view.
  assert.equal(store.applyReport(running(run.id)), false);
  assert.equal(store.appendRecord(run.id, record(6)), false);
  assert.equal(store.finish(run.id, 'interrupted', 'hidden'), false);
  await store.persist();
  assert.ok(storage.writes >= 3);
});

test('the newest measured run wins; failed, cancelled and interrupted runs are not measurements', () => {
  const store = new RunStore(new MemoryStorage(), { now: clock() });
  const a = store.create(newRun());
  store.applyReport(running(a.id));
  store.appendRecord(a.id, record(0));
  store.applyReport(running(a.id, { status: 'done' }));
  const b = store.create(newRun());
  store.applyReport(running(b.id));
  store.appendRecord(b.id, record(0));
  store.applyReport(running(b.id, { status: 'diverged', diverged: { step: 0, layer: 1 } }));
  for (const end of ['failed', 'cancelled', 'interrupted'] as const) {
    const c = store.create(newRun());
    store.applyReport(running(c.id));
    store.finish(c.id, end, `it was ${end}`);
    assert.equal(store.get(c.id)?.status, end);
  }
  assert.equal(store.latestFor(uri, 4)?.id, b.id);
  assert.deepEqual(store.get(b.id)?.diverged, { step: 0, layer: 1 });
  assert.equal(store.active().length, 0);
});

test('a restart (WebGL lost -> CPU) clears the records so far', () => {
  const store = new RunStore(new MemoryStorage(), { now: clock() });
  const run = store.create(newRun());
  store.applyReport(running(run.id));
  store.appendRecord(run.id, record(0));
  store.appendRecord(run.id, record(2));
  const kinds: string[] = [];
  store.onDidChange((e) => kinds.push(e.kind));
  assert.ok(store.applyReport(running(run.id, { backend: 'cpu', renderer: null, ops: 'plain', restarted: true, note: 'WebGL context lost at step 2' })));
  assert.deepEqual(kinds, ['restarted', 'status']);
  assert.equal(run.records.length, 0);
  assert.equal(run.backend, 'cpu');
  assert.equal(run.history[run.history.length - 1].note, 'WebGL context lost at step 2');
  assert.ok(store.appendRecord(run.id, record(0)), 'records start again from step 0');
});

test('a reload brings finished runs back intact (NaN included) and running ones as interrupted', async () => {
  const storage = new MemoryStorage();
  const first = new RunStore(storage, { now: clock() });
  const done = first.create(newRun());
  first.applyReport(running(done.id));
  first.appendRecord(done.id, record(0));
  first.appendRecord(done.id, { ...record(2, Number.NaN), diverged: { step: 2, layer: null } });
  first.applyReport(running(done.id, { status: 'diverged', diverged: { step: 2, layer: null } }));
  const live = first.create(newRun({ version: 5 }));
  first.applyReport(running(live.id));
  first.appendRecord(live.id, record(0));
  const queued = first.create(newRun({ version: 6 }));
  await first.persist();

  const logs: string[] = [];
  const second = new RunStore(storage, { now: clock(5000), log: (m) => logs.push(m) });
  assert.deepEqual(second.all().map((r) => r.id), [done.id, live.id, queued.id]);
  const back = second.get(done.id)!;
  assert.equal(back.status, 'diverged');
  assert.ok(Number.isNaN(back.records[1].loss));
  assert.deepEqual(back.records[0], record(0));
  assert.equal(second.latestFor(uri, 4)?.id, done.id);
  for (const id of [live.id, queued.id]) {
    const r = second.get(id)!;
    assert.equal(r.status, 'interrupted');
    assert.match(r.history[r.history.length - 1].note ?? '', /window was reloaded/);
  }
  assert.deepEqual(logs, []);
  await second.persist();
  // ...and the interruption is itself stored.
  const third = new RunStore(storage);
  assert.equal(third.get(live.id)?.status, 'interrupted');
});

test('corrupt stored runs are dropped with a log line; the rest load', async () => {
  const storage = new MemoryStorage();
  const store = new RunStore(storage, { now: clock() });
  const ok = store.create(newRun());
  store.finish(ok.id, 'cancelled', 'by test');
  await store.persist();
  const good = JSON.parse(storage.data.get('normlens.runs.v1')!) as unknown[];
  storage.data.set('normlens.runs.v1', JSON.stringify([...good, { id: 'x' }, 42, { ...(good[0] as object), id: 'run-2', status: 'exploded' }]));
  const logs: string[] = [];
  const loaded = new RunStore(storage, { log: (m) => logs.push(m) });
  assert.deepEqual(loaded.all().map((r) => r.id), [ok.id]);
  assert.equal(logs.length, 3);
  assert.match(logs[2], /run.status: expected one of/);
  storage.data.set('normlens.runs.v1', JSON.stringify({ not: 'an array' }));
  assert.equal(new RunStore(storage).all().length, 0);
});

test('only the newest maxRuns are kept, never dropping a run still going', () => {
  const store = new RunStore(new MemoryStorage(), { now: clock(), maxRuns: 3 });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const r = store.create(newRun({ version: i }));
    ids.push(r.id);
    if (i !== 1) store.finish(r.id, 'cancelled', 'test');
  }
  // Run 1 is still queued: it survives although it is old.
  assert.deepEqual(store.all().map((r) => r.id), [ids[1], ids[3], ids[4]]);
});

test('a comparison is kept or dropped whole and counts as one run toward maxRuns; runs in all are capped at 5 x maxRuns', () => {
  const store = new RunStore(new MemoryStorage(), { now: clock(), maxRuns: 3 });
  const compare = (id: string, n: number) =>
    Array.from({ length: n }, (_, i) => {
      const r = store.create(newRun({ group: { id, variant: `v${i}`, label: `variant ${i}` } }));
      store.finish(r.id, 'cancelled', 'test');
      return r.id;
    });
  const ordinary = () => {
    const r = store.create(newRun());
    store.finish(r.id, 'cancelled', 'test');
    return r.id;
  };
  const first = compare('c1', 7);
  const a = ordinary();
  const b = ordinary();
  // Three entries (a 7-variant comparison and two runs): all kept, although that is 9 runs.
  assert.deepEqual(store.all().map((r) => r.id), [...first, a, b]);
  const c = ordinary();
  // A fourth entry: the oldest, the whole comparison, goes; no variant is left behind.
  assert.deepEqual(store.all().map((r) => r.id), [a, b, c]);
  const second = compare('c2', 7);
  const third = compare('c3', 7);
  // Two more comparisons push out a and b: three entries, 15 runs (5 x 3).
  assert.deepEqual(store.all().map((r) => r.id), [c, ...second, ...third]);
  const fourth = compare('c4', 7);
  // A fourth comparison: c goes as the fourth entry, then c2 too since 22 runs would pass 15, whole.
  assert.deepEqual(store.all().map((r) => r.id), [...third, ...fourth]);
});

test('CSV export: one row per step and layer, quoted names, NaN spelled out, predictions alongside; JSON keeps NaN as a string', () => {
  const store = new RunStore(new MemoryStorage(), { now: clock() });
  const run = store.create(newRun());
  store.applyReport(running(run.id));
  store.appendRecord(run.id, record(0));
  store.appendRecord(run.id, record(2, Number.NaN));
  const csv = runToCsv(run).trimEnd().split('\n');
  assert.equal(csv.length, 1 + 2 * model.layers.length);
  assert.equal(csv[0], 'run,model,step,loss,elapsed_ms,layer_index,layer_name,layer_kind,mean,variance,pre_mean,pre_variance,saturation,dead,grad_norm,update_ratio,predicted_mean,predicted_variance,predicted_saturation');
  assert.ok(csv[1].startsWith(`${run.id},"Tiny, ""quoted""",0,2.3,0,0,dense_0,dense,0.1,1.2,0,1,0,0.25,0.5,0.001,`), csv[1]);
  assert.ok(csv[1 + model.layers.length].includes(',2,NaN,20,0,'), csv[1 + model.layers.length]);
  // The activation layer has no weight: an empty grad-norm cell.
  const act = csv.find((l) => l.includes(',activation,'))!;
  assert.match(act, /,0\.25,,,/);
  const json = JSON.parse(runToJson(run));
  assert.equal(json.records[1].loss, 'NaN');
  assert.equal(json.model.name, model.name);
});
