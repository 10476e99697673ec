/**
 * Protocol fuzz, both directions (complements protocol.test.ts, which mutates webview -> host messages field by
 * field): host -> webview messages mutated, JSON text corrupted byte by byte, prototype-pollution keys, nesting
 * 100,000 deep, forged replies against PendingRequests, and the file-access surface of the webview -> host side
 * (no message names a path to write; exports carry only a run id / chart name, the host asks where with a save
 * dialog; uris are checked against what the host sent, see the dashboard e2e suite). Every guard is total: it
 * never throws, whatever it is given, and valid messages pass.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PendingRequests } from '../../core/pendingRequests';
import { resolveProbeConfig, type ProbeRecord } from '../../core/probe/config';
import { mlpModel } from '../../core/probe/syntheticModels';
import { predictModel } from '../../core/theory/predict';
import * as P from '../../core/protocol';

const model = mlpModel({ input: 6, width: 8, depth: 2, activation: 'selu', init: 'lecun_normal' });
const config = resolveProbeConfig(model, { steps: 2, sampleEvery: 1, batchSize: 4 });
const record: ProbeRecord = {
  step: 2, loss: Number.NaN, elapsedMs: 12.5, diverged: { step: 2, layer: 1 },
  layers: model.layers.map((l) => ({ index: l.index, mean: 0.01, variance: Number.POSITIVE_INFINITY, preMean: 0, preVariance: 1, percentilesPre: [-2, 0, 2], percentilesPost: [-1, 0, 1], saturation: 0.1, dead: 0, gradNorm: l.kind === 'dense' ? 0.5 : null, updateRatio: null })),
};
const uri = 'file:///work/examples/tiny.py';
const viaJson = (m: unknown): unknown => JSON.parse(JSON.stringify(m));

function run(): P.ProbeRun {
  return {
    id: 'run-1', uri, fileName: 'tiny.py', version: 1, contentHash: 'h', modelIndex: 0, modelName: model.name, model, prediction: predictModel(model), config,
    backendPreference: 'auto', status: 'done', backend: 'cpu', renderer: null, ops: 'plain', records: [record], stepsRun: 2, diverged: record.diverged, notes: ['n'], error: null,
    history: [{ status: 'queued', at: 1, note: null }], createdAt: 1, updatedAt: 2, firstRecordMs: 3,
    attempts: [{ backend: 'webgl', renderer: 'SwiftShader', ops: 'webgl', records: [record], note: 'WebGL context lost at step 2' }],
  };
}

const toWebview = (): unknown[] =>
  [
    P.notificationMessage(P.DidChangeRunNotification, { run: P.toWire(run()) }),
    P.notificationMessage(P.DidChangeRunsNotification, { runs: [P.toWire(run())] }),
    P.notificationMessage(P.DidAppendRecordNotification, { runId: 'run-1', record: P.toWire(record) }),
    P.notificationMessage(P.DidCancelRunNotification, { runId: 'run-1' }),
    { kind: 'request', id: 9, method: 'probe/execute', params: { runId: 'run-1', model: P.toWire(model), config, backend: 'auto', cpuMaxSeconds: 60, faults: { loseWebglContextAtStep: 2 } } },
    P.responseMessage(P.ExportRunRequest, 3, { result: { path: '/tmp/run.csv' } }),
  ].map(viaJson);

const toHost = (): unknown[] =>
  [
    P.commandMessage(P.ReadyCommand, { protocol: P.PROTOCOL_VERSION }),
    P.commandMessage(P.ProbeRecordCommand, { runId: 'run-1', record: P.toWire(record) }),
    P.commandMessage(P.RevealLayerCommand, { uri, range: { startLine: 1, startColumn: 0, endLine: 1, endColumn: 4 } }),
    { kind: 'request', id: 4, method: 'run/export', params: { runId: 'run-1', format: 'json' } },
    { kind: 'request', id: 5, method: 'chart/export', params: { runId: 'run-1', chart: 'depth-profile', png: 'data:image/png;base64,iVBORw0KGgo=' } },
    P.responseMessage(P.ExecuteProbeRequest, 9, { result: { accepted: true, reason: null } }),
  ].map(viaJson);

test('valid messages pass in both directions (the run with its lost attempt and NaN included)', () => {
  for (const m of toWebview()) assert.ok(P.parseToWebview(m).ok, JSON.stringify(P.parseToWebview(m)).slice(0, 300));
  for (const m of toHost()) assert.ok(P.parseToHost(m).ok, JSON.stringify(P.parseToHost(m)).slice(0, 300));
});

/** Paths of every field inside `v`, to depth `max`. */
function paths(v: unknown, max: number, at: (string | number)[] = []): (string | number)[][] {
  if (v === null || typeof v !== 'object' || at.length >= max) return at.length ? [at] : [];
  const own = Object.entries(v as object).flatMap(([k, x]) => paths(x, max, [...at, Array.isArray(v) ? Number(k) : k]));
  return at.length ? [at, ...own] : own;
}
function getAt(v: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], v);
}
function setAt(v: unknown, path: (string | number)[], value: unknown, remove = false): unknown {
  const copy = structuredClone(v);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  const key = path[path.length - 1];
  if (remove && !Array.isArray(parent)) delete parent[key];
  else parent[key] = value;
  return copy;
}
/** A value of another JSON type (null-able fields get a boolean: null and numbers may both be valid there). */
const otherType = (original: unknown): unknown => {
  if (original === null) return true;
  if (typeof original === 'number' || original === 'NaN' || original === 'Infinity' || original === '-Infinity') return { n: 1 };
  if (typeof original === 'string') return 7;
  if (typeof original === 'boolean') return 'yes';
  if (Array.isArray(original)) return 'list';
  return [1, 2];
};

