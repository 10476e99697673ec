import * as vscode from 'vscode';
import { measuredFindings, type MeasuredThresholds } from '../core/findings/measured';
import type { Finding } from '../core/findings/types';
import type { ProbeRun } from '../core/protocol';
import { contentHash } from './dashboard';
import type { RunStore } from './runStore';

/** Which runs apply to a document's current text, per model index. */
export interface MeasuredState {
  /** Runs measured on exactly this text (matched by content hash, so an undo brings them back). */
  measured: Map<number, ProbeRun>;
  /** Models whose newest measured run was of another text: their measured values are stale. */
  stale: Map<number, ProbeRun>;
  /** A key that changes whenever the state does (lens caches). */
  key: string;
}

const EMPTY: MeasuredState = { measured: new Map(), stale: new Map(), key: '' };

/**
 * The editor's view of probe results: which run (if any) was measured on the text a document has now, and the
 * measured findings of a run. Measured values are never shown on text they were not measured on: matching is by
 * content hash, not document version (versions restart when a file reopens, and an undo is a new version of old
 * text). Fires `onDidChange` when a run of a file finishes with measurements or the thresholds change.
 */
export class MeasuredResults implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<{ uri: string | null }>();
  /** `uri` null: every file (the thresholds changed). */
  readonly onDidChange = this.emitter.event;
  private readonly hashes = new Map<string, { version: number; hash: string }>();
  private readonly findingCache = new Map<string, Finding[]>();
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly runs: RunStore,
    private thresholds: MeasuredThresholds,
  ) {
    this.subscription = runs.onDidChange((e) => {
      if (e.kind === 'status' && (e.run.status === 'done' || e.run.status === 'diverged')) this.emitter.fire({ uri: e.run.uri });
    });
  }

  setThresholds(t: MeasuredThresholds): void {
    if (JSON.stringify(t) === JSON.stringify(this.thresholds)) return;
    this.thresholds = t;
    this.findingCache.clear();
    this.emitter.fire({ uri: null });
  }

  /** Whether any measured run exists for the file (cheap: no hashing). */
  hasRuns(uri: vscode.Uri | string): boolean {
    return this.runs.measuredModels(uri).length > 0;
  }

  /** Hash of the document's text, computed once per document version. */
  hashOf(doc: vscode.TextDocument): string {
    const key = doc.uri.toString();
    const known = this.hashes.get(key);
    if (known?.version === doc.version) return known.hash;
    const hash = contentHash(doc.getText());
    this.hashes.set(key, { version: doc.version, hash });
    return hash;
  }

  forDocument(doc: vscode.TextDocument): MeasuredState {
    const models = this.runs.measuredModels(doc.uri);
    if (!models.length) return EMPTY;
    const hash = this.hashOf(doc);
    const measured = new Map<number, ProbeRun>();
    const stale = new Map<number, ProbeRun>();
    for (const mi of models) {
      const run = this.runs.latestMeasured(doc.uri, mi, hash);
      if (run) measured.set(mi, run);
      else {
        const old = this.runs.latestMeasured(doc.uri, mi);
        if (old) stale.set(mi, old);
      }
    }
    const key = [...[...measured].map(([mi, r]) => `m${mi}:${r.id}`), ...[...stale].map(([mi, r]) => `s${mi}:${r.id}`)].join(',');
    return { measured, stale, key };
  }

  /** Measured findings of a run, with the current thresholds (cached per run). */
  findings(run: ProbeRun): Finding[] {
    let f = this.findingCache.get(run.id);
    if (!f) {
      f = measuredFindings(run, run.modelIndex, this.thresholds);
      this.findingCache.set(run.id, f);
      if (this.findingCache.size > 64) this.findingCache.delete(this.findingCache.keys().next().value as string);
    }
    return f;
  }

  forget(uri: vscode.Uri): void {
    this.hashes.delete(uri.toString());
  }

  dispose(): void {
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
