import * as vscode from 'vscode';
import { resolveProbeConfig, type ProbeConfig } from '../core/probe/config';
import { fitProbeToBudget } from '../core/probe/cost';
import type { BackendPreference, ProbeFaults, ProbeRun } from '../core/protocol';
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
  /** Fault injection for the end-to-end tests; ignored unless the extension runs under a test harness. */
  faults?: ProbeFaults;
}

const OVERRIDE_KEYS = ['steps', 'sampleEvery', 'batchSize', 'seed', 'learningRate', 'optimizer', 'backend', 'faults'] as const;

/** Keep only the known keys of a command argument (a command can be run with anything). */
function overridesOf(raw: unknown): ProbeOverrides {
  if (typeof raw !== 'object' || raw === null) return {};
  const out: Record<string, unknown> = {};
  for (const k of OVERRIDE_KEYS) if (k in raw) out[k] = (raw as Record<string, unknown>)[k];
  return out as ProbeOverrides;
}

/** `normlens.probe.*` settings. */
function probeSettings(): { config: Partial<ProbeConfig>; backend: BackendPreference; memoryBudgetBytes: number; maxSeconds: number } {
  const c = vscode.workspace.getConfiguration('normlens.probe');
  const batch = c.get<number | null>('batchSize', null);
  const positive = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback);
  return {
    config: { steps: c.get<number>('steps', 200), sampleEvery: c.get<number>('sampleEvery', 10), ...(batch ? { batchSize: batch } : {}) },
    backend: c.get<BackendPreference>('backend', 'auto'),
    memoryBudgetBytes: positive(c.get<number>('memoryBudgetMB', 1024), 1024) * 2 ** 20,
    maxSeconds: positive(c.get<number>('maxSeconds', 300), 300),
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
    let doc: vscode.TextDocument;
    try {
      // A document VS Code still holds for a file deleted since (a re-run of an old run) is not the file: only an
      // unsaved editor of it is worth probing.
      const held = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
      if (uri.scheme !== 'untitled' && !held?.isDirty) await vscode.workspace.fs.stat(uri);
      doc = await vscode.workspace.openTextDocument(uri);
    } catch (err) {
      // Deleted or moved since (a re-run of an old run): say so, nothing to probe.
      this.ctx.log.warn(`probe: cannot open ${uri.toString()}: ${err instanceof Error ? err.message : String(err)}`);
      void vscode.window.showErrorMessage(`NormLens: cannot probe ${vscode.workspace.asRelativePath(uri)}: the file cannot be opened (deleted or moved?).`);
      return undefined;
    }
    const analysis = this.ctx.service.get(uri) ?? (await this.ctx.service.analyzeDocument(doc));
    const model = analysis?.models[modelIndex];
    if (!analysis || !model) {
      void vscode.window.showInformationMessage(`NormLens: no model #${modelIndex + 1} in ${vscode.workspace.asRelativePath(uri)} to probe.`);
      return undefined;
    }
    const settings = probeSettings();
    const { backend = settings.backend, faults, ...configOverrides } = overrides;
    let config: ProbeConfig;
    let fitted: ReturnType<typeof fitProbeToBudget>;
    try {
      config = resolveProbeConfig(model, { ...settings.config, ...configOverrides });
      // Throws ProbePlanError for a model the probe cannot build: say so now rather than after the view loads.
      // The budget is WebGL's unless the CPU is asked for; the view fits the run to the backend it gets as well.
      fitted = fitProbeToBudget(model, config, { backend: backend === 'cpu' ? 'cpu' : 'webgl', maxBytes: settings.memoryBudgetBytes, maxSeconds: settings.maxSeconds });
    } catch (err) {
      void vscode.window.showErrorMessage(`NormLens cannot probe ${model.name}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
    const capNotes = fitted.refused ? [] : fitted.changes.map((c) => `Scaled down before starting: ${c}.`);
    const run = this.runs.create({
      notes: capNotes,
      uri: uri.toString(),
      fileName: vscode.workspace.asRelativePath(uri),
      version: doc.version,
      contentHash: contentHash(doc.getText()),
      modelIndex,
      modelName: model.name,
      model,
      prediction: analysis.predictions[modelIndex] ?? null,
      config: fitted.refused ? config : fitted.config,
      backendPreference: backend,
    });
    if (fitted.refused) {
      // A run that says why it did not start, in the dashboard's history as well as in the notification.
      const why = `refused before starting: ${fitted.refused}`;
      this.ctx.log.warn(`probe ${run.id}: ${model.name} ${why}`);
      this.lastRefusal = why;
      this.runs.finish(run.id, 'failed', why);
      void vscode.window.showErrorMessage(`NormLens did not probe ${model.name}: ${fitted.refused}. Lower normlens.probe.batchSize / steps, or raise normlens.probe.memoryBudgetMB / maxSeconds.`);
      await this.dashboard.reveal();
      return run;
    }
    if (capNotes.length) {
      this.ctx.log.info(`probe ${run.id}: ${capNotes.join(' ')}`);
      void vscode.window.showWarningMessage(`NormLens scaled the probe of ${model.name} down to fit: ${fitted.changes.join('; ')}.`);
    }
    const c = run.config;
    this.ctx.log.info(`probe ${run.id}: ${model.name} in ${run.fileName}, ${c.steps} steps, batch ${c.batchSize}, backend ${backend}`);
    this.follow(run);
    this.watchSource(run);
    await this.dashboard.reveal();
    // Fault injection only under a test harness: nothing a user, a file or the view sends can reach it.
    this.dashboard.execute(run, this.ctx.extension.extensionMode === vscode.ExtensionMode.Test ? faults : undefined);
    return run;
  }

  /** The last refusal's reason (for the end-to-end tests; the user sees it as a notification and a failed run). */
  lastRefusal: string | null = null;

  /**
   * Mark a run whose file changes while it runs: it goes on with the model it started with (the run carries its
   * IR, version and text hash), so it stays the measurement of that version, and the note says the file moved on.
   */
  private watchSource(run: ProbeRun): void {
    const uri = vscode.Uri.parse(run.uri, true);
    const subscriptions: vscode.Disposable[] = [];
    const stop = () => vscode.Disposable.from(...subscriptions.splice(0)).dispose();
    const edited = () => this.runs.addNote(run.id, `The file changed while the probe ran; this run measures the version it started on (version ${run.version}).`);
    const deleted = () => this.runs.addNote(run.id, 'The file was deleted while the probe ran; the run went on with the model it started with.');
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.document.uri.toString() === run.uri && e.contentChanges.length && e.document.version !== run.version) edited();
    }, null, subscriptions);
    vscode.workspace.onDidDeleteFiles((e) => e.files.some((f) => f.toString() === run.uri) && deleted(), null, subscriptions);
    try {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(uri, '..'), uri.path.slice(uri.path.lastIndexOf('/') + 1)));
      subscriptions.push(watcher, watcher.onDidDelete(deleted), watcher.onDidChange(() => void this.changedOnDisk(run, uri, edited)));
    } catch (err) {
      this.ctx.log.warn(`probe ${run.id}: cannot watch ${run.fileName}: ${String(err)}`);
    }
    subscriptions.push(this.runs.onDidChange((e) => e.run.id === run.id && isFinished(e.run.status) && stop()));
    this.disposables.push({ dispose: stop });
  }

  /** A change on disk (a JSON topology not open in an editor) counts when the text differs from the run's. */
  private async changedOnDisk(run: ProbeRun, uri: vscode.Uri, edited: () => void): Promise<void> {
    try {
      const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      if (contentHash(text) !== run.contentHash) edited();
    } catch {
      /* deleted meanwhile: the delete event says so */
    }
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
      // Determinate from the start (increment 0): an indeterminate bar animates continuously, and every animation
      // in the window slows a probe on a software WebGL renderer (see the status bar item below).
      progress.report({ message: 'starting the dashboard…', increment: 0 });
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

  /** A static icon: `~spin` would animate the window for the whole run, which costs a software-WebGL probe ~5x. */
  private updateStatusBar(): void {
    const active = this.runs.active();
    const run = active.find((r) => r.status === 'running') ?? active[0];
    if (!run) return this.item.hide();
    const step = run.records[run.records.length - 1]?.step ?? 0;
    this.item.text = run.status === 'queued' ? `$(clock) NormLens: ${run.modelName} queued` : `$(beaker) NormLens: probing ${run.modelName} ${step}/${run.config.steps}`;
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
