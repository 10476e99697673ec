/**
 * The host <-> webview protocol guards: every message each side may send passes the other side's check (with
 * real data: an IR model, its prediction, a record from a real CPU probe), messages sent the wrong way or
 * malformed are rejected with a reason, non-finite numbers survive JSON, request replies are correlated and time
 * out; and a fuzz: arbitrary values never make a guard throw, valid reports always pass, and mutated valid
 * messages never do.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { PendingRequests, RequestTimeoutError } from '../../core/pendingRequests';
import { resolveProbeConfig, type ProbeRecord } from '../../core/probe/config';
import { runProbe } from '../../core/probe/runner';
import { mlpModel } from '../../core/probe/syntheticModels';
import { predictModel } from '../../core/theory/predict';
import * as P from '../../core/protocol';

const model = mlpModel({ input: 6, width: 8, depth: 2, activation: 'selu', init: 'lecun_normal', alphaDropout: 0.1 });
const prediction = predictModel(model);
const config = resolveProbeConfig(model, { steps: 2, sampleEvery: 1, batchSize: 4 });
let record: ProbeRecord;

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const r = await runProbe(model, config);
  record = r.records[r.records.length - 1];
});

const uri = 'file:///work/examples/selu.py';
const range = { startLine: 3, startColumn: 4, endLine: 3, endColumn: 30 };
const report = (over: Partial<P.RunReport> = {}): P.RunReport => ({
  runId: 'run-abc-1', status: 'running', backend: 'webgl', renderer: 'ANGLE (SwiftShader)', ops: 'webgl', note: null, error: null, restarted: false, stepsRun: null, diverged: null, notes: [], ...over,
});

/** Every message the webview may post, built with the typed helpers. */
function toHostMessages(): unknown[] {
  return [
    P.commandMessage(P.ReadyCommand, { protocol: P.PROTOCOL_VERSION }),
    P.commandMessage(P.RevealLayerCommand, { uri, range }),
    P.commandMessage(P.StartProbeCommand, { uri, modelIndex: 0 }),
    P.commandMessage(P.RerunProbeCommand, { runId: 'run-abc-1' }),
    P.commandMessage(P.CancelProbeCommand, { runId: 'run-abc-1' }),
    P.commandMessage(P.ProbeStatusCommand, report()),
    P.commandMessage(P.ProbeStatusCommand, report({ status: 'diverged', stepsRun: 3, diverged: { step: 3, layer: 1 }, notes: ['n'] })),
    P.commandMessage(P.ProbeRecordCommand, { runId: 'run-abc-1', record: P.toWire(record) }),
    P.commandMessage(P.LogCommand, { level: 'warn', message: 'hello' }),
    { kind: 'request', id: 7, method: 'run/export', params: { runId: 'run-abc-1', format: 'csv' } },
    { kind: 'request', id: 8, method: 'chart/export', params: { runId: null, chart: 'depth-profile', png: 'data:image/png;base64,iVBORw0KGgo=' } },
    P.responseMessage(P.ExecuteProbeRequest, 3, { result: { accepted: true, reason: null } }),
    P.responseMessage(P.ExecuteProbeRequest, 4, { error: 'boom' }),
  ];
}

function sampleRun(): P.ProbeRun {
  return {
    id: 'run-abc-1', uri, fileName: 'selu.py', version: 3, contentHash: 'abc', modelIndex: 0, modelName: model.name, model, prediction, config,
    backendPreference: 'auto', status: 'done', backend: 'webgl', renderer: 'ANGLE', ops: 'webgl', records: [record], stepsRun: 2, diverged: null,
    notes: [], error: null, history: [{ status: 'queued', at: 1, note: null }], createdAt: 1, updatedAt: 2, firstRecordMs: 120,
  };
}

/** Every message the host may post. */
function toWebviewMessages(): unknown[] {
  const analysis: P.AnalysisView = { uri, fileName: 'selu.py', version: 3, contentHash: 'abc', format: 'pytorch', error: null, models: [model], predictions: [prediction] };
  return [
    P.notificationMessage(P.DidChangeAnalysisNotification, { analysis: P.toWire(analysis) }),
    P.notificationMessage(P.DidChangeAnalysisNotification, { analysis: null }),
    P.notificationMessage(P.DidChangeRunsNotification, { runs: [P.toWire(sampleRun())] }),
    P.notificationMessage(P.DidChangeRunNotification, { run: P.toWire(sampleRun()) }),
    P.notificationMessage(P.DidAppendRecordNotification, { runId: 'run-abc-1', record: P.toWire(record) }),
    P.notificationMessage(P.DidCancelRunNotification, { runId: 'run-abc-1' }),
    { kind: 'request', id: 1, method: 'probe/execute', params: { runId: 'run-abc-1', model: P.toWire(model), config, backend: 'auto', cpuMaxSeconds: 60 } },
    P.responseMessage(P.ExportRunRequest, 7, { result: { path: '/tmp/x.csv' } }),
    P.responseMessage(P.ExportChartRequest, 8, { result: { path: null } }),
  ];
}

