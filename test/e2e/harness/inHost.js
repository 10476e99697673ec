// Helpers for the suites that run inside the real extension host (plain CommonJS: the host loads them as they are,
// `require('vscode')` resolves there). One copy for every in-host suite.
const vscode = require('vscode');

const workspaceUri = () => vscode.workspace.workspaceFolders[0].uri;

/**
 * A poll function with its own defaults: `poll(fn, what, timeoutMs?, everyMs?)` calls `fn` until it returns a
 * truthy value and returns that; after `timeoutMs` it fails naming `what` and the last value.
 */
function pollWith({ timeoutMs: defaultTimeout = 20000, everyMs: defaultEvery = 50 } = {}) {
  return async function poll(fn, what, timeoutMs = defaultTimeout, everyMs = defaultEvery) {
    const start = Date.now();
    let last;
    for (;;) {
      last = await fn();
      if (last) return last;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  };
}

/** The extension's API (activates it): `{ ctx, runs, dashboard, probes, activationMs, ... }`. */
async function api() {
  const ext = vscode.extensions.getExtension('normlens.normlens');
  if (!ext) throw new Error('extension normlens.normlens is not installed');
  return ext.activate();
}

/** Open a workspace file in an editor; resolves with its document. */
async function open(rel) {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceUri(), rel));
  await vscode.window.showTextDocument(doc);
  return doc;
}

/** A diagnostic's code as a string or number (codes with a link are objects). */
function codeOf(d) {
  return typeof d.code === 'object' && d.code !== null ? d.code.value : d.code;
}

const FINISHED = ['done', 'failed', 'diverged', 'cancelled', 'interrupted'];
/** The run when it has finished (any way), else false. */
const finished = (run) => run && FINISHED.includes(run.status) && run;

/** Tiny probes: SwiftShader on two shared cores is slow. */
const TINY_PROBE = Object.freeze({ steps: 4, sampleEvery: 2, batchSize: 16 });

/** Make the probe settings tiny (user settings), for probes started from the dashboard or a lens. */
async function useTinyProbes() {
  const settings = vscode.workspace.getConfiguration('normlens.probe');
  for (const [key, value] of Object.entries(TINY_PROBE)) await settings.update(key, value, vscode.ConfigurationTarget.Global);
}

/** Undo useTinyProbes: the probe settings back to their defaults. */
async function clearTinyProbes() {
  const settings = vscode.workspace.getConfiguration('normlens.probe');
  for (const key of Object.keys(TINY_PROBE)) await settings.update(key, undefined, vscode.ConfigurationTarget.Global);
}

module.exports = { vscode, workspaceUri, pollWith, api, open, codeOf, FINISHED, finished, TINY_PROBE, useTinyProbes, clearTinyProbes };
