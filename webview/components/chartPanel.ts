/**
 * A titled chart section around uPlot: sizes the chart to the sidebar, recreates it when its series or the theme
 * change and otherwise only swaps the data (what makes streaming cheap), and exports the canvas as PNG.
 */
import uPlot from 'uplot';
import type { ChartTheme } from '../theme';
import { button } from './toolkit';

/** What a chart builder returns for the current state: options (without size), data, and a key of the series set. */
export interface ChartContent {
  /** Changes when the series (count, names, styles) change: the chart is then rebuilt, not just refilled. */
  key: string;
  options: Omit<uPlot.Options, 'width' | 'height'>;
  data: uPlot.AlignedData;
  /** Read by screen readers in place of the canvas. */
  summary: string;
  /** A line under the chart (what the marks mean, when a legend would not fit). */
  caption?: string;
}

export interface ChartSpec {
  /** Stable id: the section's data-chart attribute and the exported file name. */
  id: string;
  title: string;
  height?: number;
  /** null: nothing to draw yet (`empty` is shown instead). */
  build(theme: ChartTheme): ChartContent | null;
  empty: string;
}

export class ChartPanel {
  readonly el: HTMLElement;
  private readonly body: HTMLElement;
  private readonly note: HTMLElement;
  private readonly exportButton: HTMLElement;
  private chart: uPlot | null = null;
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
    this.exportButton = button('PNG', { appearance: 'icon', title: `Export the ${spec.title.toLowerCase()} chart as PNG`, onClick: () => this.chart && onExport(spec.id, this.png(this.chart)) });
    header.append(h, this.exportButton);
    this.body = document.createElement('div');
    this.body.className = 'chart-body';
    this.body.setAttribute('role', 'img');
    this.body.setAttribute('aria-labelledby', h.id);
    this.note = document.createElement('p');
    this.note.className = 'note';
    this.el.append(header, this.body, this.note);
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
    this.body.setAttribute('aria-label', content.summary);
    const width = this.el.clientWidth || 280;
    if (!this.chart || rebuild || content.key !== this.key) {
      this.destroy();
      this.key = content.key;
      this.width = width;
      this.chart = new uPlot({ ...content.options, width, height: this.spec.height ?? 180 }, content.data, this.body);
    } else {
      this.chart.setData(content.data);
    }
  }

  /** The canvas on the view's background (the canvas itself is transparent: a PNG of it is unreadable elsewhere). */
  private png(chart: uPlot): string {
    const src = chart.ctx.canvas;
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
    this.chart.setSize({ width, height: this.spec.height ?? 180 });
  }

  private destroy(): void {
    this.chart?.destroy();
    this.chart = null;
    this.key = '';
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
