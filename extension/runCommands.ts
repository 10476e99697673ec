/**
 * Palette commands for what the dashboard's buttons do, so every action is reachable without the view:
 * compare normalizations of the active file's model, cancel running probes, export a stored run.
 */
import * as vscode from 'vscode';
import type { ProbeRun } from '../core/protocol';
import type { CompareController } from './compareCommand';
import type { Ctx } from './ctx';
import { exportRun } from './dashboardExport';
import type { ProbeController } from './probeCommand';
import type { RunStore } from './runStore';

function describe(run: ProbeRun): vscode.QuickPickItem & { run: ProbeRun } {
  const variant = run.group ? ` [${run.group.label}]` : '';
  return {
    label: `${run.modelName}${variant}`,
    description: `${run.fileName} · ${run.status} · step ${run.stepsRun}/${run.config.steps}${run.backend ? ` · ${run.backend}` : ''}`,
    detail: new Date(run.createdAt).toLocaleString(),
    run,
  };
}

/** The model to act on: the argument, or the only model of the active file, or the one the user picks. */
async function pickModel(ctx: Ctx, uri: vscode.Uri, modelIndex: unknown): Promise<number | undefined> {
  if (typeof modelIndex === 'number') return modelIndex;
  const doc = await vscode.workspace.openTextDocument(uri);
  const models = (ctx.service.get(uri) ?? (await ctx.service.analyzeDocument(doc)))?.models ?? [];
  if (models.length <= 1) return 0;
  const picked = await vscode.window.showQuickPick(
    models.map((m, i) => ({ label: m.name, description: `${m.layers.length} layers`, i })),
    { placeHolder: 'Which model?' },
  );
  return picked?.i;
}

export function registerRunCommands(ctx: Ctx, runs: RunStore, probes: ProbeController, compare: CompareController): void {
  ctx.registerCommand('normlens.compareNormalizations', async (uri?: unknown, modelIndex?: unknown) => {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target) return void vscode.window.showInformationMessage('NormLens: open a model file to compare normalizations.');
    const index = await pickModel(ctx, target, modelIndex);
    if (index === undefined) return;
    return (await compare.compare(target, index)).map((r) => r.id);
  });

  ctx.registerCommand('normlens.cancelProbe', async (runId?: unknown) => {
    const given = typeof runId === 'string' ? runs.get(runId) : undefined;
    const active = given ? [given].filter((r) => runs.active().includes(r)) : runs.active();
    if (!active.length) return void vscode.window.showInformationMessage('NormLens: no probe is running or queued.');
    const chosen =
      active.length === 1
        ? [active[0]]
        : (await vscode.window.showQuickPick(active.map(describe), { canPickMany: true, placeHolder: 'Cancel which probes?' }))?.map((p) => p.run);
    for (const run of chosen ?? []) probes.cancel(run.id);
  });

  ctx.registerCommand('normlens.exportRun', async (runId?: unknown, format?: unknown) => {
    let run = typeof runId === 'string' ? runs.get(runId) : undefined;
    if (!run) {
      const all = runs.all().reverse();
      if (!all.length) return void vscode.window.showInformationMessage('NormLens: no probe run to export yet.');
      run = (await vscode.window.showQuickPick(all.map(describe), { placeHolder: 'Export which run?' }))?.run;
    }
    if (!run) return;
    const fmt =
      format === 'json' || format === 'csv'
        ? format
        : ((await vscode.window.showQuickPick(['json', 'csv'], { placeHolder: 'JSON (the whole run) or CSV (one row per step and layer)?' })) as 'json' | 'csv' | undefined);
    if (!fmt) return;
    const path = await exportRun(runs, { runId: run.id, format: fmt });
    if (path) void vscode.window.showInformationMessage(`NormLens: ${run.modelName} exported to ${path}`);
    return path;
  });
}
