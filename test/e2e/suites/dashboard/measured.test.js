// Measured results in the editor of a real VS Code: a probe of examples/deep_sigmoid_mlp.py (WebGL in the dashboard)
// turns its CodeLens from predicted to measured and publishes measured-saturation diagnostics; an edit makes them
// stale at once (lenses fall back to predicted with a stale note, the measured diagnostics go), an undo brings them
// back (runs match by content hash); the hover shows the measured values; probe-on-save probes the saved text and a
// save during a run cancels it and probes again.
const assert = require('assert');
const vscode = require('vscode');
const { pollWith, api, open, finished, codeOf, TINY_PROBE: TINY } = require('../../harness/inHost');

const poll = pollWith({ timeoutMs: 20000, everyMs: 20 });

const FILE = 'deep_sigmoid_mlp.py';

const titles = async (uri) => ((await vscode.commands.executeCommand('vscode.executeCodeLensProvider', uri)) ?? []).map((l) => ({ title: l.command?.title ?? '', tooltip: l.command?.tooltip ?? '', line: l.range.start.line }));
const layerLenses = (lenses) => lenses.filter((l) => /^(predicted|measured) {2}/.test(l.title));
const measuredDiagnostics = (uri) => vscode.languages.getDiagnostics(uri).filter((d) => String(codeOf(d)).startsWith('measured-'));
const allMeasured = (ls) => ls.length > 0 && ls.every((l) => l.title.startsWith('measured  '));
const allPredicted = (ls) => ls.length > 0 && ls.every((l) => l.title.startsWith('predicted  '));

/** Two decimals as the lens prints them (core/presentation/lenses.ts two()). */
function two(x, small = true) {
  const a = Math.abs(x);
  if (a >= 1e4 || (small && a !== 0 && a < 0.005)) return x.toExponential(0).replace('e+', 'e');
  return (a < 0.005 ? 0 : x).toFixed(2);
}

