// Faults during probes in a real VS Code (issue 6), each ending in a clear state with nothing measured lost:
// the webview's CSP and resource roots, divergence (NaN / Inf) streamed to the host, two probes at once (queued),
// the file edited or deleted mid-run, a model refused or scaled down by the resource caps, the WebGL context lost
// mid-run (restarted on the CPU; the lost attempt's records kept), and the view disposed mid-run.
const assert = require('assert');
const vscode = require('vscode');
const { pollWith, api, finished } = require('../../harness/inHost');

const poll = pollWith({ timeoutMs: 30000, everyMs: 50 });

/** A small model: SwiftShader on two shared cores is slow, and these tests are about lifecycles, not numbers. */
const TINY_MODEL = `import torch
import torch.nn as nn

class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(16, 32)
        self.fc2 = nn.Linear(32, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return self.out(x)

model = Tiny()
`;
const HUGE_MODEL = TINY_MODEL.replace('nn.Linear(16, 32)', 'nn.Linear(100000, 100000)').replace('nn.Linear(32, 32)', 'nn.Linear(100000, 32)');

const folder = () => vscode.workspace.workspaceFolders[0].uri;

/** Write `text` to a new workspace file, open it, wait for its analysis. */
async function modelFile(name, text = TINY_MODEL) {
  const { ctx } = await api();
  const uri = vscode.Uri.joinPath(folder(), name);
  await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc);
  await poll(() => ctx.service.get(doc.uri)?.models.length, `the analysis of ${name}`);
  return doc;
}

const describeRun = (run) => `${run.history.map((h) => `${h.status}${h.note ? ` (${h.note})` : ''}`).join(' -> ')}; error ${run.error}; notes ${JSON.stringify(run.notes)}`;

async function probe(uri, overrides) {
  const runId = await vscode.commands.executeCommand('normlens.probe', uri, 0, overrides);
  assert.ok(typeof runId === 'string', `normlens.probe returned ${runId}`);
  return runId;
}

async function finishedRun(runId, timeoutMs = 180000) {
  const { runs } = await api();
  return poll(() => finished(runs.get(runId)), `run ${runId} to finish`, timeoutMs);
}

