/**
 * The comparison's plumbing: the compare/start and compare/apply messages and their runtime checks, the optional
 * `group` of a stored run (old runs without it still load), grouped runs never counting as the file's measured
 * result, and the Compare panel's numbers (webview/compare/metrics.ts: loss step variance, blocks, groups).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProbeConfig, type ProbeRecord } from '../../core/probe/config';
import { mlpModel } from '../../core/probe/syntheticModels';
import { modelVariant } from '../../core/probe/variants';
import * as P from '../../core/protocol';
import { probeRunCheck } from '../../core/protocolData';
import { RunStore, type NewRun } from '../../extension/runStore';
import { MemoryStorage } from './memoryStorage';
import { blockOutputs, latestGroup, lossStepVariance, summarize } from '../../webview/compare/metrics';

const model = mlpModel({ input: 4, width: 3, depth: 2, activation: 'tanh', init: 'he_normal' });
const uri = 'file:///w/tiny.py';
const viaJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;

function record(step: number, loss: number, variance = 1): ProbeRecord {
  return {
    step, loss, elapsedMs: step, diverged: null,
    layers: model.layers.map((l) => ({ index: l.index, mean: 0, variance: variance * (l.index + 1), preMean: 0, preVariance: 1, percentilesPre: [0], percentilesPost: [0], saturation: 0, dead: 0, gradNorm: null, updateRatio: null })),
  };
}

function newRun(over: Partial<NewRun> = {}): NewRun {
  return { uri, fileName: 'tiny.py', version: 1, contentHash: 'h1', modelIndex: 0, modelName: model.name, model, prediction: null, config: resolveProbeConfig(model, { steps: 4, sampleEvery: 2 }), backendPreference: 'auto', ...over };
}

test('compare/start and compare/apply pass the host check exactly as specified, and nothing else', () => {
  const start = P.commandMessage(P.CompareStartCommand, { uri, modelIndex: 2 });
  const apply = P.commandMessage(P.CompareApplyCommand, { runId: 'run-x-1' });
  assert.ok(P.parseToHost(viaJson(start)).ok);
  assert.ok(P.parseToHost(viaJson(apply)).ok);
  const bad = [
    { ...start, params: { uri, modelIndex: -1 } },
    { ...start, params: { uri, modelIndex: 1.5 } },
    { ...start, params: { uri } },
    { ...start, params: { uri, modelIndex: 0, variants: ['snn'] } },
    { ...apply, params: { runId: '../etc/passwd' } },
    { ...apply, params: { runId: 'r', uri } },
    { ...apply, params: {} },
  ];
  for (const m of bad) {
    const r = P.parseToHost(viaJson(m));
    assert.equal(r.ok, false, JSON.stringify(m));
  }
  assert.match((P.parseToHost(viaJson(bad[5])) as { error: string }).error, /uri: unexpected field/);
  // Host -> webview direction does not accept them.
  assert.equal(P.parseToWebview(viaJson(start)).ok, false);
});

test('stored runs: group is optional (old runs load), checked when present', () => {
  const store = new RunStore(new MemoryStorage());
  const plain = P.toWire(store.create(newRun()));
  const grouped = P.toWire(store.create(newRun({ group: { id: 'cmp-1', variant: 'batchnorm', label: 'BatchNorm' } })));
  assert.equal(probeRunCheck(viaJson(plain), 'run'), null);
  assert.equal(probeRunCheck(viaJson(grouped), 'run'), null);
  assert.equal('group' in (viaJson(plain) as object), false, 'an ordinary run has no group field at all');
  assert.match(probeRunCheck({ ...(viaJson(grouped) as object), group: { id: 'cmp 1', variant: 'bn', label: 'x' } }, 'run') ?? '', /run\.group\.id/);
  assert.match(probeRunCheck({ ...(viaJson(grouped) as object), group: { id: 'cmp-1', variant: 'BatchNorm!', label: 'x' } }, 'run') ?? '', /run\.group\.variant/);
  assert.ok(P.parseToWebview(viaJson(P.notificationMessage(P.DidChangeRunsNotification, { runs: [plain, grouped] }))).ok);
});

test('grouped runs survive a reload with their group and never count as the measured result of the file', async () => {
  const storage = new MemoryStorage();
  const store = new RunStore(storage);
  const finish = (r: P.ProbeRun) => {
    store.applyReport({ runId: r.id, status: 'running', backend: 'cpu', renderer: null, ops: 'plain', note: null, error: null, restarted: false, stepsRun: null, diverged: null, notes: [] });
    store.appendRecord(r.id, record(0, 2));
    store.applyReport({ runId: r.id, status: 'done', backend: 'cpu', renderer: null, ops: 'plain', note: null, error: null, restarted: false, stepsRun: 0, diverged: null, notes: [] });
  };
  const plain = store.create(newRun());
  finish(plain);
  const bn = store.create(newRun({ model: modelVariant(model, 'batchnorm').model!, group: { id: 'cmp-1', variant: 'batchnorm', label: 'BatchNorm' } }));
  finish(bn);
  assert.equal(store.latestFor(uri, 1)?.id, plain.id);
  assert.equal(store.latestForContent(uri, 'h1')?.id, plain.id);
  await store.persist();
  const again = new RunStore(storage);
  assert.deepEqual(again.get(bn.id)?.group, { id: 'cmp-1', variant: 'batchnorm', label: 'BatchNorm' });
  assert.equal(again.get(plain.id)?.group, undefined);
  assert.equal(again.latestFor(uri, 1)?.id, plain.id);
});

test('loss step variance: variance of consecutive differences; null when too short or non-finite', () => {
  const recs = [3, 2, 1.5, 1.5].map((loss, i) => record(i * 10, loss));
  // Differences -1, -0.5, 0: mean -0.5, population variance (0.25 + 0 + 0.25) / 3.
  assert.ok(Math.abs(lossStepVariance(recs)! - 1 / 6) < 1e-12);
  assert.equal(lossStepVariance(recs.slice(0, 2)), null);
  assert.equal(lossStepVariance([...recs, record(40, NaN)]), null);
  // A straight line has no step-to-step variance, a zig-zag has.
  assert.equal(lossStepVariance([4, 3, 2, 1].map((l, i) => record(i, l))), 0);
  assert.ok(lossStepVariance([4, 2, 3, 1].map((l, i) => record(i, l)))! > 1);
});

test('blocks line up variants with and without inserted norm layers', () => {
  const bn = modelVariant(model, 'batchnorm').model!;
  // mlpModel: dense, tanh, dense, tanh, dense (output). With BN: dense, bn, tanh, dense, bn, tanh, dense.
  assert.deepEqual(blockOutputs(model.layers), [1, 3, 4]);
  assert.deepEqual(blockOutputs(bn.layers), [2, 5, 6]);
});

test('latestGroup picks the newest comparison of the model, in variant order; summaries read the last record', () => {
  const store = new RunStore(new MemoryStorage(), { now: (() => { let t = 0; return () => (t += 10); })() });
  const mk = (id: string, variant: string, over: Partial<NewRun> = {}) => store.create(newRun({ group: { id, variant, label: variant }, ...over }));
  mk('cmp-old', 'as-written');
  const snn = mk('cmp-new', 'snn');
  const written = mk('cmp-new', 'as-written');
  mk('cmp-other', 'as-written', { modelIndex: 1 });
  store.create(newRun());
  const g = latestGroup(store.all(), uri, 0)!;
  assert.equal(g.id, 'cmp-new');
  assert.deepEqual(g.runs.map((r) => r.id), [written.id, snn.id]);
  assert.equal(latestGroup(store.all(), 'file:///w/other.py', 0), null);
  const run = { ...written, records: [record(0, 2.5), record(2, 2.0, 3), record(4, 1.0, 2)] };
  const s = summarize(run);
  assert.equal(s.finalLoss, 1.0);
  assert.deepEqual(s.blockVariance, [4, 8, 10]);
  assert.equal(s.lastHiddenVariance, 8);
  assert.equal(s.lastStep, 4);
});
