import * as vscode from 'vscode';
import type { FileAnalysis } from '../core/analyzer';
import { layerLenses, modelLensText } from '../core/presentation/lenses';
import type { AnalysisService } from './analysisService';
import { allInitEdits } from './codeActions';
import { toRange } from './convert';

/** CodeLens above each layer (predicted statistics) and above each model (depth summary + actions). */
export class NormLensCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly service: AnalysisService) {}

  refresh(): void {
    this.changed.fire();
  }

  /** Lenses per analysis result: an unchanged file (switching editors, scrolling) reuses them. */
  private readonly cache = new WeakMap<FileAnalysis, vscode.CodeLens[]>();

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    const analysis = this.service.get(doc.uri) ?? (await this.service.analyzeDocument(doc));
    if (!analysis) return [];
    let lenses = this.cache.get(analysis);
    if (!lenses) {
      lenses = this.build(doc, analysis);
      this.cache.set(analysis, lenses);
    }
    return lenses;
  }

  private build(doc: vscode.TextDocument, analysis: FileAnalysis): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    analysis.models.forEach((model, mi) => {
      const pred = analysis.predictions[mi];
      if (!pred) return;
      const at = toRange(model.range);
      const top = new vscode.Range(at.start, at.start);
      const findings = analysis.findings.filter((f) => f.modelIndex === mi).length;
      lenses.push(new vscode.CodeLens(top, { title: modelLensText(model, pred, findings), command: 'normlens.showModelSummary', arguments: [doc.uri, mi], tooltip: 'Show the per-layer table' }));
      lenses.push(new vscode.CodeLens(top, { title: 'Analyze', command: 'normlens.analyzeFile', arguments: [doc.uri] }));
      if (allInitEdits(analysis, doc.getText(), mi).length) lenses.push(new vscode.CodeLens(top, { title: 'Apply suggested inits', command: 'normlens.applySuggestedInits', arguments: [doc.uri, mi] }));
      lenses.push(new vscode.CodeLens(top, { title: 'Dashboard', command: 'normlens.openDashboard', arguments: [doc.uri, mi] }));
      lenses.push(new vscode.CodeLens(top, { title: 'Probe', command: 'normlens.probe', arguments: [doc.uri, mi], tooltip: 'Train this model briefly on WebGL in the dashboard and measure every layer' }));
      for (const lens of layerLenses(model, pred)) {
        const r = toRange(lens.range);
        lenses.push(new vscode.CodeLens(new vscode.Range(r.start, r.start), { title: lens.text, tooltip: lens.tooltip, command: '' }));
      }
    });
    return lenses;
  }
}

/** Registers the provider while `normlens.codeLens.enabled` is on; tears it down when turned off. */
export class CodeLensController implements vscode.Disposable {
  private registration: vscode.Disposable | null = null;
  private readonly provider: NormLensCodeLensProvider;
  private readonly subscription: vscode.Disposable;

  constructor(service: AnalysisService, enabled: boolean) {
    this.provider = new NormLensCodeLensProvider(service);
    this.subscription = service.onDidAnalyze(() => this.provider.refresh());
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
    this.subscription.dispose();
  }
}