/** As VS Code delivers it: through JSON. */
const viaJson = (m: unknown): unknown => JSON.parse(JSON.stringify(m));

test('every message passes the receiving side (after a JSON round trip) and is refused by the sending side', () => {
  for (const m of toHostMessages()) {
    const r = P.parseToHost(viaJson(m));
    assert.ok(r.ok, `${JSON.stringify(m).slice(0, 80)}: ${!r.ok && r.error}`);
    const kind = (m as { kind: string }).kind;
    if (kind !== 'response' && kind !== 'request') assert.equal(P.parseToWebview(viaJson(m)).ok, false);
  }
  for (const m of toWebviewMessages()) {
    const r = P.parseToWebview(viaJson(m));
    assert.ok(r.ok, `${JSON.stringify(m).slice(0, 80)}: ${!r.ok && r.error}`);
    assert.equal(P.parseToHost(viaJson(m)).ok, false, `host must refuse ${(m as { method: string }).method}`);
  }
});

test('malformed or unexpected messages are rejected with a reason that names the field', () => {
  const cases: [unknown, RegExp][] = [
    [null, /not a protocol message/],
    ['webview/ready', /not a protocol message/],
    [[1, 2], /not a protocol message/],
    [{ kind: 'command', method: 'webview/ready' }, /params: missing/],
    [{ kind: 'command', method: 'webview/explode', params: {} }, /unexpected command "webview\/explode"/],
    [{ kind: 'notification', method: 'run/didChange', params: {} }, /unexpected notification/],
    [{ kind: 'command', method: 'webview/ready', params: { protocol: 1 }, extra: 1 }, /extra: unexpected field/],
    [{ kind: 'command', method: 'webview/ready', params: { protocol: '1' } }, /params.protocol: expected an integer/],
    [{ kind: 'command', method: 'layer/reveal', params: { uri, range: { ...range, startLine: -1 } } }, /params.range.startLine/],
    [{ kind: 'command', method: 'layer/reveal', params: { uri, range, command: 'rm -rf' } }, /params.command: unexpected field/],
    [{ kind: 'command', method: 'probe/cancel', params: { runId: '../../etc' } }, /params.runId: expected a string matching/],
    [{ kind: 'command', method: 'probe/status', params: { ...report(), status: 'queued' } }, /params.status: expected one of/],
    [{ kind: 'command', method: 'probe/status', params: { ...report(), status: 'interrupted' } }, /params.status/],
    [{ kind: 'command', method: 'probe/record', params: { runId: 'r', record: { ...P.toWire(record), loss: 'lots' } } }, /params.record.loss: expected a number/],
    [{ kind: 'command', method: 'probe/record', params: { runId: 'r', record: { ...P.toWire(record), layers: [{ ...P.toWire(record).layers[0], secret: 1 }] } } }, /layers\[0\].secret: unexpected field/],
    [{ kind: 'request', id: 0, method: 'run/export', params: { runId: 'r', format: 'csv' } }, /id: expected an integer in \[1/],
    [{ kind: 'request', id: 2, method: 'run/export', params: { runId: 'r', format: 'xlsx' } }, /params.format/],
    [{ kind: 'request', id: 2, method: 'chart/export', params: { runId: null, chart: 'loss', png: 'data:text/html;base64,PHNjcmlwdD4=' } }, /params.png/],
    [{ kind: 'response', id: 2, method: 'run/export', ok: true, result: { path: null } }, /unexpected response "run\/export"/],
    [{ kind: 'response', id: 2, method: 'probe/execute', ok: false }, /error: missing/],
    [{ kind: 'request', id: 2, method: 'webview/ready', params: { protocol: 1 } }, /unexpected request/],
  ];
  for (const [raw, why] of cases) {
    const r = P.parseToHost(raw);
    assert.equal(r.ok, false, JSON.stringify(raw).slice(0, 120));
    assert.match((r as { error: string }).error, why);
  }
  // A raw NaN never reaches the host as a number (JSON makes it null), and null is not a loss.
  const nanRecord = viaJson(P.commandMessage(P.ProbeRecordCommand, { runId: 'r', record: { ...P.toWire(record), loss: Number.NaN } as never }));
  assert.equal(P.parseToHost(nanRecord).ok, false);
});

test('non-finite numbers survive the wire as strings and come back as numbers', () => {
  const diverged: ProbeRecord = { ...record, loss: Number.NaN, layers: record.layers.map((l, i) => ({ ...l, variance: i ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY, gradNorm: null })) };
  const wire = viaJson(P.toWire(diverged)) as P.Wire<ProbeRecord>;
  assert.equal(wire.loss, 'NaN');
  assert.equal(wire.layers[0].variance, '-Infinity');
  assert.equal(wire.layers[0].gradNorm, null);
  assert.deepEqual(P.fromWire<ProbeRecord>(wire), diverged);
  assert.ok(P.parseToHost(P.commandMessage(P.ProbeRecordCommand, { runId: 'r', record: wire })).ok);
  // Typed arrays become plain arrays.
  assert.deepEqual(P.toWire({ a: new Float32Array([1, Number.NaN]) }), { a: [1, 'NaN'] });
});

test('requests: replies settle by id and method, bad results and silence reject, late replies are refused', async () => {
  const sent: P.RequestMessage[] = [];
  const pending = new PendingRequests((m) => sent.push(m));
  const a = pending.send(P.ExportRunRequest, { runId: 'run-1', format: 'json' });
  const b = pending.send(P.ExportRunRequest, { runId: 'run-2', format: 'csv' });
  assert.deepEqual(sent.map((m) => m.id), [1, 2]);
  assert.equal(pending.settle({ kind: 'response', id: 2, method: 'chart/export', ok: true, result: { path: null } }), false, 'method must match');
  assert.ok(pending.settle({ kind: 'response', id: 2, method: 'run/export', ok: true, result: { path: '/b.csv' } }));
  assert.ok(pending.settle({ kind: 'response', id: 1, method: 'run/export', ok: true, result: { path: 5 } }));
  assert.deepEqual(await b, { path: '/b.csv' });
  await assert.rejects(a, /malformed reply: result.path/);
  assert.equal(pending.settle({ kind: 'response', id: 2, method: 'run/export', ok: true, result: { path: null } }), false, 'no double settle');
  const slow = pending.send(P.ExportRunRequest, { runId: 'run-3', format: 'json' }, 20);
  await assert.rejects(slow, RequestTimeoutError);
  const gone = pending.send(P.ExecuteProbeRequest, { runId: 'r', model: P.toWire(model), config, backend: 'auto', cpuMaxSeconds: 1 });
  const refused = pending.send(P.ExportChartRequest, { runId: null, chart: 'loss', png: 'data:image/png;base64,AA==' });
  assert.ok(pending.settle({ kind: 'response', id: 5, method: 'chart/export', ok: false, error: 'disk full' }));
  await assert.rejects(refused, /chart\/export: disk full/);
  pending.rejectAll('the dashboard was hidden');
  await assert.rejects(gone, /probe\/execute: the dashboard was hidden/);
  assert.equal(pending.size, 0);
});

test('fuzz: arbitrary values never make a guard throw, and are not accepted', () => {
  fc.assert(
    fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true }), (v) => {
      assert.equal(P.parseToHost(v).ok, false);
      assert.equal(P.parseToWebview(v).ok, false);
    }),
    { numRuns: 2000 },
  );
  // Envelopes with a known method and random params.
  const methods = ['webview/ready', 'layer/reveal', 'probe/start', 'probe/status', 'probe/record', 'run/export', 'chart/export', 'probe/execute'];
  fc.assert(
    fc.property(fc.constantFrom('command', 'request', 'notification', 'response'), fc.constantFrom(...methods), fc.anything(), fc.integer(), (kind, method, params, id) => {
      P.parseToHost({ kind, method, params, id, ok: true, result: params });
      P.parseToWebview({ kind, method, params, id, ok: false, error: params });
    }),
    { numRuns: 2000 },
  );
});

