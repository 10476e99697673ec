import * as vscode from 'vscode';
import { NormLensCodeActions } from './codeActions';
import { CodeLensController } from './codeLens';
import { registerCommands } from './commands';
import { Ctx } from './ctx';
import { DiagnosticsController } from './diagnostics';
import { FileTracker } from './fileTracker';
import { NormLensHover } from './hover';
import { MeasuredResults } from './measuredResults';
import { registerProbing, type ProbeController } from './probeCommand';
import { registerComparison, type CompareController } from './compareCommand';
import { registerRunCommands } from './runCommands';
import { ProbeOnSave } from './probeOnSave';
import type { RunStore } from './runStore';
import type { DashboardViewProvider } from './dashboard';
import { StatusBarController } from './statusBar';

const MODEL_FILES: vscode.DocumentSelector = [{ language: 'python' }, { language: 'json' }, { pattern: '**/*.json' }];

/** Public surface returned from activate(), used by the end-to-end tests inside the extension host. */
export interface NormLensApi {
  ctx: Ctx;
  activationMs: number;
  /** Probe runs (measured statistics per file version) and the dashboard that computes them. */
  runs: RunStore;
  dashboard: DashboardViewProvider;
  probes: ProbeController;
  /** Normalization comparisons (grouped runs of a model's variants) and applying a variant to the file. */
  compare: CompareController;
  /** Which runs apply to a document's current text, and their measured findings. */
  measured: MeasuredResults;
}

export async function activate(context: vscode.ExtensionContext): Promise<NormLensApi> {
  const t0 = performance.now();
  try {
    const ctx = new Ctx(context);
    context.subscriptions.push(ctx);
    const docs = vscode.Uri.joinPath(context.extensionUri, 'docs', 'findings.md');
    // Probing first: lenses, diagnostics and hovers show what its runs measured.
    const probing = registerProbing(ctx);
    const compare = registerComparison(ctx, probing.runs, probing.dashboard);
    const measured = ctx.push(new MeasuredResults(probing.runs, ctx.config.measured));
    ctx.push(new ProbeOnSave(ctx, probing.runs, probing.probes));
    const diagnostics = ctx.push(new DiagnosticsController(ctx.service, ctx.config, docs, measured));
    const lenses = ctx.push(new CodeLensController(ctx.service, ctx.config.codeLens, measured));
    ctx.push(vscode.languages.registerCodeActionsProvider(MODEL_FILES, new NormLensCodeActions(ctx.service), NormLensCodeActions.metadata));
    ctx.push(vscode.languages.registerHoverProvider(MODEL_FILES, new NormLensHover(ctx.service, measured)));
    ctx.push(new StatusBarController(ctx.service));
    registerCommands(ctx);
    registerRunCommands(ctx, probing.runs, probing.probes, compare);
    const tracker = ctx.push(new FileTracker(ctx.service, ctx.config, ctx.log));
    ctx.onConfig((c) => {
      lenses.setEnabled(c.codeLens);
      measured.setThresholds(c.measured);
      diagnostics.setConfig(c);
      tracker.setConfig(c);
    });
    const activationMs = performance.now() - t0;
    ctx.log.info(`NormLens activated in ${activationMs.toFixed(1)} ms`);
    return { ctx, activationMs, ...probing, measured, compare };
  } catch (err) {
    void vscode.window.showErrorMessage(`NormLens failed to activate: ${err instanceof Error ? err.message : String(err)}`);
    throw err;
  }
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
