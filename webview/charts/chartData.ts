/**
 * The data behind the training charts, as pure functions of the probe records (no DOM, no uPlot): percentile
 * bands over steps, the layer x step heatmap and its layout, and log-scale handling. Unit-tested on their own
 * (test/unit/dashboardCharts.test.ts); the chart modules only draw what these return.
 */
import type { Layer } from '../../core/ir';
import type { LayerSample, ProbeRecord } from '../../core/probe/config';
import { TENSORBOARD_PERCENTILES } from '../../core/probe/config';

/** Which side of the activation a distribution is taken on. */
export type Phase = 'pre' | 'post';

/**
 * Nested percentile bands, outermost first, as index pairs into TENSORBOARD_PERCENTILES: 0-100, 6.68-93.32,
 * 15.87-84.13, 30.85-69.15 (for a normal distribution: min-max, ±1.5σ, ±1σ, ±0.5σ). Index 4 is the median.
 */
export const PERCENTILE_BANDS: readonly (readonly [number, number])[] = [
  [0, 8],
  [1, 7],
  [2, 6],
  [3, 5],
];
export const MEDIAN = 4;

export interface PercentileBands {
  steps: number[];
  /** One row per TENSORBOARD_PERCENTILES entry, one value per step; null where the sample is missing or not finite. */
  percentiles: (number | null)[][];
}

