/**
 * The layer table: per layer, what theory predicts (top line) against what the probe measured (bottom line).
 * Rows persist while records stream (only their numbers change), so focus and scroll stay put; the layer name is
 * a button, so Tab / Enter reveal a layer in the editor as a click does.
 */
import type { Layer } from '../../core/ir';
import type { LayerSample } from '../../core/probe/config';
import type { LayerPrediction } from '../../core/theory/types';
import { byLayer, endpoints } from '../charts/series';
import { fmt, fmtMean, pct } from '../format';
import type { Subject } from '../state';
import { dropdown } from './toolkit';

interface Row {
  tr: HTMLTableRowElement;
  cells: HTMLTableCellElement[];
}

const COLUMNS: { label: string; title: string }[] = [
  { label: 'μ', title: 'Mean of the layer output' },
  { label: 'σ²', title: 'Variance of the layer output' },
  { label: 'sat', title: 'Saturated fraction (|φ′| below 7% of its maximum)' },
  { label: 'dead', title: 'ReLU-family units inactive for the whole batch (theory: none at initialization)' },
  { label: 'grad', title: 'Theory: gradient gain of the layer (×); measured: ‖∂L/∂W‖ of its weight' },
];

function widths(l: Layer): string {
  const w = (v: number | null, s: string | null) => (v ?? s ?? '?').toString();
  return `${w(l.in.value, l.in.symbol)}→${w(l.out.value, l.out.symbol)}`;
}

function describeLayer(l: Layer): string {
  const parts = [`${l.kind}${l.activation && l.kind !== 'activation' ? `+${l.activation.name}` : l.kind === 'activation' && l.activation ? ` ${l.activation.name}` : ''}`, widths(l)];
  // Spaces, not underscores, so a narrow column wraps "pytorch default" between words.
  if (l.init) parts.push(l.init.scheme.replace(/_/g, ' '));
  if (l.rate !== null) parts.push(`p=${l.rate}`);
  return parts.join(' · ');
}

/** "Off" values get a warning colour: outside the band a probe is for. */
function offVariance(v: number | undefined): boolean {
  return v !== undefined && (!Number.isFinite(v) || v < 0.01 || v > 100);
}

export class LayerTable {
  readonly el: HTMLElement;
  private readonly caption: HTMLElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly measuredAt: ReturnType<typeof dropdown>;
  private rows: Row[] = [];
  private rowsKey = '';

  constructor(
    private readonly onReveal: (layer: Layer) => void,
    onMeasuredAt: (value: 'init' | 'latest') => void,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'layers';
    const header = document.createElement('header');
    const h = document.createElement('h2');
    h.textContent = 'Layers';
    this.measuredAt = dropdown('Measured values at', (v) => onMeasuredAt(v === 'init' ? 'init' : 'latest'));
    header.append(h, this.measuredAt.el);
    this.caption = document.createElement('p');
    this.caption.className = 'note';
    const scroller = document.createElement('div');
    scroller.className = 'table-scroll';
    const table = document.createElement('table');
    const thead = table.createTHead().insertRow();
    const th0 = document.createElement('th');
    th0.textContent = 'layer';
    th0.scope = 'col';
    thead.append(th0);
    for (const c of COLUMNS) {
      const th = document.createElement('th');
      th.dataset.col = c.label;
      th.textContent = c.label;
      th.title = c.title;
      th.scope = 'col';
      thead.append(th);
    }
    this.tbody = table.createTBody();
    scroller.append(table);
    this.el.append(header, this.caption, scroller);
  }

