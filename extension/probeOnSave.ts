import * as vscode from 'vscode';
import { estimateProbeCost } from '../core/probe/cost';
import { AnalysisService } from './analysisService';
import type { Ctx } from './ctx';
import type { ProbeController } from './probeCommand';
import type { RunStore } from './runStore';
import { KeyedDebounce } from './keyedDebounce';

/** `normlens.probe.onSave` and its delay. */
function onSaveSettings(): { enabled: boolean; delayMs: number } {
  const c = vscode.workspace.getConfiguration('normlens.probe');
  const delay = c.get<unknown>('onSaveDelayMs');
  return { enabled: c.get<boolean>('onSave', false) === true, delayMs: typeof delay === 'number' && Number.isFinite(delay) && delay >= 0 ? delay : 500 };
}

/**
 * `normlens.probe.onSave`: saving a model file probes it again, so the measured lenses follow the file.
 *
 * - Debounced per file (`normlens.probe.onSaveDelayMs`): a burst of saves probes once, the last text.
 * - A save while a probe of that file is queued or running cancels it and queues a probe of the saved text
 *   (the older run would only measure text that is gone).
 * - Which models: those of the file probed before (their measured values would otherwise go stale), else the first.
 * - The dashboard computes probes, so it is revealed, but without taking the focus from the editor being saved
 *   into; a model the probe cannot build is logged, not announced on every save.
 */
export class ProbeOnSave implements vscode.Disposable {
  private readonly timers = new KeyedDebounce();
  /** Per file, the chain of probe starts (a save during a start waits for it, then cancels what it started). */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Runs started by saves (tests and the log). */
  readonly started: string[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly runs: RunStore,
    private readonly probes: ProbeController,
  ) {
    vscode.workspace.onDidSaveTextDocument((doc) => this.onSave(doc), this, this.disposables);
  }

  private onSave(doc: vscode.TextDocument): void {
    const { enabled, delayMs } = onSaveSettings();
    if (!enabled || doc.uri.scheme === 'untitled' || !AnalysisService.isModelText(doc.uri.path, doc.languageId, doc.getText())) return;
    const key = doc.uri.toString();
    this.timers.schedule(key, delayMs, () => {
      const next = (this.starting.get(key) ?? Promise.resolve()).then(() => this.probeSaved(doc)).catch((err: unknown) => this.ctx.log.error(`probe on save of ${key} failed: ${String(err)}`));
      this.starting.set(key, next);
      void next.finally(() => this.starting.get(key) === next && this.starting.delete(key));
    });
  }

  private async probeSaved(doc: vscode.TextDocument): Promise<void> {
    if (doc.isClosed || doc.isDirty) return; // closed, or edited again since the save: the next save probes
    const analysis = await this.ctx.service.analyzeDocument(doc);
    if (!analysis?.models.length) return;
    const key = doc.uri.toString();
    for (const run of this.runs.active().filter((r) => r.uri === key)) {
      this.ctx.log.info(`probe on save: cancelling ${run.id} (${run.status}), the file was saved again`);
      this.probes.cancel(run.id);
    }
    const probed = this.runs.all().filter((r) => r.uri === key).map((r) => r.modelIndex);
    const targets = [...new Set(probed.length ? probed : [0])].filter((mi) => mi < analysis.models.length).sort((a, b) => a - b);
    const editor = vscode.window.activeTextEditor;
    const hadFocus = editor?.document === doc;
    for (const mi of targets) {
      try {
        estimateProbeCost(analysis.models[mi]);
      } catch (err) {
        this.ctx.log.info(`probe on save: ${analysis.models[mi].name} cannot be probed: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      const run = await this.probes.probe(doc.uri, mi);
      if (run) {
        this.started.push(run.id);
        this.ctx.log.info(`probe on save: ${run.id} for ${run.modelName} (version ${run.version})`);
      }
    }
    // Revealing the view the first time focuses it; give the focus back to the editor the user saved in.
    if (hadFocus && editor && vscode.window.activeTextEditor?.document !== doc) {
      await vscode.window.showTextDocument(doc, { viewColumn: editor.viewColumn, preserveFocus: false });
    }
  }

  dispose(): void {
    this.timers.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
