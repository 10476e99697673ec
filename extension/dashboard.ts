import { createHash, randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { PendingRequests } from '../core/pendingRequests';
import {
  DidAppendRecordNotification,
  DidCancelRunNotification,
  DidChangeAnalysisNotification,
  DidChangeRunNotification,
  DidChangeRunsNotification,
  ExecuteProbeRequest,
  ExportChartRequest,
  ExportRunRequest,
  PROTOCOL_VERSION,
  fromWire,
  notificationMessage,
  parseToHost,
  unanswerable,
  responseMessage,
  toWire,
  type AnalysisView,
  type NotificationMessage,
  type ProbeFaults,
  type ProbeRun,
  type RequestMessage,
  type ToHostMessage,
} from '../core/protocol';
import type { ProbeRecord } from '../core/probe/config';
import type { AnalysisService } from './analysisService';
import { exportChart, exportRun } from './dashboardExport';
import type { Log } from './log';
import type { RunStore } from './runStore';

/** What the view's buttons ask for; implemented by the probe controller (probeCommand.ts). */
export interface DashboardActions {
  start(uri: vscode.Uri, modelIndex: number): void;
  rerun(runId: string): void;
  cancel(runId: string): void;
}

/** The text hash runs and analyses are compared by (document versions restart when a file reopens). */
export function contentHash(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** The run an execute request carries, if it is one. */
function executedRun(m: RequestMessage): string | null {
  return m.method === ExecuteProbeRequest.method ? (m.params as { runId: string }).runId : null;
}

/** Longest a CPU fallback probe may be estimated to take before the view scales it down. */
const CPU_MAX_SECONDS = 60;

/**
 * The side-panel dashboard. The host side of the protocol (core/protocol.ts): a strict-CSP page that loads the
 * bundled view (dist/webview.js), a queue until the view says `webview/ready`, a check of every message it posts,
 * and the run store as the one truth the view is re-hydrated from whenever it (re)loads.
 */
export class DashboardViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'normlens.dashboard';
  private view: vscode.WebviewView | null = null;
  private ready = false;
  /**
   * Runs waiting for `webview/ready`: their execute request is sent (and its timeout starts) only once a page
   * can answer, since loading the page (tfjs included) can take longer than the timeout on a busy machine.
   * State notifications are not queued at all: ready re-sends the whole state.
   */
  private waiting: ProbeRun[] = [];
  private readonly requests = new PendingRequests((m) => this.deliver(m));
  /** Runs handed to the current page: if it goes away before they finish, they were interrupted. */
  private readonly dispatched = new Set<string>();
  /** Uris this view was shown: the only ones `layer/reveal` may open. */
  private readonly sentUris = new Set<string>();
  private shown: vscode.TextDocument | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];
  actions: DashboardActions | null = null;
  /** The Compare panel's buttons (compare/start, compare/apply); implemented by extension/compareCommand.ts. */
  compare: { start(uri: vscode.Uri, modelIndex: number): void; apply(runId: string): Promise<unknown> } | null = null;
  /** Messages dropped by validation, with the last reason (the e2e suite reads these). */
  readonly dropped: string[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly service: AnalysisService,
    private readonly runs: RunStore,
    private readonly log: Log,
  ) {
    service.onDidAnalyze((e) => {
      const active = vscode.window.activeTextEditor?.document;
      if (active && e.uri.toString() === active.uri.toString()) this.showDocument(active);
      else if (this.shown && e.uri.toString() === this.shown.uri.toString()) this.sendAnalysis();
    }, this, this.disposables);
    vscode.window.onDidChangeActiveTextEditor((e) => e && this.showDocument(e.document), this, this.disposables);
    this.disposables.push(runs.onDidChange((e) => {
      if (e.kind === 'record' && e.record) this.notify(notificationMessage(DidAppendRecordNotification, { runId: e.run.id, record: toWire(e.record) }));
      else this.notify(notificationMessage(DidChangeRunNotification, { run: toWire(e.run) }));
    }));
    if (vscode.window.activeTextEditor) this.showDocument(vscode.window.activeTextEditor.document);
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    vscode.Disposable.from(...this.viewDisposables).dispose();
    // A new view while the old one still exists (the view was moved): the old page and its runs are gone.
    if (this.view && this.view !== view) this.pageGone('the dashboard was closed (moved)');
    this.view = view;
    this.ready = false;
    view.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist'), vscode.Uri.joinPath(this.extensionUri, 'media')],
    };
    this.viewDisposables = [
      view.webview.onDidReceiveMessage((m: unknown) => this.receive(m)),
      // A hidden webview view loses its page (no retainContextWhenHidden): whatever it was computing is cut off.
      view.onDidChangeVisibility(() => !view.visible && this.pageGone('the dashboard was hidden')),
      view.onDidDispose(() => {
        this.pageGone('the dashboard was closed');
        this.view = null;
      }),
    ];
    view.webview.html = this.html(view.webview);
  }

  /** Whether the page has said `webview/ready` and not gone since. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Reveal the view (creating it if needed); the page then loads and says ready. */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${DashboardViewProvider.viewId}.focus`);
  }

  /** Test-only faults to inject into a run (see ExecuteProbeParams.faults), by run id. */
  private readonly faults = new Map<string, ProbeFaults>();

  /** Hand a run to the view to compute (now, or when the page is ready). Failures to deliver finish the run. */
  execute(run: ProbeRun, faults?: ProbeFaults): void {
    if (faults) this.faults.set(run.id, faults);
    if (this.ready && this.view) this.send(run);
    else this.waiting.push(run);
  }

  private send(run: ProbeRun): void {
    const faults = this.faults.get(run.id);
    this.faults.delete(run.id);
    this.requests
      .send(ExecuteProbeRequest, { runId: run.id, model: toWire(run.model), config: run.config, backend: run.backendPreference, cpuMaxSeconds: CPU_MAX_SECONDS, ...(faults ? { faults } : {}) })
      .then((r) => !r.accepted && this.runs.finish(run.id, 'failed', r.reason ?? 'the dashboard refused the run'))
      .catch((err: unknown) => {
        // The page shares its main thread with the frame that forwards its messages: while WebGL starts (seconds
        // of shader compilation on a software renderer) even its reply can arrive late. A run that reports
        // progress was evidently taken.
        if (this.runs.get(run.id)?.status === 'queued') this.runs.finish(run.id, 'failed', `the dashboard did not take the run: ${err instanceof Error ? err.message : String(err)}`);
      });
  }

  /** Ask the executing view to stop a run; a run no view holds is cancelled here. */
  cancel(runId: string): void {
    if (this.ready && this.dispatched.has(runId)) return this.notify(notificationMessage(DidCancelRunNotification, { runId }));
    this.waiting = this.waiting.filter((r) => r.id !== runId);
    this.runs.finish(runId, 'cancelled', 'cancelled before the dashboard started it');
  }

  /** Entry point of every message the page posts: check, then dispatch; anything malformed is dropped and logged. */
  receive(raw: unknown): void {
    const parsed = parseToHost(raw);
    if (!parsed.ok) {
      // A malformed request still gets an answer, so the page does not wait for its timeout.
      const failed = unanswerable(raw);
      if (failed) void this.view?.webview.postMessage({ kind: 'response', id: failed.id, method: failed.method, ok: false, error: parsed.error });
      return this.drop(parsed.error);
    }
    const m = parsed.message;
    if (m.kind === 'response') {
      if (!this.requests.settle(m)) this.drop(`reply ${m.id} (${m.method}) answers no pending request`);
      return;
    }
    if (!this.ready && m.method !== 'webview/ready') return this.drop(`${m.method} before webview/ready`);
    void this.dispatch(m).catch((err: unknown) => this.log.error(`dashboard: ${m.method} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  }

  private async dispatch(m: Exclude<ToHostMessage, { kind: 'response' }>): Promise<void> {
    switch (m.method) {
      case 'webview/ready':
        if (m.params.protocol !== PROTOCOL_VERSION) return this.drop(`webview/ready for protocol ${m.params.protocol}, host speaks ${PROTOCOL_VERSION}`);
        return this.onReady();
      case 'layer/reveal': {
        if (!this.sentUris.has(m.params.uri)) return this.drop(`layer/reveal of ${m.params.uri}, which this view was never sent`);
        const r = m.params.range;
        await vscode.window.showTextDocument(vscode.Uri.parse(m.params.uri, true), { selection: new vscode.Range(r.startLine, r.startColumn, r.endLine, r.endColumn), preview: true });
        return;
      }
      case 'probe/start':
        if (!this.sentUris.has(m.params.uri)) return this.drop(`probe/start of ${m.params.uri}, which this view was never sent`);
        return this.actions?.start(vscode.Uri.parse(m.params.uri, true), m.params.modelIndex);
      case 'probe/rerun':
        return this.actions?.rerun(m.params.runId);
      case 'probe/cancel':
        return this.actions?.cancel(m.params.runId);
      case 'compare/start':
        if (!this.sentUris.has(m.params.uri)) return this.drop(`compare/start of ${m.params.uri}, which this view was never sent`);
        return this.compare?.start(vscode.Uri.parse(m.params.uri, true), m.params.modelIndex);
      case 'compare/apply':
        if (!this.runs.get(m.params.runId)?.group) return this.drop(`compare/apply of run ${m.params.runId}, which is not a comparison run`);
        return void (await this.compare?.apply(m.params.runId));
      case 'probe/status':
        if (!this.dispatched.has(m.params.runId) || !this.runs.applyReport(m.params)) this.drop(`probe/status for run ${m.params.runId}, which is not running here`);
        return;
      case 'probe/record':
        if (!this.dispatched.has(m.params.runId) || !this.runs.appendRecord(m.params.runId, fromWire<ProbeRecord>(m.params.record))) {
          this.drop(`probe/record for run ${m.params.runId} (step ${m.params.record.step}), which is not running here`);
        }
        return;
      case 'webview/log':
        return void this.log[m.params.level](`dashboard: ${m.params.message}`);
      case 'run/export':
      case 'chart/export': {
        const outcome = await (m.method === 'run/export' ? exportRun(this.runs, m.params) : exportChart(this.runs, m.params)).then(
          (path) => ({ result: { path } }),
          (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
        );
        void this.view?.webview.postMessage(responseMessage(m.method === 'run/export' ? ExportRunRequest : ExportChartRequest, m.id, outcome));
        return;
      }
    }
  }

  private onReady(): void {
    // A page that says ready again was reloaded: runs it was computing are gone with the old page.
    this.interruptDispatched('the dashboard reloaded');
    this.ready = true;
    this.sendAnalysis();
    this.notify(notificationMessage(DidChangeRunsNotification, { runs: this.runs.all().map((r) => toWire(r)) }));
    for (const r of this.runs.all()) this.sentUris.add(r.uri);
    const waiting = this.waiting;
    this.waiting = [];
    for (const run of waiting) if (this.runs.get(run.id)?.status === 'queued') this.send(run);
  }

  private pageGone(why: string): void {
    this.ready = false;
    this.waiting = [];
    this.requests.rejectAll(why);
    this.interruptDispatched(why);
    // Runs queued on the host for this page would never start either.
    for (const r of this.runs.active()) this.runs.finish(r.id, 'interrupted', why);
  }

  private interruptDispatched(why: string): void {
    for (const id of this.dispatched) this.runs.finish(id, 'interrupted', why);
    this.dispatched.clear();
  }

  private drop(reason: string): void {
    this.dropped.push(reason);
    this.log.warn(`dashboard: dropped a message: ${reason}`);
  }

  /** Post to the page; a run handed over is the page's to finish from now on. */
  private deliver(m: RequestMessage): void {
    const runId = executedRun(m);
    if (runId) this.dispatched.add(runId);
    void this.view?.webview.postMessage(m);
  }

  /** State notifications go only to a ready page; a page that becomes ready is sent the whole state instead. */
  private notify(m: NotificationMessage): void {
    if (this.ready && this.view) void this.view.webview.postMessage(m);
  }

  private showDocument(doc: vscode.TextDocument): void {
    const analysis = this.service.get(doc.uri);
    if (!analysis?.models.length) return;
    this.shown = doc;
    this.sendAnalysis();
  }

  private sendAnalysis(): void {
    const doc = this.shown;
    const a = doc && this.service.get(doc.uri);
    if (!doc || !a) return;
    const view: AnalysisView = {
      uri: doc.uri.toString(),
      fileName: vscode.workspace.asRelativePath(doc.uri),
      version: doc.version,
      contentHash: contentHash(doc.getText()),
      format: a.format,
      error: a.error?.message ?? null,
      models: a.models,
      predictions: a.predictions,
    };
    this.sentUris.add(view.uri);
    this.notify(notificationMessage(DidChangeAnalysisNotification, { analysis: toWire(view) }));
  }

  /** The page: no data in it (everything arrives by message), scripts by a fresh nonce only. */
  private html(webview: vscode.Webview): string {
    const nonce = randomBytes(18).toString('base64');
    const asset = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.extensionUri, ...path)).toString();
    const src = webview.cspSource;
    // Styles come from our files; the nonce admits one inline <style> only: the toolkit's (FAST) :focus-visible
    // feature probe, which reads the nonce from the csp-nonce meta tag. No 'unsafe-inline', no 'unsafe-eval'.
    const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${src} 'nonce-${nonce}'`, `font-src ${src}`, `img-src ${src}`, `connect-src 'none'`].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${asset('dist', 'webview.css')}">
<link rel="stylesheet" href="${asset('media', 'dashboard.css')}">
<title>NormLens</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="note">Loading the NormLens dashboard…</p></main>
<script nonce="${nonce}" src="${asset('dist', 'webview.js')}"></script>
</body>
</html>`;
  }

  dispose(): void {
    this.requests.rejectAll('NormLens is shutting down');
    vscode.Disposable.from(...this.viewDisposables, ...this.disposables).dispose();
  }
}
