// Editor-suite helpers on top of the shared in-host ones (plain CommonJS: the host loads them as they are).
const { vscode, workspaceUri, pollWith, open, codeOf, api } = require('../../harness/inHost');

/** Polls often: the editor suite times lenses and diagnostics. */
const poll = pollWith({ timeoutMs: 15000, everyMs: 25 });

async function lensTitles(doc) {
  const lenses = (await vscode.commands.executeCommand('vscode.executeCodeLensProvider', doc.uri, 100)) || [];
  return lenses.map((l) => l.command && l.command.title).filter(Boolean);
}

function normlensDiagnostics(uri) {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'NormLens');
}

function withCode(uri, code) {
  return normlensDiagnostics(uri).filter((d) => codeOf(d) === code);
}

async function quickFixes(doc, diagnostic) {
  const actions = (await vscode.commands.executeCommand('vscode.executeCodeActionProvider', doc.uri, diagnostic.range, vscode.CodeActionKind.QuickFix.value)) || [];
  return actions.filter((a) => a.kind && a.kind.value.startsWith('quickfix'));
}

module.exports = { vscode, workspaceUri, poll, open, lensTitles, normlensDiagnostics, codeOf, withCode, api, quickFixes };
