import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { Analyzer, fileKindOf, type FileAnalysis } from '../core/analyzer';
import { looksLikeModelJson } from '../core/frontends/json/readJson';
import type { NormLensConfig } from './config';
import type { Log } from './log';
import { KeyedDebounce } from './keyedDebounce';

/** Published whenever a file's analysis changes; `analysis` null means the file is no longer analysed. */
export interface AnalysisEvent {
  uri: vscode.Uri;
  analysis: FileAnalysis | null;
}

/** Results kept for files that are not open (open documents are always kept). */
const MAX_CACHED = 1000;

interface PendingAnalysis {
  uri: vscode.Uri;
  text: string;
  languageId: string | undefined;
  hash: string;
  waiters: { resolve: (a: FileAnalysis | null) => void; reject: (err: unknown) => void }[];
}

/**
 * Owns every analysis result. Results are cached by content hash (plus the settings that change them), so
 * switching editors or re-opening a file costs a hash, not a parse. Edits are debounced per document.
 */
export class AnalysisService implements vscode.Disposable {
  private analyzer: Promise<Analyzer> | null = null;
  private readonly byUri = new Map<string, { hash: string; analysis: FileAnalysis }>();
  private readonly timers = new KeyedDebounce();
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

  /**
   * Analyse as soon as the queue allows (no debounce). Returns null for files NormLens does not read. A cached
   * result answers at once; otherwise the file joins the queue, which runs one analysis per event-loop turn so
   * a burst (500 files opened at once, Analyze Workspace) never blocks the extension host for more than one file.
   */
  async analyze(uri: vscode.Uri, text: string, languageId?: string): Promise<FileAnalysis | null> {
    const key = uri.toString();
    if (!AnalysisService.isModelText(uri.path, languageId, text)) {
      this.pending.delete(key);
      if (this.byUri.delete(key)) this.emitter.fire({ uri, analysis: null });
      return null;
    }
    const hash = createHash('sha1').update(this.config.analysisKey).update('\0').update(text).digest('hex');
    const cached = this.byUri.get(key);
    if (cached?.hash === hash) return cached.analysis;
    return new Promise((resolve, reject) => {
      const previous = this.pending.get(key);
      // A newer text for the same file supersedes the queued one; its callers get the newer result.
      const waiters = [...(previous?.waiters ?? []), { resolve, reject }];
      this.pending.delete(key);
      this.pending.set(key, { uri, text, languageId, hash, waiters });
      void this.drain();
    });
  }

  private readonly pending = new Map<string, PendingAnalysis>();
  private draining = false;

  /** Files waiting for their turn (status and load tests). */
  get queued(): number {
    return this.pending.size;
  }

  /** Visible editors first: what the user looks at updates before a background burst. */
  private nextJob(): PendingAnalysis | undefined {
    const visible = new Set(vscode.window.visibleTextEditors.map((e) => e.document.uri.toString()));
    for (const [key, job] of this.pending) if (visible.has(key)) return job;
    return this.pending.values().next().value;
  }

  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      const analyzer = await this.getAnalyzer().catch((err: unknown) => {
        for (const job of this.pending.values()) for (const w of job.waiters) w.reject(err);
        this.pending.clear();
        return null;
      });
      if (!analyzer) return;
      for (let job = this.nextJob(); job; job = this.nextJob()) {
        const key = job.uri.toString();
        this.pending.delete(key);
        try {
          const path = job.languageId === 'python' && !fileKindOf(job.uri.path) ? `${job.uri.path}.py` : job.uri.path;
          const analysis = analyzer.analyze(path, job.text, this.config.analyze);
          this.remember(key, job.hash, analysis);
          const { readMs, theoryMs } = analysis.timing;
          this.log.debug(`analysed ${vscode.workspace.asRelativePath(job.uri)}: ${analysis.models.length} models, ${analysis.findings.length} findings in ${(readMs + theoryMs).toFixed(1)} ms`);
          this.emitter.fire({ uri: job.uri, analysis });
          for (const w of job.waiters) w.resolve(analysis);
        } catch (err) {
          for (const w of job.waiters) w.reject(err);
        }
        await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.draining = false;
    }
  }

  /** Keep results for open documents; beyond the cap, forget the oldest of the others (their diagnostics stay). */
  private remember(key: string, hash: string, analysis: FileAnalysis): void {
    this.byUri.delete(key);
    this.byUri.set(key, { hash, analysis });
    if (this.byUri.size <= MAX_CACHED) return;
    const open = new Set(vscode.workspace.textDocuments.map((d) => d.uri.toString()));
    for (const k of this.byUri.keys()) {
      if (this.byUri.size <= MAX_CACHED) break;
      if (!open.has(k) && k !== key) this.byUri.delete(k);
    }
  }

  analyzeDocument(doc: vscode.TextDocument): Promise<FileAnalysis | null> {
    return this.analyze(doc.uri, doc.getText(), doc.languageId);
  }

  /** Debounced re-analysis after an edit. */
  schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    this.timers.schedule(key, this.config.debounceMs, () => {
      this.analyzeDocument(doc).catch((err) => this.log.error(`analysis of ${key} failed: ${String(err)}`));
    });
  }

  forget(uri: vscode.Uri): void {
    const key = uri.toString();
    for (const w of this.pending.get(key)?.waiters ?? []) w.resolve(null);
    this.pending.delete(key);
    this.timers.cancel(key);
    if (this.byUri.delete(key)) this.emitter.fire({ uri, analysis: null });
  }

  dispose(): void {
    this.timers.dispose();
    this.emitter.dispose();
  }
}