test('host -> webview: a strict field removed or retyped is rejected; whatever the mutation, the guard never throws', () => {
  // Strict all the way down: records, cancel, the execute request's own fields (its model is loose IR).
  const strict = toWebview().filter((m) => ['run/didAppendRecord', 'run/didCancel', 'probe/execute'].includes((m as { method: string }).method));
  const cases = strict.flatMap((m) => paths(m, (m as { method: string }).method === 'probe/execute' ? 2 : 99).map((p) => [m, p] as const));
  fc.assert(
    fc.property(fc.constantFrom(...cases), fc.boolean(), ([msg, path], remove) => {
      const original = getAt(msg, path);
      if (remove && typeof path[path.length - 1] === 'number') remove = false;
      // Optional fields may be absent.
      const optional = path.join('.').startsWith('params.faults');
      const bad = setAt(msg, path, otherType(original), remove);
      const r = P.parseToWebview(bad);
      if (!(remove && optional)) assert.equal(r.ok, false, `${remove ? 'remove' : 'retype'} ${path.join('.')}`);
    }),
    { numRuns: 3000 },
  );
  // Loose IR data: any mutation at any depth of a run is answered (ok or a reason), never thrown.
  const loose = toWebview().filter((m) => (m as { method: string }).method === 'run/didChange');
  const deep = loose.flatMap((m) => paths(m, 99).map((p) => [m, p] as const));
  fc.assert(
    fc.property(fc.constantFrom(...deep), fc.anything(), fc.boolean(), ([msg, path], value, remove) => {
      const r = P.parseToWebview(setAt(msg, path, value, remove));
      assert.equal(typeof r.ok, 'boolean');
    }),
    { numRuns: 2000 },
  );
});

test('corrupted JSON text (bytes replaced, inserted, deleted, truncated) never makes a guard throw', () => {
  const texts = [...toWebview(), ...toHost()].map((m) => JSON.stringify(m));
  let parsedCount = 0;
  let accepted = 0;
  fc.assert(
    fc.property(
      fc.constantFrom(...texts),
      fc.array(fc.tuple(fc.nat(), fc.constantFrom('replace', 'insert', 'delete', 'truncate'), fc.string({ minLength: 1, maxLength: 3, unit: 'binary' })), { minLength: 1, maxLength: 4 }),
      (text, edits) => {
        let t = text;
        for (const [at, how, s] of edits) {
          const i = at % Math.max(1, t.length);
          t = how === 'replace' ? t.slice(0, i) + s + t.slice(i + s.length) : how === 'insert' ? t.slice(0, i) + s + t.slice(i) : how === 'delete' ? t.slice(0, i) + t.slice(i + s.length) : t.slice(0, i);
        }
        let value: unknown;
        try {
          value = JSON.parse(t);
        } catch {
          return;
        }
        parsedCount++;
        const a = P.parseToHost(value);
        const b = P.parseToWebview(value);
        P.unanswerable(value);
        if (a.ok || b.ok) accepted++;
      },
    ),
    { numRuns: 5000 },
  );
  console.log(`corrupted JSON: ${parsedCount} still parsed as JSON, ${accepted} still valid protocol messages`);
  assert.ok(parsedCount > 100);
});

test('prototype-pollution keys are refused and pollute nothing; 100,000-deep nesting is refused without a stack overflow', () => {
  for (const text of [
    '{"kind":"command","method":"probe/cancel","params":{"runId":"r","__proto__":{"polluted":true}}}',
    '{"kind":"command","method":"probe/cancel","__proto__":{"polluted":true},"params":{"runId":"r"}}',
    '{"kind":"notification","method":"run/didCancel","params":{"runId":"r","constructor":{"prototype":{"polluted":true}}}}',
  ]) {
    const value = JSON.parse(text);
    assert.equal(P.parseToHost(value).ok, false, text);
    assert.equal(P.parseToWebview(value).ok, false, text);
  }
  assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  let deepObject: unknown = {};
  for (let i = 0; i < 100_000; i++) deepObject = { a: deepObject };
  const t0 = performance.now();
  for (const params of [{ runId: 'r', record: deep }, { runId: 'r', record: deepObject }, deep, deepObject]) {
    assert.equal(P.parseToHost({ kind: 'command', method: 'probe/record', params }).ok, false);
    assert.equal(P.parseToWebview({ kind: 'notification', method: 'run/didChange', params: { run: params } }).ok, false);
  }
  assert.ok(performance.now() - t0 < 1000);
});

