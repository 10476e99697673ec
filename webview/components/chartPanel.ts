/**
 * A titled chart section: sizes the chart to the sidebar, recreates it when its series or the theme change and
 * otherwise only swaps the data (what makes streaming cheap), and exports the canvas as PNG. Charts are uPlot
 * plots or canvases drawn by a chart module of its own (the heatmap); both export the same way.
 */
import uPlot from 'uplot';
import type { ChartTheme } from '../theme';
import { button } from './toolkit';

/** A uPlot chart for the current state: options (without size), data, and a key of the series set. */
export interface PlotContent {
  kind?: 'plot';
  /** Changes when the series (count, names, styles) change: the chart is then rebuilt, not just refilled. */
  key: string;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  /** Read by screen readers in place of the canvas. */
  summary: string;
  /** A line under the chart (what the marks mean, when a legend would not fit). */
  caption?: string;
  /** The values under the cursor, as a sentence (shown under the chart and read by screen readers). */
  readout?: (u: uPlot, idx: number) => string;
}

/** A chart that draws its own canvas (and sizes its height to the width it is given). */
export interface CanvasChart {
  readonly canvas: HTMLCanvasElement;
  setSize(width: number): void;
  destroy(): void;
}

export interface CanvasContent<C extends CanvasChart = CanvasChart> {
  kind: 'canvas';
  key: string;
  summary: string;
  caption?: string;
  /** Make the chart inside `body` at `width` CSS pixels. */
  create(body: HTMLElement, width: number): C;
  /** Give a live chart (same key) the current data. */
  refill(chart: C): void;
}

export type ChartContent = PlotContent | CanvasContent;

export interface ChartSpec {
  /** Stable id: the section's data-chart attribute and the exported file name. */
  id: string;
  title: string;
  height?: number;
  /** null: nothing to draw yet (`empty` is shown instead). */
  build(theme: ChartTheme): ChartContent | null;
  empty: string;
  /** Controls shown under the title (a layer picker, a metric switch). */
  controls?: HTMLElement[];
}

interface Mounted {
  readonly canvas: HTMLCanvasElement;
  setSize(width: number, height: number): void;
  refill(content: ChartContent): void;
  destroy(): void;
}

function mount(content: ChartContent, body: HTMLElement, width: number, height: number, onCursor: (u: uPlot) => void): Mounted {
  if (content.kind === 'canvas') {
    const chart = content.create(body, width);
    return {
      canvas: chart.canvas,
      setSize: (w) => chart.setSize(w),
      refill: (c) => (c as CanvasContent).refill(chart),
      destroy: () => chart.destroy(),
    };
  }
  const hooks = { ...content.options.hooks, setCursor: [...(content.options.hooks?.setCursor ?? []), onCursor] };
  const plot = new uPlot({ ...content.options, hooks, width, height }, content.data, body);
  return {
    canvas: plot.ctx.canvas,
    setSize: (w, h) => plot.setSize({ width: w, height: h }),
    refill: (c) => plot.setData((c as PlotContent).data),
    destroy: () => plot.destroy(),
  };
}

export class ChartPanel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly note: HTMLElement;
  private readonly readout: HTMLElement;
  private readoutOf: PlotContent['readout'] | null = null;
  private readonly exportButton: HTMLElement;
  private chart: Mounted | null = null;
  private key = '';
  private width = 0;

  constructor(
    private readonly spec: ChartSpec,
    onExport: (id: string, png: string) => void,
  ) {
    this.el = document.createElement('section');
    this.el.className = 'chart';
    this.el.dataset.chart = spec.id;
    const header = document.createElement('header');
    const h = document.createElement('h2');
    h.textContent = spec.title;
    h.id = `chart-${spec.id}-title`;
    this.exportButton = button('PNG', { appearance: 'icon', title: `Export the ${spec.title.toLowerCase()} chart as PNG`, onClick: () => this.chart && onExport(spec.id, this.png(this.chart.canvas)) });
    header.append(h, this.exportButton);
    this.body = document.createElement('div');
    this.body.className = 'chart-body';
    this.body.setAttribute('role', 'img');
    this.body.setAttribute('aria-labelledby', h.id);
    this.note = document.createElement('p');
    this.note.className = 'note';
    this.readout = document.createElement('p');
    this.readout.className = 'readout';
    this.readout.setAttribute('aria-live', 'polite');
    this.el.append(header);
    if (spec.controls?.length) {
      const controls = document.createElement('div');
      controls.className = 'chart-controls';
      controls.append(...spec.controls);
      this.el.append(controls);
    }
    this.el.append(this.body, this.readout, this.note);
    new ResizeObserver(() => this.resize()).observe(this.el);
  }

  /** Redraw from the current state; `rebuild` forces new options (the theme changed). */
  update(theme: ChartTheme, rebuild = false): void {
    const content = this.spec.build(theme);
    if (!content) {
      this.destroy();
      this.note.textContent = this.spec.empty;
      this.body.setAttribute('aria-label', this.spec.empty);
      this.exportButton.toggleAttribute('disabled', true);
      return;
    }
    this.note.textContent = content.caption ?? '';
    this.exportButton.toggleAttribute('disabled', false);
    this.readoutOf = content.kind === 'canvas' ? null : (content.readout ?? null);
    // A plot without a readout gets no empty line for one (a canvas chart brings its own).
    this.readout.hidden = !this.readoutOf;
    if (!this.readoutOf) this.readout.textContent = '';
    // A canvas chart with its own focusable parts labels itself; a plot is one image with this description.
    if (content.kind === 'canvas') {
      this.body.removeAttribute('role');
      this.body.removeAttribute('aria-label');
    } else {
      this.body.setAttribute('role', 'img');
      this.body.setAttribute('aria-label', content.summary);
    }
    const width = this.el.clientWidth || 280;
    if (!this.chart || rebuild || content.key !== this.key) {
      this.destroy();
      this.key = content.key;
      this.width = width;
      this.chart = mount(content, this.body, width, this.spec.height ?? 180, (u) => this.showReadout(u));
    } else {
      this.chart.refill(content);
    }
  }

  private showReadout(u: uPlot): void {
    const idx = u.cursor.idx;
    if (!this.readoutOf) return;
    // Leaving the plot keeps the last values: the line does not jump the layout under the pointer.
    if (idx === null || idx === undefined) return;
    this.readout.textContent = this.readoutOf(u, idx);
  }

  /** The canvas on the view's background (the canvas itself is transparent: a PNG of it is unreadable elsewhere). */
  private png(src: HTMLCanvasElement): string {
    const out = document.createElement('canvas');
    out.width = src.width;
    out.height = src.height;
    const g = out.getContext('2d')!;
    g.fillStyle = getComputedStyle(document.body).backgroundColor;
    g.fillRect(0, 0, out.width, out.height);
    g.drawImage(src, 0, 0);
    return out.toDataURL('image/png');
  }

  private resize(): void {
    const width = this.el.clientWidth;
    if (!this.chart || !width || width === this.width) return;
    this.width = width;
    this.chart.setSize(width, this.spec.height ?? 180);
  }

  private destroy(): void {
    this.chart?.destroy();
    this.chart = null;
    this.key = '';
    this.readout.textContent = '';
  }
}

/** Axis options in the theme's colours (uPlot draws text and grid on the canvas, so CSS cannot reach them). */
export function themedAxis(theme: ChartTheme, extra: uPlot.Axis = {}): uPlot.Axis {
  return {
    stroke: theme.foreground,
    font: theme.font,
    labelFont: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1 },
    ...extra,
  };
}
