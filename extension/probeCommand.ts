import * as vscode from 'vscode';
import { resolveProbeConfig, type ProbeConfig } from '../core/probe/config';
import { estimateProbeCost } from '../core/probe/cost';
import type { BackendPreference, ProbeRun } from '../core/protocol';
import type { Ctx } from './ctx';
import { contentHash, DashboardViewProvider, type DashboardActions } from './dashboard';
import { isFinished, RunStore } from './runStore';

/** What `normlens.probe` accepts as its third argument (tests, and later the comparison view): settings to override. */
export interface ProbeOverrides {
  steps?: number;
  sampleEvery?: number;
  batchSize?: number;
  seed?: number;
  learningRate?: number;
  optimizer?: 'sgd' | 'adam';
  backend?: BackendPreference;
}

const OVERRIDE_KEYS = ['steps', 'sampleEvery', 'batchSize', 'seed', 'learningRate', 'optimizer', 'backend'] as const;

/** Keep only the known keys of a command argument (a command can be run with anything). */
function overridesOf(raw: unknown): ProbeOverrides {
  if (typeof raw !== 'object' || raw === null) return {};
  const out: Record<string, unknown> = {};
  for (const k of OVERRIDE_KEYS) if (k in raw) out[k] = (raw as Record<string, unknown>)[k];
  return out as ProbeOverrides;
}

/** `normlens.probe.*` settings. */
function probeSettings(): { config: Partial<ProbeConfig>; backend: BackendPreference } {
  const c = vscode.workspace.getConfiguration('normlens.probe');
  const batch = c.get<number | null>('batchSize', null);
  return {
    config: { steps: c.get<number>('steps', 200), sampleEvery: c.get<number>('sampleEvery', 10), ...(batch ? { batchSize: batch } : {}) },
    backend: c.get<BackendPreference>('backend', 'auto'),
  };
}

/**
 * Starting, following and stopping probe runs from the editor: the `normlens.probe` command (palette and the
 * model CodeLens), the dashboard's buttons, a cancellable progress notification per run, and a status bar item
 * while a probe runs.
 */
