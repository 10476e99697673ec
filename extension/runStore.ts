/**
 * The host's record of every probe run: configuration, status with its history, and the streamed records.
 * The webview only computes and draws; what a run is, and whether it finished, is decided here. Runs are kept
 * in workspace storage so results survive a window reload; a run that was still going when the window went
 * away comes back as interrupted.
 *
 * No `vscode` import: storage is anything Memento-shaped and events are plain listeners, so the whole store runs
 * under the unit tests.
 */
import { fromWire, toWire, FINISHED_STATUSES, type ProbeRun, type RunReport, type RunStatus, type Wire } from '../core/protocol';
import { probeRunCheck } from '../core/protocolData';
import type { ProbeRecord } from '../core/probe/config';

/** What the store needs of vscode.Memento (context.workspaceState). */
export interface RunStorage {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

export interface RunChange {
  run: ProbeRun;
  /** created; status: a new status; record: a record appended; restarted: records cleared (CPU fallback). */
  kind: 'created' | 'status' | 'record' | 'restarted';
  record?: ProbeRecord;
}

export interface Disposable {
  dispose(): void;
}

/** The fields a caller gives for a new run (notes: what the host already changed, e.g. a size cap); the rest start empty. */
export type NewRun = Pick<ProbeRun, 'uri' | 'fileName' | 'version' | 'contentHash' | 'modelIndex' | 'modelName' | 'model' | 'prediction' | 'config' | 'backendPreference'> & {
  notes?: string[];
  /** A run of a normalization comparison (one variant of the model): never the file's measured result. */
  group?: ProbeRun['group'];
};

export interface RunStoreOptions {
  /** Most recent runs kept, a comparison counting as one (older ones are dropped from storage and memory). */
  maxRuns?: number;
  now?: () => number;
  log?: (message: string) => void;
  /**
   * Streamed records are written to storage at most this often (ms), so a window reload mid-run keeps what was
   * measured up to about then; status changes are written at once.
   */
  recordPersistMs?: number;
}

const STORAGE_KEY = 'normlens.runs.v1';
/** A run streams at most this many records (a probe samples steps / sampleEvery + 2 points). */
const MAX_RECORDS = 5000;

export function isFinished(status: RunStatus): boolean {
  return FINISHED_STATUSES.includes(status);
}

export class RunStore implements Disposable {
  private readonly runs = new Map<string, ProbeRun>();
  private readonly listeners = new Set<(e: RunChange) => void>();
  private saving: Promise<void> = Promise.resolve();
  private counter = 0;
  private readonly maxRuns: number;
  private readonly now: () => number;
  private readonly log: (message: string) => void;
  private readonly recordPersistMs: number;
  private persistTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly storage: RunStorage,
    options: RunStoreOptions = {},
  ) {
    // Each run keeps every record (percentiles included): a dozen runs of a 64-layer model is a few MB of storage.
    this.maxRuns = options.maxRuns ?? 12;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.recordPersistMs = options.recordPersistMs ?? 1000;
    this.load();
  }

  /** Runs from storage; anything not finished was cut off by the reload that is loading them. */
  private load(): void {
    const stored = this.storage.get<unknown>(STORAGE_KEY);
    if (!Array.isArray(stored)) return;
    let cutOff = false;
    for (const raw of stored) {
      const bad = probeRunCheck(raw, 'run');
      if (bad) {
        this.log(`dropped a stored probe run: ${bad}`);
        continue;
      }
      const run = fromWire<ProbeRun>(raw as Wire<ProbeRun>);
      if (!isFinished(run.status)) {
        this.setStatus(run, 'interrupted', 'the window was reloaded while the probe ran');
        cutOff = true;
      }
      this.runs.set(run.id, run);
    }
    if (cutOff) void this.persist();
  }

