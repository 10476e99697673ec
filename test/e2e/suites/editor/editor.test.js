// The editor integration in a real VS Code: lenses, diagnostics, quick fixes, hover, commands, live updates.
const assert = require('assert');
const { vscode, workspaceUri, poll, open, lensTitles, normlensDiagnostics, codeOf, withCode, api, quickFixes } = require('./helpers');

const SELU = 'selu_default_init.py';

describe('NormLens in the editor', function () {
  this.timeout(60000);

  after(async () => {
    const { ctx } = await api();
    // No exception anywhere in the run reached the NormLens log.
    assert.deepStrictEqual(ctx.log.errors, []);
  });

  it('activates and contributes every command to the palette', async () => {
    const { activationMs } = await api();
    const all = await vscode.commands.getCommands(true);
    for (const id of ['normlens.analyzeFile', 'normlens.analyzeWorkspace', 'normlens.applySuggestedInits', 'normlens.toggleCodeLens', 'normlens.showLog', 'normlens.openDashboard']) {
      assert.ok(all.includes(id), `${id} registered`);
    }
    console.log(`E2E-METRIC activationMs=${activationMs.toFixed(1)}`);
  });

  it('SELU MLP with PyTorch default init: layer lenses, model lens and selu-init errors', async () => {
    const doc = await open(SELU);
    const titles = await poll(async () => {
      const t = await lensTitles(doc);
      return t.some((x) => x.startsWith('predicted')) && t;
    }, 'predicted lenses');
    const layerLenses = titles.filter((t) => t.startsWith('predicted'));
    // fc1..fc4 + SELU, dropout, out: one lens per unit, in source order of the unit heads.
    assert.ok(layerLenses.length >= 5, JSON.stringify(titles));
    for (const t of layerLenses) assert.match(t, /^predicted {2}mu -?\d[\d.e-]* {2}var [\d.e-]+ {2}sat \d+% {2}grad x[\d.e-]+$/);
    assert.ok(titles.some((t) => /^NormLens SeluMLP: 5 weight layers/.test(t)), JSON.stringify(titles));
    assert.ok(titles.includes('Apply suggested inits'));
    const seluInit = await poll(() => withCode(doc.uri, 'selu-init').length === 4 && withCode(doc.uri, 'selu-init'), '4 selu-init diagnostics');
    assert.strictEqual(seluInit[0].severity, vscode.DiagnosticSeverity.Error);
    assert.match(seluInit[0].message, /0\.333/);
    assert.strictEqual(seluInit[0].range.start.line, 17);
    assert.ok(seluInit[0].code.target.toString().endsWith('findings.md#selu-init'));
    const dropout = withCode(doc.uri, 'selu-dropout');
    assert.strictEqual(dropout.length, 1);
    assert.strictEqual(dropout[0].range.start.line, 21);
  });

  it('quick fix inserts lecun_normal init for fc1; its error goes away; apply-all fixes the rest', async () => {
    const doc = await open(SELU);
    const diag = (await poll(() => withCode(doc.uri, 'selu-init').length === 4 && withCode(doc.uri, 'selu-init'), 'selu-init'))[0];
    const fixes = await quickFixes(doc, diag);
    const fix = fixes.find((a) => a.title === 'Initialize fc1 with lecun_normal');
    assert.ok(fix, JSON.stringify(fixes.map((f) => f.title)));
    assert.strictEqual(fix.isPreferred, true);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.match(doc.getText(), /\n        nn\.init\.kaiming_normal_\(self\.fc1\.weight, mode='fan_in', nonlinearity='linear'\)\n/);
    await poll(() => withCode(doc.uri, 'selu-init').length === 3, 'fc1 selu-init to disappear');
    assert.ok(withCode(doc.uri, 'selu-init').every((d) => d.range.start.line !== 17));
    assert.ok(await vscode.commands.executeCommand('normlens.applySuggestedInits', doc.uri));
    await poll(() => withCode(doc.uri, 'selu-init').length === 0, 'all selu-init to disappear');
    // The file is still valid Python that NormLens reads completely.
    assert.ok(withCode(doc.uri, 'parse-error').length === 0);
    const dropoutFix = (await quickFixes(doc, withCode(doc.uri, 'selu-dropout')[0])).find((a) => a.title === 'Replace with AlphaDropout');
    assert.ok(await vscode.workspace.applyEdit(dropoutFix.edit));
    assert.match(doc.getText(), /self\.drop = nn\.AlphaDropout\(0\.1\)/);
    await poll(() => withCode(doc.uri, 'selu-dropout').length === 0, 'selu-dropout to disappear');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('Keras file: glorot/he init on SELU layers flagged, Dropout -> AlphaDropout fix is idiomatic', async () => {
    const doc = await open('keras_selu.py');
    // glorot_uniform 784->512 gives sigma_w^2 = 2*784/1296 = 1.21 (flagged); 512->512 gives exactly 1 (not flagged);
    // he_normal gives 2.
    const seluInit = await poll(() => withCode(doc.uri, 'selu-init').length >= 2 && withCode(doc.uri, 'selu-init'), 'keras selu-init');
    assert.deepStrictEqual(seluInit.map((d) => d.range.start.line).sort((a, b) => a - b), [7, 10]);
    const fix = (await quickFixes(doc, seluInit.find((d) => d.range.start.line === 7))).find((a) => a.isPreferred);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.ok(doc.lineAt(7).text.includes('layers.Dense(512, activation="selu", kernel_initializer=\'lecun_normal\'),'), doc.lineAt(7).text);
    const he = seluInit.find((d) => d.range.start.line === 10);
    const heFix = (await quickFixes(doc, he)).find((a) => a.isPreferred);
    assert.ok(await vscode.workspace.applyEdit(heFix.edit));
    assert.ok(doc.lineAt(10).text.includes('kernel_initializer=\'lecun_normal\''), doc.lineAt(10).text);
    await poll(() => withCode(doc.uri, 'selu-init').length === 0, 'both keras selu-init fixed');
    const drop = withCode(doc.uri, 'selu-dropout')[0];
    const dropFix = (await quickFixes(doc, drop)).find((a) => a.title === 'Replace with AlphaDropout');
    assert.ok(await vscode.workspace.applyEdit(dropFix.edit));
    assert.strictEqual(doc.lineAt(9).text, '    layers.AlphaDropout(0.1),');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('TensorFlow.js model.json: tfjs lecun misses the fixed point (nu* 0.351); the JSON fix stays valid JSON', async () => {
    const doc = await open('model.json');
    const seluInit = await poll(() => withCode(doc.uri, 'selu-init').length > 0 && withCode(doc.uri, 'selu-init'), 'tfjs selu-init');
    assert.strictEqual(seluInit.length, 6);
    assert.strictEqual(seluInit[0].severity, vscode.DiagnosticSeverity.Warning);
    assert.match(seluInit[0].message, /0\.774/);
    assert.match(seluInit[0].message, /nu\* = 0\.35/);
    const edit = new vscode.WorkspaceEdit();
    const source = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, new vscode.Range(0, 0, 0, 0), 'source.normlens.applyInits')) || [];
    assert.strictEqual(source.length, 1, 'one "apply all suggested initializers" source action');
    assert.ok(await vscode.workspace.applyEdit(source[0].edit || edit));
    const parsed = JSON.parse(doc.getText());
    const init = parsed.modelTopology.config.layers[0].config.kernel_initializer;
    assert.deepStrictEqual(init, { class_name: 'VarianceScaling', config: { scale: 1.292, mode: 'fan_in', distribution: 'truncated_normal', seed: null } });
    await poll(() => withCode(doc.uri, 'selu-init').length === 0, 'tfjs selu-init fixed');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('a file with a syntax error gets a clear parse-error diagnostic and no exception', async () => {
    const uri = vscode.Uri.joinPath(workspaceUri(), 'broken_model.py');
    await vscode.workspace.fs.writeFile(uri, Buffer.from('import torch.nn as nn\n\nnet = nn.Sequential(\n    nn.Linear(10, 20),\n    nn.ReLU(,\n)\n'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diags = await poll(() => withCode(uri, 'parse-error').length && withCode(uri, 'parse-error'), 'parse-error diagnostic');
    assert.strictEqual(diags[0].severity, vscode.DiagnosticSeverity.Error);
    assert.match(diags[0].message, /syntax error/i);
    assert.ok(diags[0].range.start.line >= 2 && diags[0].range.start.line <= 5, `line ${diags[0].range.start.line}`);
  });

  it('editing the file updates the lenses within a second', async () => {
    const doc = await open(SELU);
    const before = await poll(async () => {
      const t = await lensTitles(doc);
      return t.some((x) => x.startsWith('NormLens SeluMLP')) && t;
    }, 'lenses');
    const line = doc.getText().split('\n').findIndex((l) => l.startsWith('HIDDEN = '));
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, doc.lineAt(line).range, 'HIDDEN = 1024');
    const t0 = Date.now();
    assert.ok(await vscode.workspace.applyEdit(edit));
    await poll(async () => {
      const { ctx } = await api();
      const a = ctx.service.get(doc.uri);
      return a && a.models[0] && a.models[0].layers[0].out.value === 1024;
    }, 'analysis of the edit', 1000, 10);
    const after = await poll(async () => {
      const t = await lensTitles(doc);
      return JSON.stringify(t) !== JSON.stringify(before) && t;
    }, 'lenses to change', 1000, 10);
    const ms = Date.now() - t0;
    console.log(`E2E-METRIC editToLensMs=${ms}`);
    assert.ok(ms < 1000, `lenses updated after ${ms} ms`);
    assert.notDeepStrictEqual(after, before);
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('deleting a watched JSON topology removes its diagnostics', async () => {
    const src = vscode.Uri.joinPath(workspaceUri(), 'model.json');
    const copy = vscode.Uri.joinPath(workspaceUri(), 'copied_model.json');
    await vscode.workspace.fs.copy(src, copy, { overwrite: true });
    await poll(() => withCode(copy, 'selu-init').length === 6, 'diagnostics of a JSON created on disk (not opened)');
    await vscode.workspace.fs.delete(copy);
    await poll(() => normlensDiagnostics(copy).length === 0, 'diagnostics of the deleted file to go');
  });

  it('Toggle CodeLens hides and restores the lenses; Analyze Workspace reads every example', async () => {
    const doc = await open(SELU);
    await vscode.commands.executeCommand('normlens.toggleCodeLens');
    await poll(async () => (await lensTitles(doc)).length === 0, 'lenses to disappear');
    await vscode.commands.executeCommand('normlens.toggleCodeLens');
    await poll(async () => (await lensTitles(doc)).length > 0, 'lenses to return');
    const files = await vscode.commands.executeCommand('normlens.analyzeWorkspace');
    assert.ok(files >= 6, `analysed ${files} files`);
    const bn = vscode.Uri.joinPath(workspaceUri(), 'bn_cnn.py');
    assert.ok(withCode(bn, 'batchnorm-small-batch').length === 2, JSON.stringify(normlensDiagnostics(bn).map(codeOf)));
  });
});
