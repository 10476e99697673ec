/**
 * What the dashboard shows, as the host last described it: the model file's analysis and every run (records
 * included), plus the view's own selection. The host owns runs; this is a mirror, re-sent in full on ready.
 */
import type { AnalysisView, ProbeRun } from '../core/protocol';
import type { ProbeRecord } from '../core/probe/config';
import type { Model } from '../core/ir';
import type { ModelPrediction } from '../core/theory/types';
import type { HeatMetric, Phase } from './charts/chartData';

/** What changed, so a view redraws only what depends on it. */
export type Change = 'analysis' | 'runs' | 'records' | 'selection';

/** The model on screen with the run (if any) whose measurements are shown against its prediction. */
export interface Subject {
  uri: string;
  fileName: string;
  modelIndex: number;
  model: Model;
  prediction: ModelPrediction | null;
  run: ProbeRun | null;
  /** The run was made on another version of the file than the one analysed now. */
  stale: boolean;
}

export class DashboardState {
  analysis: AnalysisView | null = null;
  readonly runs = new Map<string, ProbeRun>();
  modelIndex = 0;
  /** Chosen in the history list; null follows the newest run of the shown model. */
  runId: string | null = null;
  /** Which record the table compares with the prediction. */
  measuredAt: 'init' | 'latest' = 'latest';
  /** Layer (Layer.index) the distribution chart shows, picked in the table or the chart; null: a default. */
  selectedLayer: number | null = null;
  /** Distribution of the pre-activation or of the layer's output. */
  distributionPhase: Phase = 'post';
  /** What the layer x step heatmap colours. */
  heatMetric: HeatMetric = 'saturation';
  private readonly listeners = new Set<(changes: Set<Change>) => void>();
  private pending = new Set<Change>();
  private scheduled = false;

  subscribe(listener: (changes: Set<Change>) => void): void {
    this.listeners.add(listener);
  }

  /**
   * Record a change; listeners run once per animation frame with everything that changed in it, so a burst of
   * streamed records costs one redraw.
   */
  changed(change: Change): void {
    this.pending.add(change);
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      const changes = this.pending;
      this.pending = new Set();
      for (const l of this.listeners) l(changes);
    });
  }

  setAnalysis(a: AnalysisView | null): void {
    const sameFile = a && this.analysis && a.uri === this.analysis.uri;
    this.analysis = a;
    if (!sameFile) {
      this.modelIndex = 0;
      this.runId = null;
    }
    this.modelIndex = Math.min(this.modelIndex, Math.max(0, (a?.models.length ?? 1) - 1));
    this.changed('analysis');
  }

  setRuns(runs: ProbeRun[]): void {
    this.runs.clear();
    for (const r of runs) this.runs.set(r.id, r);
    if (this.runId && !this.runs.has(this.runId)) this.runId = null;
    this.changed('runs');
  }

  upsertRun(run: ProbeRun): void {
    const isNew = !this.runs.has(run.id);
    this.runs.set(run.id, run);
    // A new run of the model on screen becomes the one shown: it is what the user just asked for.
    if (isNew && this.analysis?.uri === run.uri && this.modelIndex === run.modelIndex) this.runId = null;
    this.changed('runs');
  }

  appendRecord(runId: string, record: ProbeRecord): void {
    const run = this.runs.get(runId);
    if (!run) return;
    run.records.push(record);
    this.changed('records');
  }

  /** Runs of the model on screen, newest first. */
  runsOfSubject(): ProbeRun[] {
    const uri = this.analysis?.uri;
    const all = [...this.runs.values()].sort((a, b) => b.createdAt - a.createdAt);
    if (!uri) return all.filter((r) => !r.group);
    // Comparison runs probe variants of the model, not the model: the Compare panel shows them.
    return all.filter((r) => r.uri === uri && r.modelIndex === this.modelIndex && !r.group);
  }

  subject(): Subject | null {
    const explicit = this.runId ? (this.runs.get(this.runId) ?? null) : null;
    const run = explicit ?? this.runsOfSubject()[0] ?? null;
    const a = this.analysis;
    if (a && a.models[this.modelIndex] && (!run || run.uri === a.uri)) {
      const stale = !!run && run.contentHash !== a.contentHash;
      // A stale run is drawn against the model it measured, so layers line up with its records.
      const model = run && stale ? run.model : a.models[this.modelIndex];
      const prediction = run && stale ? run.prediction : (a.predictions[this.modelIndex] ?? null);
      return { uri: a.uri, fileName: a.fileName, modelIndex: this.modelIndex, model, prediction, run, stale };
    }
    if (!run) return null;
    return { uri: run.uri, fileName: run.fileName, modelIndex: run.modelIndex, model: run.model, prediction: run.prediction, run, stale: true };
  }
}