  /** Called with every change; dispose the result to stop. */
  onDidChange(listener: (e: RunChange) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private emit(e: RunChange): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.log(`run store listener failed: ${String(err)}`);
      }
    }
  }

  /** A new run, queued. */
  create(init: NewRun): ProbeRun {
    const at = this.now();
    const { notes = [], ...fields } = init;
    const run: ProbeRun = {
      ...fields,
      id: `run-${at.toString(36)}-${(this.counter++).toString(36)}`,
      status: 'queued',
      backend: null,
      renderer: null,
      ops: null,
      records: [],
      stepsRun: 0,
      diverged: null,
      notes: [...notes],
      error: null,
      history: [{ status: 'queued', at, note: null }],
      createdAt: at,
      updatedAt: at,
      firstRecordMs: null,
    };
    this.runs.set(run.id, run);
    this.prune();
    this.emit({ run, kind: 'created' });
    void this.persist();
    return run;
  }

  get(id: string): ProbeRun | undefined {
    return this.runs.get(id);
  }

  /** Every run, oldest first. */
  all(): ProbeRun[] {
    return [...this.runs.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Runs not finished yet (queued or running). */
  active(): ProbeRun[] {
    return this.all().filter((r) => !isFinished(r.status));
  }

  /**
   * The newest run with measurements (done or diverged) for this file version: what the editor shows as
   * "measured". `uri` is a vscode.Uri or its string form.
   */
  latestFor(uri: string | { toString(): string }, version: number): ProbeRun | undefined {
    return this.latestWhere(String(uri), (r) => r.version === version);
  }

  /** Same, matched by the text's hash: document versions restart when a file is reopened or the window reloads. */
  latestForContent(uri: string | { toString(): string }, contentHash: string): ProbeRun | undefined {
    return this.latestWhere(String(uri), (r) => r.contentHash === contentHash);
  }

  /**
   * The newest measured run (done or diverged) of model `modelIndex` of the file, of the text with `contentHash`
   * when given, else of any text the file had (to tell "measured, but stale").
   */
  latestMeasured(uri: string | { toString(): string }, modelIndex: number, contentHash?: string): ProbeRun | undefined {
    return this.latestWhere(String(uri), (r) => r.modelIndex === modelIndex && (contentHash === undefined || r.contentHash === contentHash));
  }

  /** Model indices of the file that have a measured run (of any text). */
  measuredModels(uri: string | { toString(): string }): number[] {
    const key = String(uri);
    return [...new Set(this.all().filter((r) => r.uri === key && (r.status === 'done' || r.status === 'diverged') && !r.group).map((r) => r.modelIndex))].sort((a, b) => a - b);
  }

  private latestWhere(uri: string, match: (r: ProbeRun) => boolean): ProbeRun | undefined {
    return this.all()
      .reverse()
      .find((r) => r.uri === uri && (r.status === 'done' || r.status === 'diverged') && !r.group && match(r));
  }

  /**
   * Apply what the executing view reported. Returns false (and changes nothing) when the run is unknown or
   * already finished: a late report from a view whose run was marked interrupted must not revive it.
   */
  applyReport(report: RunReport): boolean {
    const run = this.runs.get(report.runId);
    if (!run || isFinished(run.status)) return false;
    if (report.restarted) {
      // The attempt so far is void for the run's result (it starts again from step 0), but what it measured is kept.
      if (run.records.length || run.backend) {
        run.attempts = [...(run.attempts ?? []), { backend: run.backend, renderer: run.renderer, ops: run.ops, records: run.records, note: report.note }];
      }
      run.records = [];
      run.stepsRun = 0;
      run.firstRecordMs = null;
    }
    run.backend = report.backend;
    run.renderer = report.renderer;
    run.ops = report.ops;
    if (report.restarted) this.emit({ run, kind: 'restarted' });
    if (report.stepsRun !== null) run.stepsRun = report.stepsRun;
    if (report.diverged) run.diverged = report.diverged;
    // The host's notes (a size cap, the file changed) stay; the engine's are added.
    if (report.notes.length) run.notes = [...new Set([...run.notes, ...report.notes])];
    if (report.error) run.error = report.error;
    if (report.status !== run.status || report.note || report.restarted) this.setStatus(run, report.status, report.note);
    this.emit({ run, kind: 'status' });
    void this.persist();
    return true;
  }

  /** Store a streamed record. False when the run is not running (unknown, queued, finished) or full. */
  appendRecord(runId: string, record: ProbeRecord): boolean {
    const run = this.runs.get(runId);
    if (!run || run.status !== 'running' || run.records.length >= MAX_RECORDS) return false;
    const last = run.records[run.records.length - 1];
    if (last && record.step <= last.step) return false;
    run.records.push(record);
    run.stepsRun = Math.max(run.stepsRun, record.step);
    run.firstRecordMs ??= this.now() - run.createdAt;
    run.updatedAt = this.now();
    this.emit({ run, kind: 'record', record });
    this.persistSoon();
    return true;
  }

  /**
   * Add a note to a run that is not finished (the host saw something the view cannot: the file was edited or
   * deleted while it ran). Each note once; false when the run is unknown or finished.
   */
  addNote(runId: string, note: string): boolean {
    const run = this.runs.get(runId);
    if (!run || isFinished(run.status)) return false;
    if (run.notes.includes(note)) return true;
    run.notes = [...run.notes, note];
    run.updatedAt = this.now();
    this.emit({ run, kind: 'status' });
    void this.persist();
    return true;
  }

  /** The host decides a run ended without the view saying so (hidden view, failed dispatch, host-side cancel). */
  finish(runId: string, status: 'interrupted' | 'failed' | 'cancelled', note: string): boolean {
    const run = this.runs.get(runId);
    if (!run || isFinished(run.status)) return false;
    if (status === 'failed') run.error = note;
    this.setStatus(run, status, note);
    this.emit({ run, kind: 'status' });
    void this.persist();
    return true;
  }

  private setStatus(run: ProbeRun, status: RunStatus, note: string | null): void {
    const at = this.now();
    run.status = status;
    run.updatedAt = at;
    run.history.push({ status, at, note });
  }

  /**
   * Drop the oldest finished entries beyond maxRuns, where an entry is an ordinary run or a whole comparison (its
   * variants go together, so a kept comparison never lacks one); never an entry with a run still going. Runs in
   * all are capped too (5 x maxRuns: two 7-variant comparisons fit), since each run's records go to workspace storage.
   */
  private prune(): void {
    const entries = new Map<string, ProbeRun[]>();
    for (const r of this.all()) {
      const key = r.group ? `group ${r.group.id}` : r.id;
      const members = entries.get(key);
      if (members) members.push(r);
      else entries.set(key, [r]);
    }
    let count = entries.size;
    let runs = this.runs.size;
    for (const members of entries.values()) {
      if (count <= this.maxRuns && runs <= 5 * this.maxRuns) break;
      if (!members.every((r) => isFinished(r.status))) continue;
      for (const r of members) this.runs.delete(r.id);
      count--;
      runs -= members.length;
    }
  }

  /** Writes are chained so they land in order; resolves when everything so far is stored. */
  persist(): Promise<void> {
    if (this.persistTimer) clearTimeout(this.persistTimer);
    this.persistTimer = null;
    const snapshot = this.all().map((r) => toWire(r));
    this.saving = this.saving
      .then(() => this.storage.update(STORAGE_KEY, snapshot))
      .then(undefined, (err: unknown) => this.log(`could not store probe runs: ${String(err)}`));
    return this.saving;
  }

  /** Write soon: records stream many times a second, storage need not see each one. */
  private persistSoon(): void {
    this.persistTimer ??= setTimeout(() => void this.persist(), this.recordPersistMs);
  }

  /** The window is closing or reloading: write what is pending now (a run still going is read back as interrupted). */
  dispose(): void {
    if (this.persistTimer) void this.persist();
    this.listeners.clear();
  }
}
