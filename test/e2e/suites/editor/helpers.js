// Helpers for suites that run inside the real extension host (plain CommonJS: the host loads them as they are).
const vscode = require('vscode');

const workspaceUri = () => vscode.workspace.workspaceFolders[0].uri;

/** Poll `fn` until it returns a truthy value; fail with `what` and the last value after `timeoutMs`. */
async function poll(fn, what, timeoutMs = 15000, everyMs = 25) {
  const start = Date.now();
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function open(rel) {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceUri(), rel));
  await vscode.window.showTextDocument(doc);
  return doc;
}

async function lensTitles(doc) {
  const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri, 100)) || [];
  return lenses.map((l) => l.command && l.command.title).filter(Boolean);
}

function normlensDiagnostics(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'NormLens');
}

function codeOf(d) {
  return typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
}

function withCode(uri, code) {
  return normlensDiagnostics(uri).filter((d) => codeOf(d) === code);
}

async function api() {
  const ext = vscode.extensions.getExtension('normlens.normlens');
  if (!ext) throw new Error('extension normlens.normlens is not installed');
  return ext.activate();
}

async function quickFixes(doc, diagnostic) {
  const actions = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value)) || [];
  return actions.filter((a) => a.kind && a.kind.value.startsWith('quickfix'));
}

module.exports = { vscode, workspaceUri, poll, open, lensTitles, normlensDiagnostics, codeOf, withCode, api, quickFixes };
