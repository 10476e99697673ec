import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { FileAnalysis } from '../core/analyzer';
import { fmt, pct } from '../core/findings/sourceText';
import type { AnalysisService } from './analysisService';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The side-panel dashboard. Until the probe dashboard lands it shows the predicted layer table of the active
 * model file, rendered by the host (no scripts at all, so the CSP allows none).
 */
export class DashboardViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'normlens.dashboard';
  private view: vscode.WebviewView | null = null;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: AnalysisService,
  ) {
    service.onDidAnalyze(() => this.render(), this, this.disposables);
    vscode.window.onDidChangeActiveTextEditor(() => this.render(), this, this.disposables);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    view.webview.options = { enableScripts: false, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')] };
    view.onDidDispose(() => (this.view = null), null, this.disposables);
    this.render();
  }

  private render(): void {
    if (!this.view) return;
    const doc = vscode.window.activeTextEditor?.document;
    const analysis = doc ? this.service.get(doc.uri) : undefined;
    const nonce = randomBytes(16).toString('base64');
    const csp = `default-src 'none'; style-src ${this.view.webview.cspSource} 'nonce-${nonce}'; img-src ${this.view.webview.cspSource}; connect-src 'none';`;
    this.view.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><style nonce="${nonce}">
body{font-family:var(--vscode-font-family);font-size:var(--vscode-font-size);color:var(--vscode-foreground);padding:0 8px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:right;padding:2px 4px;border-bottom:1px solid var(--vscode-panel-border)}
th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}.note{color:var(--vscode-descriptionForeground)}h3{margin:12px 0 4px}
</style></head><body>${analysis ? this.body(analysis) : '<p class="note">Open a PyTorch, Keras or TensorFlow.js model file to see its predicted layer statistics.</p>'}
<p class="note">Probe runs (measured statistics on WebGL) will appear here.</p></body></html>`;
  }

  private body(a: FileAnalysis): string {
    if (!a.models.length) return `<p class="note">${esc(a.error?.message ?? 'No model found in this file.')}</p>`;
    return a.models
      .map((m, mi) => {
        const pred = a.predictions[mi];
        const rows = m.layers
          .map((l, i) => {
            const p = pred?.layers[i];
            const ok = p && !p.unknown;
            return `<tr><td>${esc(l.name)}</td><td>${esc(l.kind)}${l.activation ? ` ${esc(l.activation.name)}` : ''}</td><td>${ok ? fmt(p.mean, 2) : '?'}</td><td>${ok ? fmt(p.variance) : '?'}</td><td>${ok ? pct(p.saturation) : '?'}</td><td>${ok ? 'x' + fmt(p.gradGain) : '?'}</td></tr>`;
          })
          .join('');
        return `<h3>${esc(m.name)}</h3><table><thead><tr><th>layer</th><th>kind</th><th>mean</th><th>var</th><th>sat</th><th>grad</th></tr></thead><tbody>${rows}</tbody></table>`;
      })
      .join('');
  }

  dispose(): void {
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