test('the webview cannot name a file to write: exports carry no path, chart names and images are pinned, any extra field is refused', () => {
  const pathish = fc.oneof(fc.constantFrom('/etc/passwd', '../../.ssh/id_rsa', 'C:\\\\Windows\\\\x', 'file:///tmp/x', '~/x'), fc.string());
  fc.assert(
    fc.property(fc.constantFrom('path', 'uri', 'target', 'defaultUri', 'file', 'folder'), pathish, fc.constantFrom('run/export', 'chart/export'), (key, value, method) => {
      const params = method === 'run/export' ? { runId: 'run-1', format: 'csv' } : { runId: null, chart: 'loss', png: 'data:image/png;base64,AAAA' };
      assert.equal(P.parseToHost({ kind: 'request', id: 1, method, params: { ...params, [key]: value } }).ok, false);
    }),
    { numRuns: 500 },
  );
  // The chart name becomes part of the suggested file name: no separators, dots or traversal get through.
  fc.assert(
    fc.property(fc.string({ maxLength: 30 }).filter((s) => /[^a-zA-Z0-9-]/.test(s) || !/^[a-z]/.test(s)), (chart) => {
      assert.equal(P.parseToHost({ kind: 'request', id: 1, method: 'chart/export', params: { runId: null, chart, png: 'data:image/png;base64,AAAA' } }).ok, false);
    }),
    { numRuns: 500 },
  );
  for (const png of ['data:text/html;base64,PHNjcmlwdD4=', 'data:image/svg+xml;base64,PHN2Zz4=', 'data:image/png;base64,AA AA', 'javascript:alert(1)', 'file:///etc/passwd']) {
    assert.equal(P.parseToHost({ kind: 'request', id: 1, method: 'chart/export', params: { runId: null, chart: 'loss', png } }).ok, false, png);
  }
  // The uris the webview may name are strings checked against what the host sent (dashboard.ts); a run id is an id, not a path.
  for (const runId of ['../x', 'a/b', 'run 1', '', 'x'.repeat(65)]) assert.equal(P.parseToHost({ kind: 'command', method: 'probe/rerun', params: { runId } }).ok, false, runId);
});

test('forged, late, duplicate and mistyped replies never settle a request they do not answer; a real reply settles it exactly once', async () => {
  const posted: P.RequestMessage[] = [];
  const pending = new PendingRequests((m) => posted.push(m));
  const answer = pending.send(P.ExecuteProbeRequest, { runId: 'run-1', model: P.toWire(model), config, backend: 'auto', cpuMaxSeconds: 60 }, 60_000);
  const id = posted[0].id;
  fc.assert(
    fc.property(fc.integer(), fc.constantFrom('probe/execute', 'run/export', 'chart/export', 'x'), fc.boolean(), fc.anything(), (fid, method, ok, result) => {
      if (fid === id && method === 'probe/execute') return;
      // `error` is fuzzed with anything too (an object whose toString is not a function included): a forged reply
      // must not settle whatever it carries.
      const m = (ok ? { kind: 'response', id: fid, method, ok: true, result } : { kind: 'response', id: fid, method, ok: false, error: result }) as P.ResponseMessage;
      assert.equal(pending.settle(m), false);
    }),
    { numRuns: 2000 },
  );
  assert.equal(pending.size, 1);
  assert.ok(pending.settle({ kind: 'response', id, method: 'probe/execute', ok: true, result: { accepted: true, reason: null } }));
  assert.deepEqual(await answer, { accepted: true, reason: null });
  assert.equal(pending.settle({ kind: 'response', id, method: 'probe/execute', ok: true, result: { accepted: true, reason: null } }), false, 'a duplicate');
  // A reply of the wrong shape rejects the request instead of resolving it with garbage.
  const second = pending.send(P.ExecuteProbeRequest, { runId: 'run-2', model: P.toWire(model), config, backend: 'auto', cpuMaxSeconds: 60 }, 60_000);
  assert.ok(pending.settle({ kind: 'response', id: posted[1].id, method: 'probe/execute', ok: true, result: { accepted: 'yes' } }));
  await assert.rejects(second, /malformed reply: result\.accepted: expected a boolean/);
  assert.equal(pending.size, 0);
});