const finiteNum = fc.double({ noNaN: true, noDefaultInfinity: true });
const wireNum = fc.oneof(finiteNum, fc.constantFrom('NaN', 'Infinity', '-Infinity'));

test('fuzz: well-formed status reports and records always pass', () => {
  const reportArb = fc.record({
    runId: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
    status: fc.constantFrom('running', 'done', 'failed', 'diverged', 'cancelled'),
    backend: fc.string({ maxLength: 64 }),
    renderer: fc.option(fc.string({ maxLength: 512 }), { nil: null }),
    ops: fc.string({ maxLength: 64 }),
    note: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
    error: fc.option(fc.string({ maxLength: 200 }), { nil: null }),
    restarted: fc.boolean(),
    stepsRun: fc.option(fc.nat(10_000_000), { nil: null }),
    diverged: fc.option(fc.record({ step: fc.nat(10_000_000), layer: fc.option(fc.nat(100_000), { nil: null }) }), { nil: null }),
    notes: fc.array(fc.string({ maxLength: 50 }), { maxLength: 5 }),
  });
  const sampleArb = fc.record({
    index: fc.nat(100_000), mean: wireNum, variance: wireNum, preMean: wireNum, preVariance: wireNum,
    percentilesPre: fc.array(wireNum, { maxLength: 9 }), percentilesPost: fc.array(wireNum, { maxLength: 9 }),
    saturation: wireNum, dead: wireNum, gradNorm: fc.option(wireNum, { nil: null }), updateRatio: fc.option(wireNum, { nil: null }),
  });
  const recordArb = fc.record({ step: fc.nat(1_000_000_000), loss: wireNum, elapsedMs: wireNum, layers: fc.array(sampleArb, { maxLength: 5 }), diverged: fc.constant(null) });
  fc.assert(fc.property(reportArb, (r) => P.parseToHost(viaJson(P.commandMessage(P.ProbeStatusCommand, r as P.RunReport))).ok), { numRuns: 500 });
  fc.assert(fc.property(recordArb, (rec) => P.parseToHost(viaJson({ kind: 'command', method: 'probe/record', params: { runId: 'r', record: rec } })).ok), { numRuns: 500 });
});

