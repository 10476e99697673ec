import * as vscode from 'vscode';
import type { FileAnalysis } from '../core/analyzer';
import type { Finding } from '../core/findings/types';
import type { AnalysisService } from './analysisService';
import type { NormLensConfig } from './config';
import { toRange, toSeverity } from './convert';
import type { MeasuredResults } from './measuredResults';

export const DIAGNOSTIC_SOURCE = 'NormLens';

/**
 * Publishes findings as diagnostics; cleared when a file closes, is deleted, or the feature is turned off.
 *
 * Measured findings (from probe runs) are published only while the document's text is the text the run measured
 * (content hash): an edit removes them at once (synchronously, in the change event, before any re-analysis), an
 * undo back to the measured text restores them. A closed file shows none (there is no text to match).
 */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('normlens');
  private readonly disposables: vscode.Disposable[] = [this.collection];
  /** Run ids whose findings are published per uri, to republish only when that changes. */
  private readonly shownRuns = new Map<string, string>();

  constructor(
    private readonly service: AnalysisService,
    private config: NormLensConfig,
    private readonly docsUri: vscode.Uri,
    private readonly measured?: MeasuredResults,
  ) {
    service.onDidAnalyze((e) => this.publish(e.uri, e.analysis), this, this.disposables);
    if (measured) {
      measured.onDidChange((e) => this.republish(e.uri), this, this.disposables);
      vscode.workspace.onDidChangeTextDocument((e) => this.onEdit(e.document), this, this.disposables);
    }
  }

  setConfig(config: NormLensConfig): void {
    this.config = config;
    this.collection.clear();
    this.shownRuns.clear();
    for (const [uri, analysis] of this.service.all()) this.publish(uri, analysis);
  }

  /** An edit may leave or re-enter the measured text: republish when the applicable runs changed. */
  private onEdit(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (!this.shownRuns.has(key) && !this.measured!.hasRuns(doc.uri)) return;
    if (this.measuredKey(doc) !== (this.shownRuns.get(key) ?? '')) this.publish(doc.uri, this.service.get(doc.uri) ?? null);
  }

  private republish(uri: string | null): void {
    for (const [u, analysis] of this.service.all()) if (uri === null || u.toString() === uri) this.publish(u, analysis);
  }

  private openDocument(uri: vscode.Uri): vscode.TextDocument | undefined {
    const key = uri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
  }

  private measuredKey(doc: vscode.TextDocument): string {
    return [...this.measured!.forDocument(doc).measured.values()].map((r) => r.id).join(',');
  }

  /** Findings measured on the document's current text. */
  private measuredFindings(uri: vscode.Uri): { findings: Finding[]; key: string } {
    const doc = this.measured && this.openDocument(uri);
    if (!doc) return { findings: [], key: '' };
    const runs = [...this.measured!.forDocument(doc).measured.values()];
    return { findings: runs.flatMap((r) => this.measured!.findings(r)), key: runs.map((r) => r.id).join(',') };
  }

  publish(uri: vscode.Uri, analysis: FileAnalysis | null): void {
    const key = uri.toString();
    if (!analysis || !this.config.diagnostics) {
      this.collection.delete(uri);
      this.shownRuns.delete(key);
      return;
    }
    const measured = this.measuredFindings(uri);
    const diagnostics: vscode.Diagnostic[] = [];
    for (const f of [...analysis.findings, ...measured.findings]) {
      const severity = toSeverity(f, this.config.severity[f.code]);
      if (severity === null) continue;
      const d = new vscode.Diagnostic(toRange(f.range), f.message, severity);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = { value: f.code, target: this.docsUri.with({ fragment: f.code }) };
      d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, toRange(r.range)), r.message));
      diagnostics.push(d);
    }
    this.collection.set(uri, diagnostics);
    if (measured.key) this.shownRuns.set(key, measured.key);
    else this.shownRuns.delete(key);
  }

  delete(uri: vscode.Uri): void {
    this.collection.delete(uri);
    this.shownRuns.delete(uri.toString());
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
