// The dashboard's actions from the command palette: Compare Normalizations on the active file makes one grouped
// run per variant, Cancel Running Probe stops them (a run id, as the palette's pick would give), and the commands
// are contributed to the palette.
const assert = require('assert');
const vscode = require('vscode');
const { pollWith } = require('../../harness/inHost');

const poll = pollWith({ timeoutMs: 60000, everyMs: 50 });

describe('NormLens palette: compare, cancel, export', function () {
  this.timeout(180000);

  it('contributes every dashboard action to the command palette', async () => {
    const ext = vscode.extensions.getExtension('normlens.normlens');
    const contributed = ext.packageJSON.contributes.commands.map((c) => c.command);
    const registered = await vscode.commands.getCommands(true);
    for (const id of ['normlens.probe', 'normlens.compareNormalizations', 'normlens.cancelProbe', 'normlens.exportRun', 'normlens.openDashboard']) {
      assert.ok(contributed.includes(id), `${id} in contributes.commands`);
      assert.ok(registered.includes(id), `${id} registered`);
    }
  });

  it('Compare Normalizations on the active editor starts grouped runs; Cancel Running Probe stops each', async () => {
    const { runs } = await vscode.extensions.getExtension('normlens.normlens').activate();
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(vscode.workspace.workspaceFolders[0].uri, 'deep_sigmoid_mlp.py'));
    await vscode.window.showTextDocument(doc);
    await vscode.workspace.getConfiguration('normlens.probe').update('steps', 100000, vscode.ConfigurationTarget.Global);
    try {
      const ids = await vscode.commands.executeCommand('normlens.compareNormalizations');
      assert.ok(Array.isArray(ids) && ids.length >= 3, `at least three variants: ${JSON.stringify(ids)}`);
      const group = runs.get(ids[0]).group.id;
      const variants = ids.map((id) => runs.get(id).group.variant);
      assert.ok(ids.every((id) => runs.get(id).group.id === group), 'one group');
      assert.strictEqual(new Set(variants).size, ids.length, `distinct variants ${variants}`);
      assert.ok(variants.includes('as-written') && variants.includes('batchnorm'), variants.join(','));
      for (const id of ids) await vscode.commands.executeCommand('normlens.cancelProbe', id);
      const ended = await poll(() => ids.every((id) => runs.get(id).status === 'cancelled') && ids.map((id) => runs.get(id)), 'every run cancelled');
      assert.deepStrictEqual(ended.map((r) => r.status), ids.map(() => 'cancelled'));
      assert.strictEqual(runs.active().length, 0);
    } finally {
      await vscode.workspace.getConfiguration('normlens.probe').update('steps', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
