import * as vscode from 'vscode';
import type { AnalysisService } from './analysisService';
import { globOf, type NormLensConfig } from './config';
import { KeyedDebounce } from './keyedDebounce';
import type { Log } from './log';

const decoder = new TextDecoder('utf-8');

/** Quiet time after the last create / change event of a file before it is read. */
const DISK_SETTLE_MS = 150;

/**
 * Decides when files are analysed: on open, on edit (debounced), on save; JSON topologies also when they change
 * on disk (created, changed, deleted) while not open in an editor.
 */
export class FileTracker implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private watcher: vscode.Disposable | null = null;

  constructor(
    private readonly service: AnalysisService,
    private config: NormLensConfig,
    private readonly log: Log,
  ) {
    const ws = vscode.workspace;
    ws.onDidOpenTextDocument((d) => this.analyzeNow(d), this, this.disposables);
    ws.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length && this.isCandidate(e.document)) service.schedule(e.document);
    }, this, this.disposables);
    ws.onDidSaveTextDocument((d) => this.analyzeNow(d), this, this.disposables);
    ws.onDidCloseTextDocument((d) => service.forget(d.uri), this, this.disposables);
    for (const d of ws.textDocuments) this.analyzeNow(d);
    this.watch();
  }

  setConfig(config: NormLensConfig): void {
    this.config = config;
    this.watch();
    for (const d of vscode.workspace.textDocuments) this.analyzeNow(d);
  }

  private isCandidate(d: vscode.TextDocument): boolean {
    if (d.uri.scheme === 'output' || d.uri.scheme === 'vscode-settings') return false;
    return d.languageId === 'python' || d.languageId === 'json' || d.languageId === 'jsonc' || /\.(py|json)$/i.test(d.uri.path);
  }

  private analyzeNow(d: vscode.TextDocument): void {
    if (!this.isCandidate(d)) return;
    this.service.analyzeDocument(d).catch((err) => this.log.error(`analysis of ${d.uri.toString()} failed: ${String(err)}`));
  }

  private isOpen(uri: vscode.Uri): boolean {
    return vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString());
  }

  /** Watch JSON topologies on disk (Python files are only analysed when open or on "Analyze Workspace"). */
  private watch(): void {
    this.watcher?.dispose();
    const jsonGlobs = this.config.include.filter((g) => g.toLowerCase().endsWith('.json'));
    const pattern = globOf(jsonGlobs);
    if (!pattern) {
      this.watcher = null;
      return;
    }
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    const read = async (uri: vscode.Uri) => {
      if (this.isOpen(uri) || this.isExcluded(uri)) return;
      try {
        const text = decoder.decode(await vscode.workspace.fs.readFile(uri));
        await this.service.analyze(uri, text, 'json');
      } catch (err) {
        this.log.warn(`could not read ${uri.toString()}: ${String(err)}`);
      }
    };
    // Read once the writing has settled: a create event can come while the file is still being written (the
    // watcher may then merge the write into that one event), and a half-written JSON would stay a parse error.
    const pending = new KeyedDebounce();
    const onDisk = (uri: vscode.Uri) => pending.schedule(uri.toString(), DISK_SETTLE_MS, () => void read(uri));
    const onDelete = (uri: vscode.Uri) => {
      pending.cancel(uri.toString());
      this.service.forget(uri);
    };
    this.watcher = vscode.Disposable.from(w, w.onDidCreate(onDisk), w.onDidChange(onDisk), w.onDidDelete(onDelete), { dispose: () => pending.dispose() });
  }

  private isExcluded(uri: vscode.Uri): boolean {
    const path = uri.path;
    return this.config.exclude.some((g) => {
      const m = /^\*\*\/([^*/]+)\/\*\*$/.exec(g);
      return m ? path.includes(`/${m[1]}/`) : false;
    });
  }

  dispose(): void {
    this.watcher?.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
