/**
 * Saturation / dead-unit heatmap: one row per activated layer, one column per sample point, coloured from the
 * view's background (none) to the theme's red (saturation) or purple (dead units) on a sqrt ramp, with a legend.
 * A plain canvas: 64+ layers x 20+ steps are a few thousand rectangles, which no plot library is needed for.
 * Pointer hover and the arrow keys (the canvas is focusable) move a cursor cell whose values are read out below.
 */
import type { Subject } from '../state';
import type { CanvasChart, CanvasContent } from '../components/chartPanel';
import { fmt, pct } from '../format';
import type { ChartTheme } from '../theme';
import { HEAT_TICKS, heatPosition, heatmapCellAt, heatmapLayout, heatmapMatrix, type HeatMetric, type HeatmapLayout, type HeatmapMatrix } from './chartData';
import { mix } from './series';

const METRIC_TEXT: Record<HeatMetric, string> = { saturation: 'saturated', dead: 'dead units' };

/** Colour of a value: the background blended towards the hot colour; a faint tint even at 0 so cells read as measured. */
function heatColor(v: number, theme: ChartTheme, hot: string): string {
  const t = heatPosition(v);
  return mix(theme.background, hot, 0.1 + 0.9 * t);
}

function hotColor(metric: HeatMetric, theme: ChartTheme): string {
  return metric === 'saturation' ? theme.red : theme.purple;
}

/** Shorten a label to `max` CSS pixels with an ellipsis. */
function fit(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > max) s = s.slice(0, -1);
  return `${s}…`;
}

export class HeatmapCanvas implements CanvasChart {
  readonly canvas = document.createElement('canvas');
  private readonly readout: HTMLElement;
  private layout: HeatmapLayout;
  private cursor: { row: number; col: number } | null = null;

