import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { Analyzer, fileKindOf, type FileAnalysis } from '../core/analyzer';
import { looksLikeModelJson } from '../core/frontends/json/readJson';
import type { NormLensConfig } from './config';
import type { Log } from './log';

/** Published whenever a file's analysis changes; `analysis` null means the file is no longer analysed. */
export interface AnalysisEvent {
  uri: vscode.Uri;
  analysis: FileAnalysis | null;
}

/**
 * Owns every analysis result. Results are cached by content hash (plus the settings that change them), so
 * switching editors or re-opening a file costs a hash, not a parse. Edits are debounced per document.
 */
export class AnalysisService implements vscode.Disposable {
  private analyzer: Promise<Analyzer> | null = null;
  private readonly byUri = new Map<string, { hash: string; analysis: FileAnalysis }>();
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly emitter = new vscode.EventEmitter<AnalysisEvent>();
  readonly onDidAnalyze = this.emitter.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private config: NormLensConfig,
    private readonly log: Log,
  ) {}

  setConfig(config: NormLensConfig): void {
    const changed = config.analysisKey !== this.config.analysisKey;
    this.config = config;
    if (changed) this.byUri.clear();
  }

  /** Loaded once, on the first model file: activation itself loads no WASM. */
  private getAnalyzer(): Promise<Analyzer> {
    if (!this.analyzer) {
      const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
      const t0 = Date.now();
      this.analyzer = Analyzer.create({
        treeSitterWasm: vscode.Uri.joinPath(dist, 'tree-sitter.wasm').fsPath,
        pythonWasm: vscode.Uri.joinPath(dist, 'tree-sitter-python.wasm').fsPath,
      }).then((a) => {
        this.log.info(`Python parser loaded in ${Date.now() - t0} ms`);
        return a;
      });
      this.analyzer.catch((err) => {
        this.log.error(`Python parser failed to load: ${String(err)}`);
        this.analyzer = null;
      });
    }
    return this.analyzer;
  }

  /** Whether NormLens analyses this text at all (every Python file; JSON only when it is a model topology). */
  static isModelText(path: string, languageId: string | undefined, text: string): boolean {
    const kind = fileKindOf(path) ?? (languageId === 'python' ? 'python' : languageId === 'json' ? 'json' : null);
    if (kind === 'python') return true;
    if (kind === 'json') return looksLikeModelJson(text);
    return false;
  }

  get(uri: vscode.Uri): FileAnalysis | undefined {
    return this.byUri.get(uri.toString())?.analysis;
  }

  all(): [vscode.Uri, FileAnalysis][] {
    return [...this.byUri.entries()].map(([k, v]) => [vscode.Uri.parse(k), v.analysis]);
  }

  /** Analyse now (no debounce). Returns null for files NormLens does not read. */
  async analyze(uri: vscode.Uri, text: string, languageId?: string): Promise<FileAnalysis | null> {
    const key = uri.toString();
    if (!AnalysisService.isModelText(uri.path, languageId, text)) {
      if (this.byUri.delete(key)) this.emitter.fire({ uri, analysis: null });
      return null;
    }
    const hash = createHash('sha1').update(this.config.analysisKey).update('\0').update(text).digest('hex');
    const cached = this.byUri.get(key);
    if (cached?.hash === hash) return cached.analysis;
    const analyzer = await this.getAnalyzer();
    const path = languageId === 'python' && !fileKindOf(uri.path) ? `${uri.path}.py` : uri.path;
    const analysis = analyzer.analyze(path, text, this.config.analyze);
    this.byUri.set(key, { hash, analysis });
    const { readMs, theoryMs } = analysis.timing;
    this.log.debug(`analysed ${vscode.workspace.asRelativePath(uri)}: ${analysis.models.length} models, ${analysis.findings.length} findings in ${(readMs + theoryMs).toFixed(1)} ms`);
    this.emitter.fire({ uri, analysis });
    return analysis;
  }

  analyzeDocument(doc: vscode.TextDocument): Promise<FileAnalysis | null> {
    return this.analyze(doc.uri, doc.getText(), doc.languageId);
  }

  /** Debounced re-analysis after an edit. */
  schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.analyzeDocument(doc).catch((err) => this.log.error(`analysis of ${key} failed: ${String(err)}`));
      }, this.config.debounceMs),
    );
  }

  forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    if (this.byUri.delete(key)) this.emitter.fire({ uri, analysis: null });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.emitter.dispose();
  }
}
