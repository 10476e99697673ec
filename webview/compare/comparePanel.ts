/**
 * Compare normalizations: start a comparison of the model on screen (one probe per variant, same seed and data,
 * computed one after another), follow each variant's status, read the table (final loss, variance of the loss's
 * step-to-step changes, last hidden block's variance) and the overlaid loss and depth charts, and turn a variant
 * into a suggested edit of the file (Apply: the host shows the edit for confirmation, or a snippet).
 */
import './compare.css';
import type { ProbeRun } from '../../core/protocol';
import { modelVariants } from '../../core/probe/variants';
import { ChartPanel } from '../components/chartPanel';
import { button, setDisabled } from '../components/toolkit';
import { fmt } from '../format';
import type { DashboardState } from '../state';
import type { ChartTheme } from '../theme';
import { compareDepth, compareLoss, variantColor } from './charts';
import { latestGroup, summarize, type CompareGroup } from './metrics';

export interface CompareActions {
  start(uri: string, modelIndex: number): void;
  apply(runId: string): void;
}

const ACTIVE = ['queued', 'running'];
const COLUMNS: { label: string; title: string }[] = [
  { label: 'variant', title: 'The model as written, or with a normalization (and the run status until it is done)' },
  { label: 'loss', title: 'Loss at the last sample point' },
  { label: 'Δ var', title: 'Variance of the loss change between consecutive sample points (lower: smoother training)' },
  { label: 'σ²', title: 'Output variance of the last hidden block at the last sample point' },
  { label: '', title: 'Apply the variant to the file (shown for confirmation first)' },
];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className = '', text = ''): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text) e.textContent = text;
  return e;
}

interface Row {
  run: ProbeRun;
  tr: HTMLTableRowElement;
  swatch: HTMLElement;
  cells: HTMLTableCellElement[];
  status: HTMLElement;
  apply: HTMLButtonElement;
}

export class ComparePanel {
  readonly el = el('section', 'compare');
  private readonly startButton: HTMLElement;
  private readonly note = el('p', 'note compare-note');
  private readonly skipped = el('p', 'note compare-skipped');
  private readonly tbody = el('tbody');
  private readonly tableWrap = el('div', 'table-scroll');
  private readonly charts: ChartPanel[];
  private rows: Row[] = [];
  private rowKey = '';
  private group: CompareGroup | null = null;
  private readonly legend: HTMLElement;
  private skippedFor: object | null = null;
  private skippedVariants: ReturnType<typeof modelVariants> = [];

  constructor(
    private readonly state: DashboardState,
    private readonly actions: CompareActions,
    onExport: (chart: string, png: string) => void,
  ) {
    this.el.dataset.panel = 'compare';
    const header = el('header');
    const h = el('h2', '', 'Compare normalizations');
    this.startButton = button('Compare', {
      appearance: 'secondary',
      title: 'Probe the model as written and with BatchNorm, LayerNorm, GroupNorm, Batch Renorm, weight norm and as an SNN (same seed and data)',
      onClick: () => {
        const a = this.state.analysis;
        if (a) this.actions.start(a.uri, this.state.modelIndex);
      },
    });
    header.append(h, this.startButton);
    const table = el('table');
    table.setAttribute('aria-label', 'Normalization variants');
    const head = el('thead');
    const tr = el('tr');
    for (const c of COLUMNS) {
      const th = el('th', '', c.label);
      th.title = c.title;
      th.scope = 'col';
      tr.append(th);
    }
    head.append(tr);
    table.append(head, this.tbody);
    this.tableWrap.append(table);
    const group = () => this.group;
    this.charts = [
      new ChartPanel({ id: 'compare-loss', title: 'Loss by variant', empty: 'Compare to see each variant train.', build: (t) => compareLoss(group(), t) }, onExport),
      new ChartPanel({ id: 'compare-depth', title: 'Variance by block, last sample', empty: '', build: (t) => compareDepth(group(), t) }, onExport),
    ];
    const legend = el('p', 'note compare-legend', 'loss: at the last sample · Δ var: variance of the loss change between samples (smaller: smoother training) · σ²: output variance of the last hidden block.');
    this.legend = legend;
    this.el.append(header, this.note, this.tableWrap, legend, this.skipped, ...this.charts.map((c) => c.el));
  }

