import * as vscode from 'vscode';
import type { FileAnalysis } from '../core/analyzer';
import type { AnalysisService } from './analysisService';
import type { NormLensConfig } from './config';
import { toRange, toSeverity } from './convert';

export const DIAGNOSTIC_SOURCE = 'NormLens';

/** Publishes findings as diagnostics; cleared when a file closes, is deleted, or the feature is turned off. */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('normlens');
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(
    private readonly service: AnalysisService,
    private config: NormLensConfig,
    private readonly docsUri: vscode.Uri,
  ) {
    service.onDidAnalyze((e) => this.publish(e.uri, e.analysis), this, this.disposables);
  }

  setConfig(config: NormLensConfig): void {
    this.config = config;
    this.collection.clear();
    for (const [uri, analysis] of this.service.all()) this.publish(uri, analysis);
  }

  publish(uri: vscode.Uri, analysis: FileAnalysis | null): void {
    if (!analysis || !this.config.diagnostics) {
      this.collection.delete(uri);
      return;
    }
    const diagnostics: vscode.Diagnostic[] = [];
    for (const f of analysis.findings) {
      const severity = toSeverity(f, this.config.severity[f.code]);
      if (severity === null) continue;
      const d = new vscode.Diagnostic(toRange(f.range), f.message, severity);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = { value: f.code, target: this.docsUri.with({ fragment: f.code }) };
      d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range)), r.message));
      diagnostics.push(d);
    }
    this.collection.set(uri, diagnostics);
  }

  delete(uri: vscode.Uri): void {
    this.collection.delete(uri);
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
