/**
 * The top of the dashboard: which file and model, the Probe / Cancel / Re-run buttons, the shown run's status
 * (backend and renderer, progress, notes) and its history, and the export buttons.
 */
import type { ProbeRun, RunStatus } from '../../core/protocol';
import { duration } from '../format';
import type { DashboardState, Subject } from '../state';
import { badge, button, dropdown, setDisabled } from './toolkit';

export interface RunPanelActions {
  selectModel(index: number): void;
  selectRun(runId: string | null): void;
  probe(subject: Subject): void;
  cancel(runId: string): void;
  rerun(runId: string): void;
  exportRun(runId: string, format: 'json' | 'csv'): void;
}

const ACTIVE: readonly RunStatus[] = ['queued', 'running'];
const STATUS_TEXT: Record<RunStatus, string> = {
  queued: 'queued',
  running: 'running',
  interrupted: 'interrupted',
  done: 'done',
  failed: 'failed',
  diverged: 'diverged',
  cancelled: 'cancelled',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text) e.textContent = text;
  return e;
}

function runLabel(r: ProbeRun): string {
  const t = new Date(r.createdAt);
  const time = t.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return `${time} · ${STATUS_TEXT[r.status]} · ${r.backend ?? r.backendPreference} · ${r.config.steps} steps`;
}

export class RunPanel {
  readonly el: HTMLElement;
  private readonly title = el('h1', 'title');
  private readonly file = el('p', 'file');
  private readonly models: ReturnType<typeof dropdown>;
  private readonly history: ReturnType<typeof dropdown>;
  private readonly probeButton: HTMLElement;
  private readonly cancelButton: HTMLElement;
  private readonly rerunButton: HTMLElement;
  private readonly exportJson: HTMLElement;
  private readonly exportCsv: HTMLElement;
  private readonly status = el('div', 'status');
  private readonly statusBadge = el('span', 'status-badge');
  private readonly statusText = el('span', 'status-text');
  private readonly bar = el('div', 'bar');
  private readonly renderer = el('p', 'renderer');
  private readonly notes = el('p', 'note run-notes');
  private subject: Subject | null = null;
  private run: ProbeRun | null = null;

  constructor(actions: RunPanelActions) {
    this.el = el('section', 'run-panel');
    this.models = dropdown('Model', (v) => actions.selectModel(Number(v)));
    this.history = dropdown('Run', (v) => actions.selectRun(v === 'latest' ? null : v));
    this.probeButton = button('Probe', { appearance: 'primary', title: 'Train the model briefly and measure every layer', onClick: () => this.subject && actions.probe(this.subject) });
    this.cancelButton = button('Cancel', { onClick: () => this.run && actions.cancel(this.run.id), title: 'Stop the running probe' });
    this.rerunButton = button('Re-run', { onClick: () => this.run && actions.rerun(this.run.id), title: 'Run this probe again on the file as it is now' });
    this.exportJson = button('JSON', { appearance: 'secondary', title: 'Export the run as JSON', onClick: () => this.run && actions.exportRun(this.run.id, 'json') });
    this.exportCsv = button('CSV', { appearance: 'secondary', title: 'Export the run as CSV (one row per step and layer)', onClick: () => this.run && actions.exportRun(this.run.id, 'csv') });
    const buttons = el('div', 'buttons');
    buttons.append(this.probeButton, this.cancelButton, this.rerunButton);
    const progress = el('div', 'progress');
    progress.setAttribute('role', 'progressbar');
    progress.setAttribute('aria-label', 'Probe progress');
    progress.append(this.bar);
    this.status.setAttribute('aria-live', 'polite');
    // No spinner: any running animation makes the workbench renderer composite frames continuously, and on a
    // software WebGL renderer (SwiftShader) that slowed the probe computing in this page about 5x (measured in
    // the dashboard benchmark). The badge, the step counter and the progress bar show that it runs.
    this.status.append(this.statusBadge, this.statusText);
    const runRow = el('div', 'run-row');
    runRow.append(this.history.el, this.exportJson, this.exportCsv);
    this.el.append(this.title, this.file, this.models.el, buttons, this.status, this.renderer, progress, this.notes, runRow);
  }

  update(state: DashboardState, subject: Subject | null): void {
    this.subject = subject;
    const run = subject?.run ?? null;
    this.run = run;
    this.title.textContent = subject ? subject.model.name : 'NormLens';
    this.file.textContent = subject ? subject.fileName : 'Open a model file to see its layers and probe it.';
    const models = state.analysis?.models ?? [];
    this.models.el.hidden = models.length < 2;
    this.models.set(models.map((m, i) => ({ value: String(i), label: m.name })), String(state.modelIndex));
    const active = !!run && ACTIVE.includes(run.status);
    this.probeButton.hidden = active;
    setDisabled(this.probeButton, !subject || !state.analysis || subject.uri !== state.analysis.uri);
    this.cancelButton.hidden = !active;
    this.rerunButton.hidden = !run || active || run.status === 'done';
    const runs = state.runsOfSubject();
    this.history.el.parentElement!.hidden = !run;
    this.history.set([{ value: 'latest', label: 'newest run' }, ...runs.map((r) => ({ value: r.id, label: runLabel(r) }))], state.runId ?? 'latest');
    setDisabled(this.exportJson, !run || active);
    setDisabled(this.exportCsv, !run || active);
    this.showStatus(run);
  }

  private showStatus(run: ProbeRun | null): void {
    this.status.hidden = !run;
    this.renderer.hidden = !run;
    this.bar.parentElement!.hidden = !run;
    if (!run) {
      this.notes.textContent = '';
      return;
    }
    const last = run.records[run.records.length - 1];
    const step = last?.step ?? 0;
    this.statusBadge.replaceChildren(badge(STATUS_TEXT[run.status]));
    this.statusBadge.dataset.status = run.status;
    const elapsed = last ? ` · ${duration(last.elapsedMs)}` : '';
    this.statusText.textContent = `step ${step}/${run.config.steps}${elapsed} · ${run.backend ?? run.backendPreference}`;
    this.renderer.hidden = !run.backend;
    this.renderer.textContent = run.backend === 'cpu' ? 'tfjs CPU backend' : run.renderer ? `WebGL: ${run.renderer}` : '';
    const fraction = run.config.steps ? Math.min(1, step / run.config.steps) : last ? 1 : 0;
    this.bar.style.width = `${(fraction * 100).toFixed(1)}%`;
    this.bar.parentElement!.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    const event = run.history[run.history.length - 1];
    const lines = [run.error, run.diverged ? `Diverged at step ${run.diverged.step}${run.diverged.layer !== null ? ` in layer ${run.diverged.layer}` : ''}.` : null, event?.note, ...run.notes];
    this.notes.textContent = [...new Set(lines.filter((x): x is string => !!x))].join(' ');
  }
}