  constructor(
    body: HTMLElement,
    private width: number,
    private matrix: HeatmapMatrix,
    private readonly metric: HeatMetric,
    private readonly theme: ChartTheme,
    private summary: string,
  ) {
    this.layout = heatmapLayout(matrix.rows.length, matrix.steps.length, width);
    this.canvas.className = 'heatmap';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.readout = document.createElement('p');
    this.readout.className = 'readout';
    this.readout.setAttribute('aria-live', 'polite');
    body.append(this.canvas, this.readout);
    this.canvas.addEventListener('pointermove', (e) => {
      const r = this.canvas.getBoundingClientRect();
      const cell = heatmapCellAt(this.layout, this.matrix.rows.length, this.matrix.steps.length, e.clientX - r.left, e.clientY - r.top);
      if (cell) this.moveTo(cell);
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
    this.canvas.addEventListener('focus', () => !this.cursor && this.moveTo({ row: 0, col: this.matrix.steps.length - 1 }));
    this.draw();
  }

  set(matrix: HeatmapMatrix, summary: string): void {
    this.matrix = matrix;
    this.summary = summary;
    this.layout = heatmapLayout(matrix.rows.length, matrix.steps.length, this.width);
    if (this.cursor && (this.cursor.row >= matrix.rows.length || this.cursor.col >= matrix.steps.length)) this.cursor = null;
    this.draw();
    this.showCursor();
  }

  setSize(width: number): void {
    this.width = width;
    this.layout = heatmapLayout(this.matrix.rows.length, this.matrix.steps.length, width);
    this.draw();
  }

  destroy(): void {
    this.canvas.remove();
    this.readout.remove();
  }

  private onKey(e: KeyboardEvent): void {
    const rows = this.matrix.rows.length;
    const cols = this.matrix.steps.length;
    const c = this.cursor ?? { row: 0, col: cols - 1 };
    const moves: Record<string, [number, number]> = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
    let next: { row: number; col: number } | null = null;
    if (e.key in moves) {
      const [dr, dc] = moves[e.key];
      next = { row: Math.min(rows - 1, Math.max(0, c.row + dr)), col: Math.min(cols - 1, Math.max(0, c.col + dc)) };
    } else if (e.key === 'Home') next = { row: c.row, col: 0 };
    else if (e.key === 'End') next = { row: c.row, col: cols - 1 };
    if (!next) return;
    e.preventDefault();
    this.moveTo(next);
  }

  private moveTo(cell: { row: number; col: number }): void {
    this.cursor = cell;
    this.draw();
    this.showCursor();
  }

  private showCursor(): void {
    const c = this.cursor;
    if (!c) {
      this.readout.textContent = '';
      return;
    }
    const v = this.matrix.values[c.row * this.matrix.steps.length + c.col];
    this.readout.textContent = `${this.matrix.rows[c.row].name} · step ${this.matrix.steps[c.col]} · ${Number.isNaN(v) ? 'not measured' : `${pct(v)} ${METRIC_TEXT[this.metric]}`}`;
  }

  private draw(): void {
    const { layout: L, matrix: M, theme } = this;
    const dpr = devicePixelRatio || 1;
    this.canvas.width = Math.round(L.width * dpr);
    this.canvas.height = Math.round(L.height * dpr);
    this.canvas.style.width = `${L.width}px`;
    this.canvas.style.height = `${L.height}px`;
    this.canvas.setAttribute('aria-label', `${this.summary} Arrow keys move between cells.`);
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, L.width, L.height);
    const hot = hotColor(this.metric, theme);
    const cols = M.steps.length;
    for (let r = 0; r < M.rows.length; r++) {
      const y0 = L.top + r * L.rowHeight;
      for (let c = 0; c < cols; c++) {
        const v = M.values[r * cols + c];
        if (Number.isNaN(v)) continue;
        // Snap to whole pixels on both edges: no seams between cells, no overlap either.
        const x0 = Math.round(L.left + c * L.colWidth);
        const x1 = Math.round(L.left + (c + 1) * L.colWidth);
        ctx.fillStyle = heatColor(v, theme, hot);
        ctx.fillRect(x0, y0, x1 - x0, L.rowHeight);
      }
    }
    // Frame, so empty (unmeasured) cells still read as part of the chart, and outlines in high contrast.
    ctx.strokeStyle = theme.kind === 'high-contrast' ? theme.foreground : theme.grid;
    ctx.lineWidth = 1;
    ctx.strokeRect(L.left - 0.5, L.top - 0.5, L.plotWidth + 1, L.plotHeight + 1);
    ctx.font = theme.font;
    ctx.fillStyle = theme.foreground;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (let r = 0; r < M.rows.length; r += L.rowLabelEvery) {
      ctx.fillText(fit(ctx, M.rows[r].name, L.left - 6), L.left - 4, L.top + (r + 0.5) * L.rowHeight);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    // Step labels: thinned from the end, so the newest step is always labelled.
    for (let c = cols - 1; c >= 0; c -= L.colLabelEvery) {
      const x = L.left + (c + 0.5) * L.colWidth;
      ctx.textAlign = c === cols - 1 && cols > 1 ? 'right' : 'center';
      ctx.fillText(String(M.steps[c]), c === cols - 1 && cols > 1 ? Math.min(L.left + L.plotWidth, x + L.colWidth / 2) : x, L.axisY);
    }
    this.drawLegend(ctx, hot);
    if (this.cursor) {
      const { row, col } = this.cursor;
      ctx.strokeStyle = theme.foreground;
      ctx.lineWidth = 1.5;
      ctx.strokeRect(L.left + col * L.colWidth, L.top + row * L.rowHeight, L.colWidth, L.rowHeight);
    }
  }

  private drawLegend(ctx: CanvasRenderingContext2D, hot: string): void {
    const { legend } = this.layout;
    const n = Math.max(2, Math.round(legend.width));
    for (let i = 0; i < n; i++) {
      // Invert the sqrt ramp: the legend's x is the ramp position, its ticks the values.
      const t = i / (n - 1);
      ctx.fillStyle = heatColor(t * t, this.theme, hot);
      ctx.fillRect(legend.x + i, legend.y, 1.5, legend.height);
    }
    ctx.strokeStyle = this.theme.kind === 'high-contrast' ? this.theme.foreground : this.theme.grid;
    ctx.strokeRect(legend.x - 0.5, legend.y - 0.5, legend.width + 1, legend.height + 1);
    ctx.fillStyle = this.theme.foreground;
    ctx.textBaseline = 'top';
    for (const v of HEAT_TICKS) {
      const x = legend.x + heatPosition(v) * legend.width;
      ctx.textAlign = v === 0 ? 'left' : v === 1 ? 'right' : 'center';
      ctx.fillText(pct(v), x, legend.y + legend.height + 2);
    }
    // What the colours are, in the names' gutter left of the bar.
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    ctx.fillText(fit(ctx, METRIC_TEXT[this.metric], legend.x - 6), legend.x - 4, legend.y + legend.height / 2);
  }
}

/** The heatmap of the shown run, or null before any record. */
export function heatmapChart(subject: Subject | null, metric: HeatMetric, theme: ChartTheme): CanvasContent<HeatmapCanvas> | null {
  const records = subject?.run?.records ?? [];
  if (!subject || !records.length) return null;
  const matrix = heatmapMatrix(subject.model.layers, records, metric);
  if (!matrix) return null;
  const cols = matrix.steps.length;
  // The layer with the highest value at the newest step: the summary a screen reader hears.
  let worst = -1;
  let worstValue = -1;
  matrix.rows.forEach((_, r) => {
    const v = matrix.values[r * cols + cols - 1];
    if (!Number.isNaN(v) && v > worstValue) {
      worst = r;
      worstValue = v;
    }
  });
  const summary =
    `Heatmap of ${METRIC_TEXT[metric]} fraction, ${matrix.rows.length} layers by ${cols} sample points (steps ${matrix.steps[0]} to ${matrix.steps[cols - 1]}). ` +
    (worst >= 0 ? `Highest at step ${matrix.steps[cols - 1]}: ${matrix.rows[worst].name}, ${pct(worstValue)}; highest anywhere ${pct(matrix.max)}.` : 'No values measured.');
  return {
    kind: 'canvas',
    key: `heat|${metric}|${theme.kind}|${matrix.rows.map((r) => r.index).join(',')}`,
    summary,
    caption: `Rows: layers with an activation (${matrix.rows.length}); columns: sample points; colour: fraction ${METRIC_TEXT[metric]}, max ${fmt(matrix.max * 100, 2)}%.`,
    create: (body, width) => new HeatmapCanvas(body, width, matrix, metric, theme, summary),
    refill: (chart) => chart.set(matrix, summary),
  };
}
