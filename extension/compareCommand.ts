/**
 * Comparing normalizations: one probe run per variant of a model (core/probe/variants.ts), grouped, with the same
 * seed and settings, handed to the dashboard one after another through the ordinary probe path; and turning a
 * variant into an edit of the file (core/findings/variantEdits.ts) that the user confirms in the refactor preview.
 */
import * as vscode from 'vscode';
import { variantEdits } from '../core/findings/variantEdits';
import { resolveProbeConfig, type ProbeConfig } from '../core/probe/config';
import { fitProbeToBudget } from '../core/probe/cost';
import { modelVariants, type VariantId } from '../core/probe/variants';
import type { BackendPreference, ProbeRun } from '../core/protocol';
import { predictModel } from '../core/theory/predict';
import type { Ctx } from './ctx';
import { toRange } from './convert';
import { contentHash, type DashboardViewProvider } from './dashboard';
import { isFinished, type RunStore } from './runStore';

/** Settings a comparison may override (the e2e tests keep it small). */
export interface CompareOverrides {
  steps?: number;
  sampleEvery?: number;
  batchSize?: number;
  seed?: number;
  backend?: BackendPreference;
  /** Only these variants (default: every applicable one). */
  variants?: VariantId[];
}

/** What happened to an Apply: the edit was applied, the user declined it, it was refused, or a snippet was shown. */
export type ApplyOutcome = { kind: 'applied' | 'declined' } | { kind: 'refused' | 'snippet'; reason: string };

const SNIPPET_SCHEME = 'normlens-variant';