  /** `selected`: the layer (Layer.index) the distribution chart shows, marked in the table. */
  update(subject: Subject | null, measuredAt: 'init' | 'latest', selected: number | null = null): void {
    const { first, last } = endpoints(subject?.run ?? null);
    const record = measuredAt === 'init' ? first : last;
    this.measuredAt.set(
      [
        { value: 'latest', label: last ? `measured: step ${last.step}` : 'measured: latest' },
        { value: 'init', label: 'measured: initialization' },
      ],
      measuredAt,
    );
    if (!subject) {
      this.caption.textContent = 'Open a PyTorch, Keras or TensorFlow.js model file to see its layers.';
      this.setRows([]);
      return;
    }
    this.caption.textContent = record
      ? `Top: theory at initialization. Bottom: measured at step ${record.step}${subject.stale ? ' (on an earlier version of the file)' : ''}.`
      : 'Theory at initialization. Probe the model to measure it.';
    this.setRows(subject.model.layers);
    // A deep model's table scrolls inside its own box (header kept), so the charts below stay a short scroll away.
    this.el.classList.toggle('tall', subject.model.layers.length > 24);
    const predicted = new Map((subject.prediction?.layers ?? []).map((p) => [p.index, p]));
    const measured = byLayer(record);
    // Dead units are a ReLU-family notion (theory predicts their inactivity): elsewhere the column is noise.
    const dead = (subject.prediction?.layers ?? []).some((p) => p.inactive !== null) || [...measured.values()].some((s) => s.dead > 0);
    this.el.classList.toggle('no-dead', !dead);
    subject.model.layers.forEach((l, i) => {
      this.fill(this.rows[i], predicted.get(l.index), measured.get(l.index));
      const on = l.index === selected;
      if (this.rows[i].tr.classList.contains('selected') !== on) {
        this.rows[i].tr.classList.toggle('selected', on);
        // The name button says it is the charted layer (aria-current), not a selection the table keeps.
        this.rows[i].tr.querySelector('button.link')?.toggleAttribute('aria-current', on);
      }
    });
  }

  private setRows(layers: Layer[]): void {
    const key = layers.map((l) => `${l.index}:${l.name}:${describeLayer(l)}`).join('|');
    if (key === this.rowsKey) return;
    this.rowsKey = key;
    this.rows = layers.map((l) => this.row(l));
    this.tbody.replaceChildren(...this.rows.map((r) => r.tr));
  }

  private row(layer: Layer): Row {
    // Cells carry their column name so CSS can hide the dead-units column as a whole.
    const tr = document.createElement('tr');
    const name = document.createElement('th');
    name.scope = 'row';
    const link = document.createElement('button');
    link.className = 'link';
    link.textContent = layer.name;
    link.title = `Show ${layer.name} in the editor (line ${layer.range.startLine + 1})`;
    link.addEventListener('click', (e) => {
      e.stopPropagation();
      this.onReveal(layer);
    });
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = describeLayer(layer);
    name.append(link, detail);
    tr.append(name);
    tr.addEventListener('click', () => this.onReveal(layer));
    const cells = COLUMNS.map((c) => {
      const td = document.createElement('td');
      td.dataset.col = c.label;
      const p = document.createElement('span');
      p.className = 'pred';
      const m = document.createElement('span');
      m.className = 'meas';
      td.append(p, m);
      tr.append(td);
      return td;
    });
    return { tr, cells };
  }

  private fill(row: Row, p: LayerPrediction | undefined, m: LayerSample | undefined): void {
    const ok = p && !p.unknown;
    // Two significant digits: five numeric columns have to fit beside the names at sidebar width.
    const values: [string, string, boolean][] = [
      [ok ? fmtMean(p.mean, 2) : '?', m ? fmtMean(m.mean, 2) : '', !!m && Math.abs(m.mean) > 1],
      [ok ? fmt(p.variance, 2) : '?', m ? fmt(m.variance, 2) : '', offVariance(m?.variance)],
      [ok ? pct(p.saturation) : '?', m ? pct(m.saturation) : '', !!m && m.saturation > 0.5],
      ['–', m ? pct(m.dead) : '', !!m && m.dead > 0.1],
      [ok ? `×${fmt(p.gradGain, 2)}` : '?', m ? fmt(m.gradNorm, 2) : '', !!m && m.gradNorm !== null && !Number.isFinite(m.gradNorm)],
    ];
    values.forEach(([pred, meas, warn], i) => {
      const [ps, ms] = row.cells[i].children as unknown as [HTMLElement, HTMLElement];
      if (ps.textContent !== pred) ps.textContent = pred;
      if (ms.textContent !== meas) ms.textContent = meas;
      ms.classList.toggle('warn', warn);
    });
    row.tr.classList.toggle('unknown', !ok);
    if (p?.unknown) row.tr.title = p.unknown;
  }
}