describe('NormLens measured results in the editor', function () {
  this.timeout(240000);
  let doc;
  let original;

  before(async () => {
    const { ctx } = await api();
    doc = await open(FILE);
    original = doc.getText();
    await poll(() => ctx.service.get(doc.uri), 'the analysis');
  });

  after(async () => {
    const { ctx } = await api();
    await vscode.workspace.getConfiguration('normlens.probe').update('onSave', undefined, vscode.ConfigurationTarget.Global);
    // Leave the example as it was for the rest of the suite.
    if (doc.getText() !== original) {
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), original);
      await vscode.workspace.applyEdit(edit);
      await doc.save();
    }
    assert.deepStrictEqual(ctx.log.errors, []);
  });

  it('a finished probe turns the lenses to measured values and publishes measured diagnostics for that text', async () => {
    const { runs } = await api();
    const before = layerLenses(await titles(doc.uri));
    assert.ok(allPredicted(before), JSON.stringify(before.map((l) => l.title)));
    assert.deepStrictEqual(measuredDiagnostics(doc.uri), []);
    let doneAt = null;
    const sub = runs.onDidChange((e) => e.run.uri === doc.uri.toString() && e.run.status === 'done' && doneAt === null && (doneAt = performance.now()));
    let runId;
    try {
      runId = await vscode.commands.executeCommand('normlens.probe', doc.uri, 0, TINY);
      assert.ok(typeof runId === 'string', `probe returned ${runId}`);
      const run = await poll(() => finished(runs.get(runId)), 'the run to finish', 180000, 5);
      assert.strictEqual(run.status, 'done', run.error ?? '');
      assert.ok(doneAt !== null);
      const lenses = await poll(async () => {
        const ls = layerLenses(await titles(doc.uri));
        return allMeasured(ls) && ls;
      }, 'measured lenses', 10000, 5);
      const lensMs = performance.now() - doneAt;
      const diags = await poll(() => measuredDiagnostics(doc.uri).length > 0 && measuredDiagnostics(doc.uri), 'measured diagnostics', 10000, 5);
      const diagMs = performance.now() - doneAt;
      console.log(`E2E-METRIC runDoneToMeasuredLensMs=${lensMs.toFixed(1)} runDoneToMeasuredDiagnosticsMs=${diagMs.toFixed(1)} backend=${run.backend} renderer="${run.renderer}"`);
      if (run.backend !== 'webgl') console.log(`not on WebGL: ${run.history.map((h) => `${h.status}${h.note ? ` (${h.note})` : ''}`).join(' -> ')}; notes: ${run.notes.join(' | ')}`);

      // Values: the first lens (Linear(64,128) + Sigmoid on line 7) shows the sigmoid's output moments at the last step.
      const last = run.records[run.records.length - 1];
      assert.strictEqual(last.step, 4);
      const act = last.layers.find((s) => s.index === 1);
      const lin = last.layers.find((s) => s.index === 0);
      const first = lenses.find((l) => l.line === 6);
      assert.strictEqual(first.title, `measured  mu ${two(act.mean, false)}  var ${two(act.variance)}  sat ${Math.round(act.saturation * 100)}%  dead 0%  |g| ${two(lin.gradNorm)}`);
      const all = await titles(doc.uri);
      const model = all.find((l) => l.title.startsWith('NormLens net:'));
      // (Command tooltips do not cross vscode.executeCodeLensProvider; test/unit/measuredLenses.test.ts checks them.)
      assert.match(model.title, new RegExp(`^NormLens net: measured step 4/4 on ${run.backend} {2}loss [\\d.]+ -> [\\d.]+ {2}\\|g\\| first/last x[\\d.e-]+ {2}\\d+ measured findings?$`));

      // Diagnostics: saturation on both Sigmoid lines (7 and the loop's 9), source NormLens, linked to the docs.
      const sat = diags.filter((d) => codeOf(d) === 'measured-saturation');
      assert.deepStrictEqual(sat.map((d) => d.range.start.line).sort(), [6, 8], diags.map((d) => `${d.range.start.line}:${codeOf(d)}`).join(' '));
      for (const d of sat) {
        assert.strictEqual(d.source, 'NormLens');
        assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
        assert.match(d.message, /^Measured: sigmoid layer.* of its pre-activations in the flat region \(\|h\| > 4/);
        assert.match(d.code.target.toString(), /findings\.md#measured-saturation$/);
      }
      // The predicted findings are still there, next to the measured ones.
      assert.ok(vscode.languages.getDiagnostics(doc.uri).some((d) => codeOf(d) === 'saturation'));

      // Hover on the first Linear: predicted and measured.
      const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, new vscode.Position(6, 14));
      const md = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      assert.match(md, new RegExp(`\\*\\*Measured\\*\\* by the probe \\(\\S+ \\+ \\S+\\) at step 4 of 4 on ${run.backend}`));
      assert.match(md, /\| measured variance \| [\d.e-]+ \|/);
    } finally {
      sub.dispose();
    }
  });

  it('an edit makes the measured values stale at once; an undo brings them back', async () => {
    const { runs } = await api();
    const editor = await vscode.window.showTextDocument(doc);
    const measuredRun = runs.latestMeasured(doc.uri, 0);
    assert.ok(measuredRun && measuredRun.contentHash, 'the run of the first test');
    const t0 = performance.now();
    await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount, 0), '# tweak\n'));
    // Measured diagnostics leave in the change event itself, before the debounced re-analysis.
    await poll(() => measuredDiagnostics(doc.uri).length === 0, 'measured diagnostics to go', 2000, 1);
    console.log(`E2E-METRIC editToNoMeasuredDiagnosticsMs=${(performance.now() - t0).toFixed(1)}`);
    const staleLenses = await poll(async () => {
      const all = await titles(doc.uri);
      return all.some((l) => l.title.startsWith('measured: stale')) && allPredicted(layerLenses(all)) && all;
    }, 'stale lens and predicted layer lenses', 10000, 5);
    console.log(`E2E-METRIC editToStaleLensMs=${(performance.now() - t0).toFixed(1)}`);
    const stale = staleLenses.find((l) => l.title.startsWith('measured: stale'));
    assert.strictEqual(stale.title, 'measured: stale (file edited since the 4-step probe)  ·  Probe again');
    const hovers = await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, new vscode.Position(6, 14));
    assert.match(hovers.flatMap((h) => h.contents.map((c) => c.value ?? c)).join('\n'), /Measured values are stale/);
    // The predicted findings are re-published for the edited text; no measured one comes back with them.
    await new Promise((r) => setTimeout(r, vscode.workspace.getConfiguration('normlens.analysis').get('debounceMs', 250) + 300));
    assert.deepStrictEqual(measuredDiagnostics(doc.uri).map(codeOf), []);

    const t1 = performance.now();
    await vscode.commands.executeCommand('undo');
    await poll(() => doc.getText() === original, 'the undo', 5000);
    await poll(async () => allMeasured(layerLenses(await titles(doc.uri))), 'measured lenses after the undo', 10000, 5);
    await poll(() => measuredDiagnostics(doc.uri).some((d) => codeOf(d) === 'measured-saturation'), 'measured diagnostics after the undo', 10000, 5);
    console.log(`E2E-METRIC undoToMeasuredMs=${(performance.now() - t1).toFixed(1)}`);
    assert.ok(!(await titles(doc.uri)).some((l) => l.title.startsWith('measured: stale')));
  });

  it('probe on save: a save probes the saved text; a save during that probe cancels it and probes the newer text', async () => {
    const { runs } = await api();
    const settings = vscode.workspace.getConfiguration('normlens.probe');
    for (const [k, v] of Object.entries({ ...TINY, onSave: true, onSaveDelayMs: 50 })) await settings.update(k, v, vscode.ConfigurationTarget.Global);
    try {
      const editor = await vscode.window.showTextDocument(doc);
      const known = new Set(runs.all().map((r) => r.id));
      const fresh = () => runs.all().filter((r) => r.uri === doc.uri.toString() && !known.has(r.id));
      // Save 1: the run is long enough (many steps) to still be going when save 2 comes.
      await settings.update('steps', 20000, vscode.ConfigurationTarget.Global);
      await settings.update('sampleEvery', 50, vscode.ConfigurationTarget.Global);
      await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount, 0), '# first save\n'));
      await doc.save();
      const first = await poll(() => fresh()[0], 'a run started by the save', 30000);
      assert.strictEqual(first.contentHash.length, 40);
      await poll(() => runs.get(first.id).status === 'running' && runs.get(first.id).records.length > 0, 'the first run to stream', 120000);
      await settings.update('steps', TINY.steps, vscode.ConfigurationTarget.Global);
      await settings.update('sampleEvery', TINY.sampleEvery, vscode.ConfigurationTarget.Global);
      await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount, 0), '# second save\n'));
      await doc.save();
      const second = await poll(() => fresh().find((r) => r.id !== first.id), 'a second run started by the second save', 30000);
      const cancelled = await poll(() => finished(runs.get(first.id)), 'the first run to stop', 60000);
      assert.strictEqual(cancelled.status, 'cancelled');
      const done = await poll(() => finished(runs.get(second.id)), 'the second run to finish', 180000);
      assert.strictEqual(done.status, 'done', done.error ?? '');
      assert.strictEqual(done.version, doc.version);
      assert.strictEqual(fresh().length, 2, 'one run per save');
      await poll(async () => allMeasured(layerLenses(await titles(doc.uri))), 'measured lenses for the saved text', 10000);
      // Two saves within the delay probe once.
      const before = fresh().length;
      await settings.update('onSaveDelayMs', 400, vscode.ConfigurationTarget.Global);
      await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount, 0), '# a\n'));
      await doc.save();
      await editor.edit((b) => b.insert(new vscode.Position(doc.lineCount, 0), '# b\n'));
      await doc.save();
      const third = await poll(() => fresh().length > before && fresh()[fresh().length - 1], 'the debounced run', 30000);
      await poll(() => finished(runs.get(third.id)), 'the debounced run to finish', 180000);
      assert.strictEqual(fresh().length, before + 1);
      assert.strictEqual(third.version, doc.version, 'it probed the last save');
    } finally {
      for (const k of ['steps', 'sampleEvery', 'batchSize', 'onSave', 'onSaveDelayMs']) await settings.update(k, undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