export class CompareController implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  /** Read-only documents of variant snippets (a content provider's documents cannot be edited). */
  private readonly snippets = new Map<string, string>();
  private counter = 0;

  constructor(
    private readonly ctx: Ctx,
    private readonly runs: RunStore,
    private readonly dashboard: DashboardViewProvider,
  ) {
    const changed = new vscode.EventEmitter<vscode.Uri>();
    this.disposables.push(
      changed,
      vscode.workspace.registerTextDocumentContentProvider(SNIPPET_SCHEME, { onDidChange: changed.event, provideTextDocumentContent: (uri) => this.snippets.get(uri.toString()) ?? '' }),
    );
  }

  /** Create one grouped run per applicable variant and hand them to the dashboard. Returns the runs (none on failure). */
  async compare(uri: vscode.Uri, modelIndex: number, overrides: CompareOverrides = {}): Promise<ProbeRun[]> {
    const doc = await vscode.workspace.openTextDocument(uri);
    const analysis = this.ctx.service.get(uri) ?? (await this.ctx.service.analyzeDocument(doc));
    const model = analysis?.models[modelIndex];
    if (!analysis || !model) {
      void vscode.window.showInformationMessage(`NormLens: no model #${modelIndex + 1} in ${vscode.workspace.asRelativePath(uri)} to compare.`);
      return [];
    }
    const c = vscode.workspace.getConfiguration('normlens.probe');
    const batch = c.get<number | null>('batchSize', null);
    const { backend = c.get<BackendPreference>('backend', 'auto'), variants: only, ...asked } = overrides;
    const budget = { backend: backend === 'cpu' ? ('cpu' as const) : ('webgl' as const), maxBytes: Math.max(1, c.get<number>('memoryBudgetMB', 1024)) * 2 ** 20, maxSeconds: Math.max(1, c.get<number>('maxSeconds', 300)) };
    const wanted = modelVariants(model).filter((v) => !only || only.includes(v.id));
    let config: ProbeConfig;
    const skipped: string[] = [];
    const runnable: { id: VariantId; label: string; model: NonNullable<(typeof wanted)[number]['model']> }[] = [];
    try {
      config = resolveProbeConfig(model, { steps: c.get<number>('steps', 200), sampleEvery: c.get<number>('sampleEvery', 10), ...(batch ? { batchSize: batch } : {}), ...asked });
      // One configuration for every variant (same seed, data, steps, batch): the most restrictive fit of any of them.
      for (const v of wanted) {
        if (!v.model) {
          skipped.push(`${v.label}: ${v.skipped}`);
          continue;
        }
        const fitted = fitProbeToBudget(v.model, config, budget);
        if (fitted.refused) {
          skipped.push(`${v.label}: ${fitted.refused}`);
          continue;
        }
        config = resolveProbeConfig(model, { ...config, steps: Math.min(config.steps, fitted.config.steps), batchSize: Math.min(config.batchSize, fitted.config.batchSize) });
        runnable.push({ id: v.id, label: v.label, model: v.model });
      }
    } catch (err) {
      void vscode.window.showErrorMessage(`NormLens cannot compare ${model.name}: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    if (!runnable.length) {
      void vscode.window.showInformationMessage(`NormLens: no variant of ${model.name} to compare (${skipped.join('; ')}).`);
      return [];
    }
    const group = `cmp-${Date.now().toString(36)}-${(this.counter++).toString(36)}`;
    const base = { uri: uri.toString(), fileName: vscode.workspace.asRelativePath(uri), version: doc.version, contentHash: contentHash(doc.getText()), modelIndex, modelName: model.name, config, backendPreference: backend };
    const created = runnable.map((v) =>
      this.runs.create({ ...base, model: v.model, prediction: predictionOf(v.model), group: { id: group, variant: v.id, label: v.label }, notes: v.id === 'as-written' ? skipped.map((s) => `Not compared: ${s}.`) : [] }),
    );
    this.ctx.log.info(`compare ${group}: ${model.name} in ${base.fileName}, ${created.map((r) => r.group?.variant).join(', ')}; ${config.steps} steps, batch ${config.batchSize}, seed ${config.seed}${skipped.length ? `; skipped ${skipped.join('; ')}` : ''}`);
    this.follow(model.name, created);
    await this.dashboard.reveal();
    // The view computes them one at a time, in this order.
    for (const run of created) this.dashboard.execute(run);
    return created;
  }

  start(uri: vscode.Uri, modelIndex: number): void {
    void this.compare(uri, modelIndex).catch((err: unknown) => this.ctx.log.error(`compare failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  }

  /** Turn the variant a run probed into an edit of its file, shown for confirmation; a snippet when not safe. */
  async apply(runId: string): Promise<ApplyOutcome> {
    const run = this.runs.get(runId);
    if (!run?.group) return { kind: 'refused', reason: `run ${runId} is not part of a comparison` };
    const uri = vscode.Uri.parse(run.uri, true);
    const doc = await vscode.workspace.openTextDocument(uri);
    const text = doc.getText();
    if (contentHash(text) !== run.contentHash) {
      const reason = `${run.fileName} changed since the comparison ran; compare again before applying a variant`;
      void vscode.window.showWarningMessage(`NormLens: ${reason}.`);
      return { kind: 'refused', reason };
    }
    const analysis = this.ctx.service.get(uri) ?? (await this.ctx.service.analyzeDocument(doc));
    const model = analysis?.models[run.modelIndex];
    if (!analysis || !model) return { kind: 'refused', reason: `model #${run.modelIndex + 1} is no longer in ${run.fileName}` };
    if (analysis.error) return { kind: 'refused', reason: `${run.fileName} does not read cleanly (${analysis.error.message}); NormLens edits only files it fully understands` };
    const result = variantEdits(text, analysis.format, model, run.group.variant as VariantId);
    if (!result.ok) {
      const snippet = vscode.Uri.from({ scheme: SNIPPET_SCHEME, path: `/${model.name}-${run.group.variant}.txt` });
      this.snippets.set(snippet.toString(), `${result.snippet}\n\n${analysis.format === 'pytorch' || analysis.format === 'keras' ? '#' : '//'} Not applied automatically: ${result.reason}.\n`);
      await vscode.window.showTextDocument(snippet, { preview: true, viewColumn: vscode.ViewColumn.Beside });
      void vscode.window.showInformationMessage(`NormLens: the ${run.group.label} variant cannot be applied to ${run.fileName} automatically (${result.reason}); its layers are shown to copy by hand.`);
      return { kind: 'snippet', reason: result.reason };
    }
    const edit = new vscode.WorkspaceEdit();
    const metadata: vscode.WorkspaceEditEntryMetadata = { needsConfirmation: true, label: `NormLens: ${run.group.label} variant of ${model.name}`, description: result.summary };
    for (const e of result.edits) edit.replace(uri, toRange(e.range), e.newText, metadata);
    this.ctx.log.info(`compare apply ${runId}: ${run.group.variant} on ${run.fileName}, ${result.edits.length} edits (awaiting confirmation)`);
    // Edits that need confirmation open unchecked in the Refactor Preview: say what to do there.
    void vscode.window.showInformationMessage(`NormLens: review the ${run.group.label} variant of ${model.name} in the Refactor Preview, check it and press Apply.`);
    const applied = await vscode.workspace.applyEdit(edit, { isRefactoring: true });
    return { kind: applied ? 'applied' : 'declined' };
  }

  /** One cancellable notification for the whole comparison. */
  private follow(modelName: string, group: ProbeRun[]): void {
    const ids = new Set(group.map((r) => r.id));
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `NormLens: comparing normalizations of ${modelName}`, cancellable: true }, (progress, token) => {
      return new Promise<void>((resolve) => {
        const subscriptions: vscode.Disposable[] = [];
        const end = () => {
          vscode.Disposable.from(...subscriptions).dispose();
          resolve();
        };
        const update = () => {
          const runs = [...ids].map((id) => this.runs.get(id)).filter((r): r is ProbeRun => !!r);
          const done = runs.filter((r) => isFinished(r.status)).length;
          const current = runs.find((r) => r.status === 'running');
          progress.report({ message: `${done}/${runs.length} variants${current ? `, ${current.group?.label} step ${current.records[current.records.length - 1]?.step ?? 0}/${current.config.steps}` : ''}` });
          if (done === runs.length) end();
        };
        subscriptions.push(token.onCancellationRequested(() => ids.forEach((id) => !isFinished(this.runs.get(id)?.status ?? 'done') && this.dashboard.cancel(id))));
        subscriptions.push(this.runs.onDidChange((e) => ids.has(e.run.id) && e.kind !== 'record' && update()));
        update();
      });
    });
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function predictionOf(model: ProbeRun['model']): ProbeRun['prediction'] {
  try {
    return predictModel(model);
  } catch {
    return null;
  }
}

/** The comparison feature: the controller, wired to the dashboard's compare/start and compare/apply. */
export function registerComparison(ctx: Ctx, runs: RunStore, dashboard: DashboardViewProvider): CompareController {
  const compare = ctx.push(new CompareController(ctx, runs, dashboard));
  dashboard.compare = compare;
  return compare;
}
