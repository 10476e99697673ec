import * as vscode from 'vscode';
import type { AnalysisService } from './analysisService';

/** Shows the active editor's model summary; click opens the dashboard. */
export class StatusBarController implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('normlens.status', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [this.item];

  constructor(private readonly service: AnalysisService) {
    this.item.name = 'NormLens';
    this.item.command = 'normlens.openDashboard';
    vscode.window.onDidChangeActiveTextEditor(() => this.update(), this, this.disposables);
    service.onDidAnalyze((e) => {
      if (e.uri.toString() === vscode.window.activeTextEditor?.document.uri.toString()) this.update();
    }, this, this.disposables);
    this.update();
  }

  update(): void {
    const doc = vscode.window.activeTextEditor?.document;
    const analysis = doc ? this.service.get(doc.uri) : undefined;
    void vscode.commands.executeCommand('setContext', 'normlens.activeModel', !!analysis?.models.length);
    if (!analysis || (!analysis.models.length && !analysis.error)) {
      this.item.hide();
      return;
    }
    const errors = analysis.findings.filter((f) => f.severity === 'error').length;
    const warnings = analysis.findings.filter((f) => f.severity === 'warning').length;
    if (analysis.error && !analysis.models.length) {
      this.item.text = '$(circle-slash) NormLens: no model';
      this.item.tooltip = analysis.error.message;
    } else {
      const layers = analysis.models.reduce((a, m) => a + m.layers.length, 0);
      const names = analysis.models.map((m) => m.name).join(', ');
      this.item.text = `$(pulse) ${names}: ${layers} layers${errors ? `  $(error) ${errors}` : ''}${warnings ? `  $(warning) ${warnings}` : ''}`;
      this.item.tooltip = `NormLens: ${analysis.models.length} model(s), ${analysis.findings.length} finding(s). Click for the dashboard.`;
    }
    this.item.show();
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