export class ProbeController implements DashboardActions, vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('normlens.probe', vscode.StatusBarAlignment.Left, 49);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(
    private readonly ctx: Ctx,
    private readonly runs: RunStore,
    private readonly dashboard: DashboardViewProvider,
  ) {
    this.item.name = 'NormLens probe';
    this.item.command = 'normlens.openDashboard';
    this.disposables.push(runs.onDidChange(() => this.updateStatusBar()));
  }

  /** Create a run of model `modelIndex` of `uri`, reveal the dashboard and hand it the run. */
  async probe(uri: vscode.Uri, modelIndex: number, overrides: ProbeOverrides = {}): Promise<ProbeRun | undefined> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const analysis = this.ctx.service.get(uri) ?? (await this.ctx.service.analyzeDocument(doc));
    const model = analysis?.models[modelIndex];
    if (!analysis || !model) {
      void vscode.window.showInformationMessage(`NormLens: no model #${modelIndex + 1} in ${vscode.workspace.asRelativePath(uri)} to probe.`);
      return undefined;
    }
    const settings = probeSettings();
    const { backend = settings.backend, ...configOverrides } = overrides;
    let config: ProbeConfig;
    try {
      config = resolveProbeConfig(model, { ...settings.config, ...configOverrides });
      // Throws ProbePlanError for a model the probe cannot build: say so now rather than after the view loads.
      estimateProbeCost(model, config);
    } catch (err) {
      void vscode.window.showErrorMessage(`NormLens cannot probe ${model.name}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    const run = this.runs.create({
      uri: uri.toString(),
      fileName: vscode.workspace.asRelativePath(uri),
      version: doc.version,
      contentHash: contentHash(doc.getText()),
      modelIndex,
      modelName: model.name,
      model,
      prediction: analysis.predictions[modelIndex] ?? null,
      config,
      backendPreference: backend,
    });
    this.ctx.log.info(`probe ${run.id}: ${model.name} in ${run.fileName}, ${config.steps} steps, batch ${config.batchSize}, backend ${backend}`);
    this.follow(run);
    await this.dashboard.reveal();
    this.dashboard.execute(run);
    return run;
  }

  start(uri: vscode.Uri, modelIndex: number): void {
    void this.probe(uri, modelIndex).catch((err: unknown) => this.ctx.log.error(`probe failed to start: ${String(err)}`));
  }

  /** Probe the same model of the same file again with the run's settings (the file as it is now). */
  rerun(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    const { steps, sampleEvery, batchSize, seed, learningRate, optimizer } = run.config;
    void this.probe(vscode.Uri.parse(run.uri, true), run.modelIndex, { steps, sampleEvery, batchSize, seed, learningRate, optimizer, backend: run.backendPreference }).catch(
      (err: unknown) => this.ctx.log.error(`re-run of ${runId} failed to start: ${String(err)}`),
    );
  }

  cancel(runId: string): void {
    this.dashboard.cancel(runId);
  }

  /** A cancellable progress notification for the run, until it finishes. */
  private follow(run: ProbeRun): void {
    const title = `NormLens: probing ${run.modelName}`;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
      progress.report({ message: 'starting the dashboard…' });
      return new Promise<void>((resolve) => {
        let done = 0;
        const subscriptions: vscode.Disposable[] = [];
        const end = () => {
          vscode.Disposable.from(...subscriptions).dispose();
          resolve();
        };
        subscriptions.push(token.onCancellationRequested(() => this.cancel(run.id)));
        subscriptions.push(
          this.runs.onDidChange((e) => {
            if (e.run.id !== run.id) return;
            if (e.kind === 'record' && e.record) {
              const pct = run.config.steps ? (100 * e.record.step) / run.config.steps : 100;
              progress.report({ message: `step ${e.record.step}/${run.config.steps} on ${e.run.backend ?? '?'}`, increment: pct - done });
              done = pct;
            } else if (e.kind === 'restarted') {
              progress.report({ message: `restarted on ${e.run.backend}` });
            } else if (isFinished(e.run.status)) {
              this.announce(e.run);
              end();
            }
          }),
        );
        if (isFinished(run.status)) end();
      });
    });
  }

  private announce(run: ProbeRun): void {
    const last = run.history[run.history.length - 1];
    this.ctx.log.info(`probe ${run.id}: ${run.status}${last?.note ? ` (${last.note})` : ''} on ${run.backend ?? '-'} ${run.renderer ?? ''}, ${run.records.length} records, first after ${run.firstRecordMs?.toFixed(0) ?? '-'} ms`);
    if (run.status === 'failed') void vscode.window.showErrorMessage(`NormLens: the probe of ${run.modelName} failed: ${run.error ?? 'unknown error'}`);
    else if (run.status === 'interrupted') {
      void vscode.window.showWarningMessage(`NormLens: the probe of ${run.modelName} was interrupted (${last?.note ?? 'the dashboard went away'}).`, 'Re-run').then((pick) => pick && this.rerun(run.id));
    } else if (run.status === 'done' || run.status === 'diverged') {
      vscode.window.setStatusBarMessage(`NormLens: probe of ${run.modelName} ${run.status === 'done' ? 'finished' : `diverged at step ${run.diverged?.step}`}`, 5000);
    }
  }

  private updateStatusBar(): void {
    const active = this.runs.active();
    const run = active.find((r) => r.status === 'running') ?? active[0];
    if (!run) return this.item.hide();
    const step = run.records[run.records.length - 1]?.step ?? 0;
    this.item.text = run.status === 'queued' ? `$(clock) NormLens: ${run.modelName} queued` : `$(sync~spin) NormLens: probing ${run.modelName} ${step}/${run.config.steps}`;
    this.item.tooltip = `${run.fileName}: ${run.status}${run.backend ? ` on ${run.backend}` : ''}${run.renderer ? ` (${run.renderer})` : ''}${active.length > 1 ? `; ${active.length - 1} more queued` : ''}. Click for the dashboard.`;
    this.item.show();
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** The probing feature: run store, dashboard view, controller and the `normlens.probe` command. */
export function registerProbing(ctx: Ctx): { runs: RunStore; dashboard: DashboardViewProvider; probes: ProbeController } {
  const runs = ctx.push(new RunStore(ctx.extension.workspaceState, { log: (m) => ctx.log.warn(m) }));
  const dashboard = ctx.push(new DashboardViewProvider(ctx.extension.extensionUri, ctx.service, runs, ctx.log));
  ctx.push(vscode.window.registerWebviewViewProvider(DashboardViewProvider.viewId, dashboard));
  const probes = ctx.push(new ProbeController(ctx, runs, dashboard));
  dashboard.actions = probes;
  ctx.registerCommand('normlens.probe', async (uri?: unknown, modelIndex?: unknown, overrides?: unknown) => {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target) return void vscode.window.showInformationMessage('NormLens: open a model file to probe.');
    const run = await probes.probe(target, typeof modelIndex === 'number' ? modelIndex : 0, overridesOf(overrides));
    return run?.id;
  });
  return { runs, dashboard, probes };
}