describe('NormLens faults: every fault ends in a clear state, nothing measured is lost', function () {
  this.timeout(240000);

  after(async () => {
    const { ctx } = await api();
    assert.deepStrictEqual(ctx.log.errors, []);
  });

  it('the dashboard page has a strict CSP (nonce scripts only, no eval, no connections) and loads only dist/ and media/', async () => {
    const { dashboard } = await api();
    await modelFile('tiny_csp.py');
    await vscode.commands.executeCommand('normlens.openDashboard');
    await poll(() => dashboard.isReady, 'the dashboard to be ready', 90000);
    const webview = dashboard.view.webview;
    const html = webview.html;
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.ok(csp, 'a CSP meta tag');
    const directives = Object.fromEntries(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v]));
    assert.deepStrictEqual(directives['default-src'], ["'none'"]);
    assert.deepStrictEqual(directives['connect-src'], ["'none'"]);
    assert.strictEqual(directives['script-src'].length, 1);
    const nonce = /^'nonce-([A-Za-z0-9+/=]{24})'$/.exec(directives['script-src'][0])?.[1];
    assert.ok(nonce, `script-src is one nonce: ${directives['script-src']}`);
    assert.doesNotMatch(csp, /unsafe-eval|unsafe-inline|unsafe-hashes|wasm-unsafe-eval|data:|blob:/);
    // Every source is the webview's own resource origin (cspSource), 'none' or the nonce: nothing else is allowed.
    const own = webview.cspSource.split(/\s+/);
    for (const [d, sources] of Object.entries(directives)) {
      for (const s of sources) assert.ok(own.includes(s) || s === "'none'" || s === `'nonce-${nonce}'`, `${d} allows ${s}`);
    }
    for (const d of ['style-src', 'font-src', 'img-src']) assert.ok(own.every((s) => directives[d].includes(s)), `${d} allows the webview's own resources`);
    assert.deepStrictEqual(Object.keys(directives).sort(), ['connect-src', 'default-src', 'font-src', 'img-src', 'script-src', 'style-src']);
    // Every script carries the nonce and loads from dist/; no inline script body.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.strictEqual(scripts.length, 1);
    assert.match(scripts[0][1], new RegExp(`nonce="${nonce.replace(/[+/=]/g, (c) => `\\${c}`)}"`));
    assert.match(scripts[0][1], /src="[^"]+\/dist\/webview\.js"/);
    assert.strictEqual(scripts[0][2].trim(), '');
    const ext = vscode.extensions.getExtension('normlens.normlens');
    const roots = webview.options.localResourceRoots.map((u) => u.toString()).sort();
    assert.deepStrictEqual(roots, [vscode.Uri.joinPath(ext.extensionUri, 'dist').toString(), vscode.Uri.joinPath(ext.extensionUri, 'media').toString()]);
    assert.strictEqual(webview.options.enableCommandUris, undefined);
    assert.deepStrictEqual(ext.packageJSON.capabilities.untrustedWorkspaces.supported, true);
    assert.strictEqual(ext.packageJSON.capabilities.virtualWorkspaces, true);
    console.log(`E2E-METRIC csp="${csp.replace(/'nonce-[^']+'/g, "'nonce-…'").replace(/https:\/\/[^ ;]+/g, '<cspSource>')}"`);
  });

  it('divergence: SGD at learning rate 1000 reports diverged at step k in layer L, every record up to k kept', async () => {
    const { runs } = await api();
    const doc = await modelFile('tiny_diverge.py');
    const runId = await probe(doc.uri, { steps: 40, sampleEvery: 1, batchSize: 16, optimizer: 'sgd', learningRate: 1000 });
    const run = await finishedRun(runId);
    assert.strictEqual(run.status, 'diverged', describeRun(run));
    assert.strictEqual(run.backend, 'webgl');
    const k = run.diverged.step;
    assert.ok(k > 0 && k < 40, `diverged at ${k}`);
    assert.deepStrictEqual(run.records.map((r) => r.step), Array.from({ length: k + 1 }, (_, i) => i));
    assert.deepStrictEqual(run.records[k].diverged, run.diverged);
    assert.ok(Number.isFinite(run.records[0].loss));
    for (const r of run.records.slice(0, k)) assert.strictEqual(r.diverged, null);
    const L = run.diverged.layer;
    if (L !== null) {
      const sample = run.records[k].layers.find((s) => s.index === L);
      const values = sample ? [sample.mean, sample.variance, sample.preMean, sample.preVariance, sample.gradNorm ?? 0] : [];
      assert.ok(sample && values.some((v) => !Number.isFinite(v)), `layer ${L} at step ${k}: ${values.map(String)}`);
    }
    assert.match(run.history.at(-1).note, new RegExp(`diverged \\(NaN / Inf\\) at step ${k} ${L === null ? 'in the loss' : `in layer ${L}`}; the records up to it are kept`));
    assert.strictEqual(run.stepsRun, k);
    // The NaN survives storage (a diverged run is a measurement of this version).
    await runs.persist();
    const stored = (await api()).ctx.extension.workspaceState.get('normlens.runs.v1').find((r) => r.id === runId);
    assert.strictEqual(stored.status, 'diverged');
    assert.strictEqual(stored.records.length, k + 1);
    assert.strictEqual(runs.latestFor(doc.uri, doc.version).id, runId);
    console.log(`E2E-METRIC divergedStep=${k} divergedLayer=${L} records=${run.records.length}`);
  });

  it('two probes requested at once: the second waits (queued) and starts when the first ends; both finish', async () => {
    const { runs } = await api();
    const doc = await modelFile('tiny_twice.py');
    const [a, b] = await Promise.all([probe(doc.uri, { steps: 6, sampleEvery: 2, batchSize: 8 }), probe(doc.uri, { steps: 4, sampleEvery: 2, batchSize: 8, seed: 1 })]);
    await poll(() => runs.get(a).status === 'running' || finished(runs.get(a)), 'the first run to start', 120000);
    if (!finished(runs.get(a))) assert.strictEqual(runs.get(b).status, 'queued', 'the second run waits while the first runs');
    const [ra, rb] = [await finishedRun(a), await finishedRun(b)];
    assert.strictEqual(ra.status, 'done', describeRun(ra));
    assert.strictEqual(rb.status, 'done', describeRun(rb));
    const endA = ra.history.find((h) => h.status === 'done').at;
    const startB = rb.history.find((h) => h.status === 'running').at;
    assert.ok(startB >= endA, `b started at ${startB}, a ended at ${endA}`);
    assert.deepStrictEqual(ra.records.map((r) => r.step), [0, 2, 4, 6]);
    assert.deepStrictEqual(rb.records.map((r) => r.step), [0, 2, 4]);
  });

  it('file edited mid-run: the run finishes on the version it started on and says the file changed', async () => {
    const { runs } = await api();
    const doc = await modelFile('tiny_edited.py');
    const started = { version: doc.version, text: doc.getText() };
    const runId = await probe(doc.uri, { steps: 30, sampleEvery: 1, batchSize: 8 });
    await poll(() => runs.get(runId).records.length > 0 || finished(runs.get(runId)), 'the first record', 120000);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, new vscode.Range(9, 0, 9, 40), '        self.fc2 = nn.Linear(32, 64)');
    edit.replace(doc.uri, new vscode.Range(10, 0, 10, 40), '        self.out = nn.Linear(64, 10)');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.notStrictEqual(doc.version, started.version);
    const run = await finishedRun(runId);
    assert.strictEqual(run.status, 'done', describeRun(run));
    assert.ok(run.notes.includes(`The file changed while the probe ran; this run measures the version it started on (version ${started.version}).`), describeRun(run));
    assert.strictEqual(run.version, started.version);
    // The model it measured is the one it started with (fc2 32 -> 32), not the edited one.
    assert.strictEqual(run.model.layers.find((l) => l.name === 'fc2').out.value, 32);
    assert.strictEqual(run.records.at(-1).step, 30);
    assert.strictEqual(runs.latestFor(doc.uri, started.version).id, runId);
    assert.strictEqual(runs.latestFor(doc.uri, doc.version), undefined, 'not the measurement of the edited text');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('file deleted mid-run: the run finishes with the model it started with and says so; a re-run says the file is gone', async () => {
    const { runs, probes, ctx } = await api();
    const doc = await modelFile('tiny_deleted.py');
    const runId = await probe(doc.uri, { steps: 30, sampleEvery: 1, batchSize: 8 });
    await poll(() => runs.get(runId).records.length > 0 || finished(runs.get(runId)), 'the first record', 120000);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.workspace.fs.delete(doc.uri);
    const run = await finishedRun(runId);
    assert.strictEqual(run.status, 'done', describeRun(run));
    assert.ok(run.notes.includes('The file was deleted while the probe ran; the run went on with the model it started with.'), describeRun(run));
    assert.strictEqual(run.records.at(-1).step, 30);
    const before = runs.all().length;
    // probe() is what rerun() calls: no run, no error in the log, only a message that the file cannot be opened.
    assert.strictEqual(await probes.probe(vscode.Uri.parse(run.uri, true), run.modelIndex, { steps: 4 }), undefined);
    assert.strictEqual(runs.all().length, before, 'no run of a file that is gone');
    assert.deepStrictEqual(ctx.log.errors, []);
  });

  it('resource caps: a model that cannot fit is refused with the reason (a failed run, a notification); a slow one is scaled down and says so', async () => {
    const { runs, probes } = await api();
    const doc = await modelFile('huge_model.py', HUGE_MODEL);
    const refusedId = await probe(doc.uri, { steps: 10 });
    const refused = runs.get(refusedId);
    assert.strictEqual(refused.status, 'failed');
    // 100,000 x 100,000 + 100,000 x 32 weights and biases = 1.00032e10 parameters; x 16 bytes (Adam: weights, gradients, 2 slots).
    assert.strictEqual(refused.error, 'refused before starting: its 1.0e+10 parameters need 152,639 MiB (weights, gradients, optimizer state) before any activation, above the 1,024 MiB memory budget of WebGL');
    assert.strictEqual(probes.lastRefusal, refused.error);
    assert.strictEqual(refused.records.length, 0);
    // Scaled down: a time cap of 1 s cuts 100,000 steps to what fits; the run notes say from what to what.
    const settings = vscode.workspace.getConfiguration('normlens.probe');
    await settings.update('maxSeconds', 1, vscode.ConfigurationTarget.Global);
    try {
      const small = await modelFile('tiny_capped.py');
      const runId = await probe(small.uri, { steps: 100000, sampleEvery: 1000, batchSize: 8 });
      const run = runs.get(runId);
      const note = run.notes.find((n) => n.startsWith('Scaled down before starting: '));
      assert.ok(note, describeRun(run));
      const m = /^Scaled down before starting: steps 100000 -> (\d+): 100000 steps are estimated at \d+ s on WebGL, above the 1 s time cap\.$/.exec(note);
      assert.ok(m, note);
      assert.strictEqual(run.config.steps, Number(m[1]));
      assert.ok(run.config.steps > 0 && run.config.steps < 100000);
      const done = await finishedRun(runId);
      assert.strictEqual(done.status, 'done', describeRun(done));
      assert.strictEqual(done.records.at(-1).step, run.config.steps);
      console.log(`E2E-METRIC cappedSteps=${run.config.steps}`);
    } finally {
      await settings.update('maxSeconds', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('WebGL context lost mid-run: the run restarts on the CPU, says so, finishes; the lost attempt keeps its records', async () => {
    const { runs } = await api();
    const doc = await modelFile('tiny_lost.py');
    const runId = await probe(doc.uri, { steps: 6, sampleEvery: 2, batchSize: 16, backend: 'auto', faults: { loseWebglContextAtStep: 2 } });
    const run = await finishedRun(runId);
    assert.strictEqual(run.status, 'done', describeRun(run));
    assert.deepStrictEqual([run.backend, run.renderer, run.ops], ['cpu', null, 'plain']);
    const restart = run.history.find((h) => /WebGL context lost at step 2: restarted on the CPU backend/.test(h.note ?? ''));
    assert.ok(restart, describeRun(run));
    assert.strictEqual(run.attempts.length, 1);
    const [lost] = run.attempts;
    assert.strictEqual(lost.backend, 'webgl');
    assert.deepStrictEqual(lost.records.map((r) => r.step), [0, 2]);
    assert.deepStrictEqual(run.records.map((r) => r.step), [0, 2, 4, 6]);
    // Same seed: step 0 on WebGL (before the loss) and on the CPU agree (float32 WebGL, 1e-3).
    const close = (a, b) => Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b));
    assert.ok(close(lost.records[0].loss, run.records[0].loss), `${lost.records[0].loss} vs ${run.records[0].loss}`);
    for (const [i, s] of run.records[0].layers.entries()) assert.ok(close(lost.records[0].layers[i].variance, s.variance), `layer ${s.index}`);
    // The attempt survives storage.
    await runs.persist();
    const stored = (await api()).ctx.extension.workspaceState.get('normlens.runs.v1').find((r) => r.id === runId);
    assert.strictEqual(stored.attempts[0].records.length, 2);
  });

  it('the view disposed mid-run (moved to another container): the run is interrupted with its records, and a re-run works in the new view', async () => {
    const { runs, dashboard, probes } = await api();
    const doc = await modelFile('tiny_disposed.py');
    const runId = await probe(doc.uri, { steps: 5000, sampleEvery: 2, batchSize: 8, backend: 'cpu' });
    await poll(() => runs.get(runId).records.length > 0, 'the run to stream', 120000);
    const oldView = dashboard.view;
    let disposed = false;
    oldView.onDidDispose(() => (disposed = true));
    await vscode.commands.executeCommand('vscode.moveViews', { viewIds: ['normlens.dashboard'], destinationId: 'workbench.view.explorer' });
    try {
      await poll(() => disposed, 'the old webview view to be disposed', 30000);
      const run = await finishedRun(runId, 30000);
      assert.strictEqual(run.status, 'interrupted', describeRun(run));
      assert.match(run.history.at(-1).note, /closed|hidden|reloaded/);
      const kept = run.records.length;
      assert.ok(kept > 0);
      // Nothing from the old page revives it.
      assert.strictEqual(runs.appendRecord(runId, { ...run.records[0], step: 999999 }), false);
      const again = await probes.probe(doc.uri, 0, { steps: 4, sampleEvery: 2, batchSize: 8 });
      const done = await finishedRun(again.id);
      assert.strictEqual(done.status, 'done', describeRun(done));
      assert.notStrictEqual(dashboard.view, oldView);
      assert.strictEqual(runs.get(runId).records.length, kept);
    } finally {
      await vscode.commands.executeCommand('workbench.action.resetViewLocations');
    }
  });
});