function finite(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function sampleOf(record: ProbeRecord, layerIndex: number): LayerSample | undefined {
  return record.layers.find((s) => s.index === layerIndex);
}

/**
 * The percentiles of one layer over the run's sample points, ready to draw as bands (x: steps). Null when no
 * record measured the layer. A record without the layer, or with a percentile list of the wrong length, leaves a gap.
 */
export function percentileBands(records: readonly ProbeRecord[], layerIndex: number, phase: Phase): PercentileBands | null {
  if (!records.some((r) => sampleOf(r, layerIndex))) return null;
  const n = TENSORBOARD_PERCENTILES.length;
  const percentiles: (number | null)[][] = Array.from({ length: n }, () => []);
  for (const r of records) {
    const s = sampleOf(r, layerIndex);
    const p = s ? (phase === 'pre' ? s.percentilesPre : s.percentilesPost) : null;
    const ok = !!p && p.length === n;
    for (let i = 0; i < n; i++) percentiles[i].push(ok ? finite(p[i]) : null);
  }
  return { steps: records.map((r) => r.step), percentiles };
}

/** Layers measured by the run, in model order: the choices of the distribution chart's layer picker. */
export function sampledLayers(layers: readonly Layer[], records: readonly ProbeRecord[]): Layer[] {
  const seen = new Set(records.flatMap((r) => r.layers.map((s) => s.index)));
  return layers.filter((l) => seen.has(l.index));
}

/** The layer the distribution chart shows when the user has chosen none: the first with a non-linear activation. */
export function defaultDistributionLayer(layers: readonly Layer[]): Layer | null {
  return layers.find((l) => l.activation && l.activation.name !== 'linear') ?? layers[0] ?? null;
}

/** A value a log axis can place: positive and finite; zero, negatives, NaN and infinities become gaps (null). */
export function logPositive(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null;
}

/**
 * A decade-aligned log axis range covering the plottable values and the guide lines (so a rule-of-thumb line is
 * always on the chart). Without any plottable value or guide: [0.1, 10].
 */
export function logRange(values: readonly (number | null | undefined)[], guides: readonly number[] = []): [number, number] {
  const xs = [...values, ...guides].map(logPositive).filter((v): v is number => v !== null);
  if (!xs.length) return [0.1, 10];
  let lo = Math.floor(Math.log10(Math.min(...xs)) + 1e-9);
  let hi = Math.ceil(Math.log10(Math.max(...xs)) - 1e-9);
  if (hi <= lo) {
    lo -= 1;
    hi += 1;
  }
  // Parsed, not 10 ** n: 10 ** -5 is 9.999999999999999e-6, and the axis's end ticks should be exact decades.
  return [Number(`1e${lo}`), Number(`1e${hi}`)];
}

/**
 * Tick label on a log axis: decades only (uPlot also ticks 2x, 3x, ... 9x, whose labels would collide at sidebar
 * width), plain from 0.01 to 1000, exponent form beyond ('1e-4').
 */
export function logTickLabel(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return '';
  const e = Math.log10(v);
  const r = Math.round(e);
  if (Math.abs(e - r) > 1e-6) return '';
  return r >= -2 && r <= 3 ? String(Number(`1e${r}`)) : `1e${r}`;
}

/**
 * Tick positions on a log axis: whole decades only, thinned to every 2nd, 3rd, ... decade so at most `maxTicks`
 * remain (uPlot's own log ticks add 2x..9x of every decade: over twenty decades that is a solid block of grid).
 */
export function logDecades(min: number, max: number, maxTicks: number): number[] {
  if (!(min > 0) || !(max > 0) || !Number.isFinite(min) || !Number.isFinite(max) || max < min) return [];
  const lo = Math.ceil(Math.log10(min) - 1e-9);
  const hi = Math.floor(Math.log10(max) + 1e-9);
  const count = hi - lo + 1;
  if (count <= 0) return [];
  const every = Math.max(1, Math.ceil(count / Math.max(1, maxTicks)));
  const out: number[] = [];
  // Anchored at the top decade, so the largest value's decade is always labelled.
  for (let e = hi; e >= lo; e -= every) out.unshift(Number(`1e${e}`));
  return out;
}

/** A weight layer's update ratio lr·‖g‖/‖W‖ a little under this moves weights at a healthy pace (Karpathy's rule of thumb). */
export const UPDATE_RATIO_GUIDE = 1e-3;

/** What the heatmap colours: the saturated fraction or the dead-unit fraction. */
export type HeatMetric = 'saturation' | 'dead';

export interface HeatmapMatrix {
  /** One row per layer, in model order. */
  rows: { index: number; name: string }[];
  /** One column per sample point. */
  steps: number[];
  /** rows x columns, row-major; NaN where the record lacks the layer or the value is not finite. In [0, 1] otherwise. */
  values: Float64Array;
  /** Largest value present (0 when none). */
  max: number;
}

/**
 * Layer x step matrix of `metric`. Rows are the layers with a non-linear activation (where saturation and dead
 * units are defined; a linear layer's row would be zeros), or every sampled layer when none has one.
 */
export function heatmapMatrix(layers: readonly Layer[], records: readonly ProbeRecord[], metric: HeatMetric): HeatmapMatrix | null {
  const sampled = sampledLayers(layers, records);
  if (!sampled.length) return null;
  const activated = sampled.filter((l) => l.activation && l.activation.name !== 'linear');
  const rows = (activated.length ? activated : sampled).map((l) => ({ index: l.index, name: l.name }));
  const cols = records.length;
  const values = new Float64Array(rows.length * cols).fill(NaN);
  let max = 0;
  records.forEach((r, c) => {
    const byIndex = new Map(r.layers.map((s) => [s.index, s]));
    rows.forEach((row, i) => {
      const v = finite(byIndex.get(row.index)?.[metric]);
      if (v === null) return;
      const clamped = Math.min(1, Math.max(0, v));
      values[i * cols + c] = clamped;
      max = Math.max(max, clamped);
    });
  });
  return { rows, steps: records.map((r) => r.step), values, max };
}

/**
 * Where a value sits on the colour ramp: sqrt, so a few percent is already visible while 50 % (the saturation
 * finding's threshold) sits at 0.71. The legend is drawn with the same mapping.
 */
export function heatPosition(v: number): number {
  return Number.isFinite(v) ? Math.sqrt(Math.min(1, Math.max(0, v))) : NaN;
}

/** Ticks of the heatmap legend, as fractions. */
export const HEAT_TICKS: readonly number[] = [0, 0.1, 0.25, 0.5, 1];

export interface HeatmapLayout {
  width: number;
  height: number;
  /** Plot area (cells), CSS pixels. */
  left: number;
  top: number;
  plotWidth: number;
  plotHeight: number;
  rowHeight: number;
  colWidth: number;
  /** Label every this many rows / columns so labels do not collide. */
  rowLabelEvery: number;
  colLabelEvery: number;
  /** Baseline of the step labels, and the legend bar's box. */
  axisY: number;
  legend: { x: number; y: number; width: number; height: number };
}

/**
 * Fit `rows` x `cols` cells into `width` CSS pixels: rows get 2-14 px each (the plot never grows past ~360 px, so
 * 64+ layers fit a sidebar), the layer names a gutter of a quarter of the width, and labels are thinned to one
 * every 12 px (rows) / 34 px (steps).
 */
export function heatmapLayout(rows: number, cols: number, width: number): HeatmapLayout {
  const left = Math.round(Math.min(96, Math.max(44, width * 0.26)));
  const right = 6;
  const top = 4;
  const plotWidth = Math.max(20, width - left - right);
  const rowHeight = Math.max(2, Math.min(14, Math.floor(360 / Math.max(1, rows))));
  const plotHeight = rowHeight * rows;
  const colWidth = plotWidth / Math.max(1, cols);
  const axisY = top + plotHeight + 13;
  const legend = { x: left, y: axisY + 10, width: Math.min(plotWidth, 200), height: 8 };
  return {
    width,
    height: legend.y + legend.height + 16,
    left,
    top,
    plotWidth,
    plotHeight,
    rowHeight,
    colWidth,
    rowLabelEvery: Math.max(1, Math.ceil(12 / rowHeight)),
    colLabelEvery: Math.max(1, Math.ceil(34 / colWidth)),
    axisY,
    legend,
  };
}

/** The cell under a point (CSS pixels in the canvas), or null outside the cells. */
export function heatmapCellAt(layout: HeatmapLayout, rows: number, cols: number, x: number, y: number): { row: number; col: number } | null {
  const col = Math.floor((x - layout.left) / layout.colWidth);
  const row = Math.floor((y - layout.top) / layout.rowHeight);
  if (x < layout.left || y < layout.top || col < 0 || row < 0 || col >= cols || row >= rows) return null;
  return { row, col };
}

/** Theorem 1's domain for the incoming mean and variance (Klambauer et al. 2017; reference.md). */
export const THEOREM1_BOX = { muMin: -0.1, muMax: 0.1, nuMin: 0.8, nuMax: 1.5 } as const;

export function inTheorem1Box(mu: number, nu: number): boolean {
  return mu >= THEOREM1_BOX.muMin && mu <= THEOREM1_BOX.muMax && nu >= THEOREM1_BOX.nuMin && nu <= THEOREM1_BOX.nuMax;
}

/** One layer's (mean, variance) at each sample point, with its step; points with a non-finite coordinate are left out. */
export function meanVarianceTrajectory(records: readonly ProbeRecord[], layerIndex: number): { step: number; mean: number; variance: number }[] {
  const out: { step: number; mean: number; variance: number }[] = [];
  for (const r of records) {
    const s = sampleOf(r, layerIndex);
    const mean = finite(s?.mean);
    const variance = finite(s?.variance);
    if (mean !== null && variance !== null) out.push({ step: r.step, mean, variance });
  }
  return out;
}
