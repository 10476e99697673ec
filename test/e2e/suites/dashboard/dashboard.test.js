// The dashboard in a real VS Code: `normlens.probe` runs a probe on WebGL in the webview (SwiftShader here) and
// the host stores every streamed record with the backend and renderer; hiding the view mid-run interrupts the
// run, which can be re-run; malformed messages and reveals of unknown documents are dropped.
const assert = require('assert');
const vscode = require('vscode');
const { pollWith, api, open, finished, TINY_PROBE: TINY, useTinyProbes, clearTinyProbes } = require('../../harness/inHost');

const poll = pollWith({ timeoutMs: 20000, everyMs: 50 });

const SELU = 'selu_default_init.py';

describe('NormLens dashboard: probes on WebGL', function () {
  this.timeout(180000);

  after(async () => {
    const { ctx } = await api();
    assert.deepStrictEqual(ctx.log.errors, []);
  });

  it('normlens.probe runs the model on WebGL in the dashboard; the host stores every record, the backend and the renderer', async () => {
    const { runs, dashboard, ctx } = await api();
    const doc = await open(SELU);
    await poll(() => ctx.service.get(doc.uri), 'the analysis');
    const t0 = Date.now();
    const runId = await vscode.commands.executeCommand('normlens.probe', doc.uri, 0, TINY);
    assert.ok(typeof runId === 'string', `probe returned ${runId}`);
    await poll(() => runs.get(runId).records.length > 0, 'the first streamed record', 120000);
    const firstMs = Date.now() - t0;
    const run = await poll(() => finished(runs.get(runId)), 'the run to finish', 120000);
    const history = run.history.map((h) => `${h.status}${h.note ? ` (${h.note})` : ''}`).join(' -> ');
    assert.strictEqual(run.status, 'done', `${history}; error ${run.error}`);
    assert.strictEqual(run.backend, 'webgl');
    assert.strictEqual(run.ops, 'webgl');
    assert.match(run.renderer, /SwiftShader|ANGLE/);
    assert.deepStrictEqual(run.records.map((r) => r.step), [0, 2, 4]);
    const model = ctx.service.get(doc.uri).models[0];
    for (const r of run.records) {
      assert.ok(Number.isFinite(r.loss), `loss at ${r.step}`);
      assert.ok(r.layers.length > 0 && r.layers.every((s) => model.layers.some((l) => l.index === s.index)));
    }
    // PyTorch's default init under SELU: the variance shrinks with depth, as theory predicts.
    const first = run.records[0].layers;
    assert.ok(first[first.length - 2].variance < first[0].variance, JSON.stringify(first.map((s) => s.variance)));
    assert.strictEqual(runs.latestFor(doc.uri, doc.version).id, runId);
    assert.deepStrictEqual(dashboard.dropped, []);
    console.log(`E2E-METRIC probeFirstRecordMs=${firstMs} hostFirstRecordMs=${run.firstRecordMs.toFixed(0)} probeTotalMs=${Date.now() - t0} renderer="${run.renderer}"`);
    // Results survive a reload: they are in workspace storage.
    const stored = ctx.extension.workspaceState.get('normlens.runs.v1');
    await poll(() => ctx.extension.workspaceState.get('normlens.runs.v1')?.some((r) => r.id === runId && r.status === 'done'), 'the run in workspace storage');
    assert.ok(Array.isArray(stored));
  });

  it('the CPU backend (the fallback path) measures the same initialized network as WebGL', async () => {
    const { runs } = await api();
    const doc = await open(SELU);
    const webgl = runs.latestFor(doc.uri, doc.version);
    assert.ok(webgl && webgl.backend === 'webgl', 'the WebGL run of the first test');
    const runId = await vscode.commands.executeCommand('normlens.probe', doc.uri, 0, { ...TINY, backend: 'cpu' });
    const cpu = await poll(() => finished(runs.get(runId)), 'the CPU run to finish', 120000);
    assert.strictEqual(cpu.status, 'done', cpu.error ?? '');
    assert.deepStrictEqual([cpu.backend, cpu.renderer, cpu.ops], ['cpu', null, 'plain']);
    // Same seed, same data, same masks: step 0 (before any update) must agree across backends (float32 WebGL).
    const close = (a, b) => Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b));
    const g = webgl.records[0];
    const c = cpu.records[0];
    assert.ok(close(g.loss, c.loss), `loss ${g.loss} vs ${c.loss}`);
    for (const [i, s] of c.layers.entries()) {
      for (const key of ['mean', 'variance', 'saturation']) assert.ok(close(g.layers[i][key], s[key]), `layer ${s.index} ${key}: webgl ${g.layers[i][key]} vs cpu ${s[key]}`);
    }
  });

  it('hiding the dashboard mid-run reports the run as interrupted, and it can be re-run', async () => {
    const { runs, probes } = await api();
    const doc = await open(SELU);
    const runId = await vscode.commands.executeCommand('normlens.probe', doc.uri, 0, { steps: 2000, sampleEvery: 2, batchSize: 8 });
    await poll(() => runs.get(runId).records.length > 0, 'the run to stream', 120000);
    await vscode.commands.executeCommand('workbench.view.explorer');
    const run = await poll(() => finished(runs.get(runId)), 'the run to be cut off', 30000);
    assert.strictEqual(run.status, 'interrupted');
    assert.match(run.history[run.history.length - 1].note, /hidden/);
    const kept = run.records.length;
    assert.ok(kept > 0 && kept < 1001);
    // A late record from the old page must not revive it.
    assert.strictEqual(runs.appendRecord(runId, { ...run.records[0], step: 999999 }), false);
    // Re-run with a smaller budget: the same model, settings from the run, the file as it is now.
    const again = await probes.probe(doc.uri, 0, TINY);
    const done = await poll(() => finished(runs.get(again.id)), 'the re-run to finish', 120000);
    assert.strictEqual(done.status, 'done', done.error ?? '');
    assert.strictEqual(runs.get(runId).records.length, kept);
  });

  it("the view's Probe and Cancel buttons (probe/start, probe/cancel) start and stop runs through the host", async () => {
    const { runs, dashboard, probes } = await api();
    const doc = await open(SELU);
    await vscode.commands.executeCommand('normlens.openDashboard');
    await poll(() => dashboard.isReady, 'the dashboard to be ready', 60000);
    await useTinyProbes();
    try {
      const before = new Set(runs.all().map((r) => r.id));
      dashboard.receive({ kind: 'command', method: 'probe/start', params: { uri: doc.uri.toString(), modelIndex: 0 } });
      const started = await poll(() => runs.all().find((r) => !before.has(r.id)), 'a run started from the view');
      assert.deepStrictEqual([started.config.steps, started.config.batchSize], [4, 16], 'settings apply to runs started from the view');
      const done = await poll(() => finished(runs.get(started.id)), 'the run to finish', 120000);
      assert.strictEqual(done.status, 'done', done.error ?? '');
    } finally {
      await clearTinyProbes();
    }
    const long = await probes.probe(doc.uri, 0, { steps: 2000, sampleEvery: 2, batchSize: 8 });
    await poll(() => runs.get(long.id).records.length > 0, 'the long run to stream', 120000);
    dashboard.receive({ kind: 'command', method: 'probe/cancel', params: { runId: long.id } });
    const cancelled = await poll(() => finished(runs.get(long.id)), 'the run to stop', 60000);
    assert.strictEqual(cancelled.status, 'cancelled');
    assert.ok(cancelled.records.length > 0 && cancelled.stepsRun < 2000);
    assert.strictEqual(runs.latestFor(doc.uri, doc.version).status, 'done', 'a cancelled run is not the measured result');
  });

  it('drops malformed messages and reveals only layers of documents it sent to the view', async () => {
    const { dashboard, ctx } = await api();
    const doc = await open(SELU);
    await vscode.commands.executeCommand('normlens.openDashboard');
    await poll(() => dashboard.isReady, 'the dashboard to be ready', 60000);
    const before = dashboard.dropped.length;
    const range = { startLine: 2, startColumn: 0, endLine: 2, endColumn: 5 };
    dashboard.receive({ kind: 'command', method: 'layer/reveal', params: { uri: 'file:///etc/passwd', range } });
    dashboard.receive({ kind: 'command', method: 'layer/reveal', params: { uri: doc.uri.toString(), range, extra: true } });
    dashboard.receive('<script>alert(1)</script>');
    dashboard.receive({ kind: 'command', method: 'probe/record', params: { runId: 'run-nope', record: { step: 0, loss: 1, elapsedMs: 0, layers: [], diverged: null } } });
    assert.strictEqual(dashboard.dropped.length, before + 4, dashboard.dropped.slice(before).join('\n'));
    assert.match(dashboard.dropped[before], /never sent/);
    assert.match(dashboard.dropped[before + 1], /extra: unexpected field/);
    assert.notStrictEqual(vscode.window.activeTextEditor?.document.uri.fsPath, '/etc/passwd');
    const fc2 = ctx.service.get(doc.uri).models[0].layers.find((l) => l.name === 'fc2');
    dashboard.receive({ kind: 'command', method: 'layer/reveal', params: { uri: doc.uri.toString(), range: fc2.range } });
    await poll(() => vscode.window.activeTextEditor?.selection.start.line === fc2.range.startLine, 'fc2 to be revealed');
    assert.strictEqual(dashboard.dropped.length, before + 4);
  });
});