  update(theme: ChartTheme, themeChanged: boolean): void {
    const a = this.state.analysis;
    const model = a?.models[this.state.modelIndex] ?? null;
    this.group = a ? latestGroup(this.state.runs.values(), a.uri, this.state.modelIndex) : null;
    const runs = this.group?.runs ?? [];
    const active = runs.some((r) => ACTIVE.includes(r.status));
    setDisabled(this.startButton, !model || active);
    const stale = !!a && runs.length > 0 && runs[0].contentHash !== a.contentHash;
    if (!runs.length) {
      this.note.textContent = model ? `Probe ${model.name} as written and under each normalization, same seed and data, one after another.` : 'Open a model file to compare normalizations.';
    } else {
      const done = runs.filter((r) => !ACTIVE.includes(r.status)).length;
      const c = runs[0].config;
      this.note.textContent = `${done}/${runs.length} variants finished · ${c.steps} steps, batch ${c.batchSize}, seed ${c.seed}, ${c.optimizer} ${c.learningRate}${stale ? ' · the file changed since: Apply is refused until you compare again' : ''}`;
    }
    // Variants are recomputed only when the model changes, not on every streamed record.
    if (model !== this.skippedFor) {
      this.skippedFor = model;
      this.skippedVariants = model ? modelVariants(model).filter((v) => v.skipped) : [];
    }
    const skipped = this.skippedVariants;
    this.skipped.textContent = skipped.length ? `Not compared: ${skipped.map((v) => `${v.label} (${v.skipped})`).join('; ')}.` : '';
    this.skipped.hidden = !skipped.length || !runs.length;
    this.tableWrap.hidden = !runs.length;
    this.legend.hidden = !runs.length;
    this.renderRows(runs, theme, stale);
    for (const chart of this.charts) {
      chart.el.hidden = !runs.length;
      chart.update(theme, themeChanged);
    }
  }

  private renderRows(runs: ProbeRun[], theme: ChartTheme, stale: boolean): void {
    const key = runs.map((r) => r.id).join('|');
    if (key !== this.rowKey) {
      this.rowKey = key;
      this.rows = runs.map((run) => this.makeRow(run));
      this.tbody.replaceChildren(...this.rows.map((r) => r.tr));
    }
    runs.forEach((run, i) => {
      const row = this.rows[i];
      row.run = run;
      row.swatch.style.color = variantColor(run.group!.variant, theme);
      const s = summarize(run);
      // Done is what the numbers say; anything else is spelled out next to the name.
      const step = s.lastStep ?? 0;
      row.status.textContent = run.status === 'done' ? '' : run.status === 'running' ? `${step}/${run.config.steps}` : run.status;
      row.status.dataset.status = run.status;
      row.tr.dataset.status = run.status;
      row.tr.title = [run.error, run.history[run.history.length - 1]?.note].filter(Boolean).join(' ');
      row.cells[1].textContent = fmt(s.finalLoss);
      row.cells[2].textContent = fmt(s.lossStepVariance);
      row.cells[3].textContent = fmt(s.lastHiddenVariance);
      const applicable = run.group!.variant !== 'as-written';
      row.apply.hidden = !applicable;
      row.apply.disabled = !applicable || stale || ACTIVE.includes(run.status);
    });
  }

  private makeRow(run: ProbeRun): Row {
    const tr = el('tr');
    tr.dataset.variant = run.group!.variant;
    const head = el('th');
    head.scope = 'row';
    const cells: HTMLTableCellElement[] = [head, ...COLUMNS.slice(1).map(() => el('td'))];
    const swatch = el('span', 'swatch', '■');
    swatch.setAttribute('aria-hidden', 'true');
    const status = el('span', 'variant-status');
    head.append(swatch, el('span', 'variant-name', run.group!.label), status);
    for (const c of cells.slice(1, 4)) c.className = 'meas';
    const apply = el('button', 'link apply', 'Apply');
    apply.type = 'button';
    apply.title = `Apply the ${run.group!.label} variant to the file (shown for confirmation first)`;
    const row: Row = { run, tr, swatch, cells, status, apply };
    apply.addEventListener('click', () => !apply.disabled && this.actions.apply(row.run.id));
    cells[4].append(apply);
    tr.append(...cells);
    return row;
  }
}
