import * as vscode from 'vscode';
import type { FileAnalysis } from '../core/analyzer';
import { layerLenses, modelLensText } from '../core/presentation/lenses';
import { measuredLayerLenses, measuredModelLensText, measuredModelTooltip, staleLensText } from '../core/presentation/measuredLenses';
import type { AnalysisService } from './analysisService';
import { allInitEdits } from './codeActions';
import { toRange } from './convert';
import type { MeasuredResults, MeasuredState } from './measuredResults';

const NO_RUNS: MeasuredState = { measured: new Map(), stale: new Map(), key: '' };

/**
 * CodeLens above each layer and above each model (depth summary + actions). Layer lenses show what theory
 * predicts, or, once a probe has measured the document's current text, what the probe measured (labelled
 * "measured"); after an edit a model lens says the measured values are stale and the layer lenses fall back to
 * the prediction. An undo back to the measured text brings the measured lenses back (runs match by content hash).
 */
export class NormLensCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(
    private readonly service: AnalysisService,
    private readonly measured?: MeasuredResults,
  ) {}

  refresh(): void {
    this.changed.fire();
  }

  /** Lenses per analysis result and set of applicable runs: an unchanged file (switching editors, scrolling) reuses them. */
  private readonly cache = new WeakMap<FileAnalysis, { key: string; lenses: vscode.CodeLens[] }>();

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const analysis = this.service.get(doc.uri) ?? (await this.service.analyzeDocument(doc));
    if (!analysis) return [];
    const state = this.measured?.forDocument(doc) ?? NO_RUNS;
    const hit = this.cache.get(analysis);
    if (hit?.key === state.key) return hit.lenses;
    const lenses = this.build(doc, analysis, state);
    this.cache.set(analysis, { key: state.key, lenses });
    return lenses;
  }

  private build(doc: vscode.TextDocument, analysis: FileAnalysis, state: MeasuredState): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    const at = (r: Parameters<typeof toRange>[0]) => {
      const start = toRange(r).start;
      return new vscode.Range(start, start);
    };
    analysis.models.forEach((model, mi) => {
      const pred = analysis.predictions[mi];
      if (!pred) return;
      const run = state.measured.get(mi);
      const stale = state.stale.get(mi);
      // A measured run's model is the one read from exactly this text: its ranges are the document's.
      const top = at(run ? run.model.range : model.range);
      const findings = analysis.findings.filter((f) => f.modelIndex === mi).length;
      if (run) {
        const measuredCount = this.measured!.findings(run).length;
        lenses.push(new vscode.CodeLens(top, { title: measuredModelLensText(run, measuredCount), command: 'normlens.showModelSummary', arguments: [doc.uri, mi], tooltip: measuredModelTooltip(run) }));
      } else {
        lenses.push(new vscode.CodeLens(top, { title: modelLensText(model, pred, findings), command: 'normlens.showModelSummary', arguments: [doc.uri, mi], tooltip: 'Show the per-layer table' }));
        if (stale) {
          lenses.push(
            new vscode.CodeLens(top, {
              title: staleLensText(stale),
              command: 'normlens.probe',
              arguments: [doc.uri, mi],
              tooltip: `The file changed since the probe of ${new Date(stale.updatedAt).toLocaleString()} (${stale.backend ?? '?'}): its measured values no longer apply. Undo back to that text to see them again, or probe again.`,
            }),
          );
        }
      }
      lenses.push(new vscode.CodeLens(top, { title: 'Analyze', command: 'normlens.analyzeFile', arguments: [doc.uri] }));
      if (allInitEdits(analysis, doc.getText(), mi).length) lenses.push(new vscode.CodeLens(top, { title: 'Apply suggested inits', command: 'normlens.applySuggestedInits', arguments: [doc.uri, mi] }));
      lenses.push(new vscode.CodeLens(top, { title: 'Dashboard', command: 'normlens.openDashboard', arguments: [doc.uri, mi] }));
      if (!stale || run) lenses.push(new vscode.CodeLens(top, { title: 'Probe', command: 'normlens.probe', arguments: [doc.uri, mi], tooltip: 'Train this model briefly on WebGL in the dashboard and measure every layer' }));
      const layers = run ? measuredLayerLenses(run) : layerLenses(model, pred);
      const note = !run && stale ? '\n(Measured values are stale: the file changed since the probe. These are predictions.)' : '';
      for (const lens of layers) lenses.push(new vscode.CodeLens(at(lens.range), { title: lens.text, tooltip: lens.tooltip + note, command: '' }));
    });
    return lenses;
  }
}

/** Registers the provider while `normlens.codeLens.enabled` is on; tears it down when turned off. */
export class CodeLensController implements vscode.Disposable {
  private registration: vscode.Disposable | null = null;
  private readonly provider: NormLensCodeLensProvider;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(service: AnalysisService, enabled: boolean, measured?: MeasuredResults) {
    this.provider = new NormLensCodeLensProvider(service, measured);
    this.subscriptions.push(service.onDidAnalyze(() => this.provider.refresh()));
    if (measured) this.subscriptions.push(measured.onDidChange(() => this.provider.refresh()));
    this.setEnabled(enabled);
  }

  setEnabled(enabled: boolean): void {
    if (enabled && !this.registration) {
      this.registration = vscode.Disposable.from(
        vscode.languages.registerCodeLensProvider([{ language: 'python' }, { language: 'json' }, { pattern: '**/*.json' }], this.provider),
      );
    } else if (!enabled && this.registration) {
      this.registration.dispose();
      this.registration = null;
    }
  }

  dispose(): void {
    this.registration?.dispose();
    vscode.Disposable.from(...this.subscriptions).dispose();
  }
}