/** Paths of every value inside `v` (object keys and array indices), with whether the parent is an array. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object') return at.length ? [at] : [];
  const own = Object.entries(v as object).flatMap(([k, x]) => paths(x, [...at, Array.isArray(v) ? Number(k) : k]));
  return at.length ? [at, ...own] : own;
}

function mutate(msg: unknown, path: (string | number)[], how: 'delete' | 'retype' | 'extra', replacement: unknown): unknown {
  const copy = structuredClone(msg) as Record<string | number, unknown>;
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const key = path[path.length - 1];
  if (how === 'extra') {
    const target = parent[key];
    if (target && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, unknown>).__proto_pollution__ = replacement;
    else parent[key] = replacement;
  } else if (how === 'delete' && !Array.isArray(parent)) delete parent[key];
  else parent[key] = replacement;
  return copy;
}

/**
 * A value whose JSON type differs from `original`'s (no number spelled as a string, never null). A null field is
 * nullable: its non-null type (a number, a string, an object) is valid there, so it gets a boolean, an array or a
 * keyless object instead.
 */
function otherType(original: unknown): fc.Arbitrary<unknown> {
  const all: [string, fc.Arbitrary<unknown>][] = [
    ['number', finiteNum],
    ['string', fc.string().filter((s) => !['NaN', 'Infinity', '-Infinity'].includes(s))],
    ['boolean', fc.boolean()],
    ['array', fc.array(fc.integer(), { maxLength: 3 })],
    ['object', fc.dictionary(fc.string({ minLength: 1 }), fc.integer(), { maxKeys: 3 })],
  ];
  if (original === null) return fc.oneof(fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.constant({}));
  const type = Array.isArray(original) ? 'array' : typeof original;
  return fc.oneof(...all.filter(([t]) => t !== type).map(([, a]) => a));
}

test('fuzz: a webview message with a field removed, retyped or added is rejected', () => {
  // Everything the webview sends is checked strictly at every level, so each of these mutations must fail.
  const messages = toHostMessages().filter((m) => (m as { kind: string }).kind !== 'response').map(viaJson);
  const cases = messages.flatMap((m) => paths((m as { params: unknown }).params, ['params']).map((p) => [m, p] as const));
  fc.assert(
    fc.property(fc.constantFrom(...cases), fc.constantFrom('delete', 'retype', 'extra') as fc.Arbitrary<'delete' | 'retype' | 'extra'>, fc.nat(), ([msg, path], how, seed) => {
      let original: unknown = msg;
      for (const k of path) original = (original as Record<string | number, unknown>)[k];
      const inArray = typeof path[path.length - 1] === 'number';
      if (how === 'delete' && inArray) how = 'retype';
      const replacement = fc.sample(otherType(original), { numRuns: 1, seed })[0];
      const bad = mutate(msg, path, how, how === 'extra' ? 1 : replacement);
      if (how === 'extra' && (original === null || typeof original !== 'object' || Array.isArray(original))) return; // retyped instead; covered
      const r = P.parseToHost(bad);
      assert.equal(r.ok, false, `${how} ${path.join('.')} of ${(msg as { method: string }).method} -> ${JSON.stringify(replacement)}`);
    }),
    { numRuns: 3000 },
  );
});
