import * as vscode from 'vscode';
import { fileTable } from '../core/presentation/report';
import type { Ctx } from './ctx';
import { allInitEdits } from './codeActions';
import { toWorkspaceEdit } from './convert';
import { globOf } from './config';

const decoder = new TextDecoder('utf-8');

async function documentFor(uri: unknown): Promise<vscode.TextDocument | undefined> {
  if (uri instanceof vscode.Uri) return vscode.workspace.openTextDocument(uri);
  return vscode.window.activeTextEditor?.document;
}

/** Every command of the palette, registered through the context. */
export function registerCommands(ctx: Ctx): void {
  const { service, log } = ctx;
  ctx.registerCommand('normlens.analyzeFile', async (uri?: unknown) => {
    const doc = await documentFor(uri);
    if (!doc) return void vscode.window.showInformationMessage('NormLens: open a model file first.');
    const a = await service.analyzeDocument(doc);
    if (!a) return void vscode.window.showInformationMessage(`NormLens: ${vscode.workspace.asRelativePath(doc.uri)} is not a PyTorch, Keras or TensorFlow.js model file.`);
    log.info(fileTable(vscode.workspace.asRelativePath(doc.uri), a));
    const layers = a.models.reduce((n, m) => n + m.layers.length, 0);
    vscode.window.setStatusBarMessage(`NormLens: ${a.models.length} model(s), ${layers} layers, ${a.findings.length} finding(s)`, 4000);
    return a;
  });

  ctx.registerCommand('normlens.showModelSummary', async (uri?: unknown) => {
    const doc = await documentFor(uri);
    const a = doc && (service.get(doc.uri) ?? (await service.analyzeDocument(doc)));
    if (!doc || !a) return;
    log.info(fileTable(vscode.workspace.asRelativePath(doc.uri), a));
    log.show(true);
  });

  ctx.registerCommand('normlens.analyzeWorkspace', async () => {
    const include = globOf(ctx.config.include);
    if (!include) return 0;
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'NormLens: analysing workspace', cancellable: true },
      async (progress, token) => {
        const files = await vscode.workspace.findFiles(include, globOf(ctx.config.exclude), 5000, token);
        let done = 0;
        let models = 0;
        let findings = 0;
        for (const uri of files) {
          if (token.isCancellationRequested) break;
          progress.report({ message: vscode.workspace.asRelativePath(uri), increment: 100 / files.length });
          try {
            const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
            const text = open ? open.getText() : decoder.decode(await vscode.workspace.fs.readFile(uri));
            const a = await service.analyze(uri, text, open?.languageId);
            if (a) {
              models += a.models.length;
              findings += a.findings.length;
            }
          } catch (err) {
            log.warn(`skipped ${uri.toString()}: ${String(err)}`);
          }
          done++;
          // Yield so a large workspace never blocks the extension host for long.
          await new Promise((r) => setImmediate(r));
        }
        log.info(`workspace analysis: ${done} files, ${models} models, ${findings} findings`);
        vscode.window.setStatusBarMessage(`NormLens: ${done} files, ${models} models, ${findings} findings`, 5000);
        return done;
      },
    );
  });

  ctx.registerCommand('normlens.applySuggestedInits', async (uri?: unknown, modelIndex?: unknown) => {
    const doc = await documentFor(uri);
    if (!doc) return false;
    const a = service.get(doc.uri) ?? (await service.analyzeDocument(doc));
    const edits = a ? allInitEdits(a, doc.getText(), typeof modelIndex === 'number' ? modelIndex : undefined) : [];
    if (!edits.length) {
      vscode.window.showInformationMessage('NormLens: every layer already has its suggested initializer.');
      return false;
    }
    return vscode.workspace.applyEdit(toWorkspaceEdit(doc.uri, edits));
  });

  ctx.registerCommand('normlens.toggleCodeLens', async () => {
    const c = vscode.workspace.getConfiguration('normlens');
    await c.update('codeLens.enabled', !c.get<boolean>('codeLens.enabled', true), vscode.ConfigurationTarget.Global);
  });

  ctx.registerCommand('normlens.showLog', () => log.show());

  ctx.registerCommand('normlens.openDashboard', async () => {
    await vscode.commands.executeCommand('normlens.dashboard.focus');
  });
}
