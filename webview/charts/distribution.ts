/**
 * Distribution over training of one layer, in the style of the Batch Normalization paper's Figure 1 and
 * TensorBoard's distributions: nested percentile bands over steps (0-100, 6.68-93.32, 15.87-84.13, 30.85-69.15;
 * for a normal distribution min-max, ±1.5σ, ±1σ, ±0.5σ), darker towards the centre, and the median as a line.
 * Pre-activation (what the activation sees: saturation shows here) or the layer's output.
 */
import type uPlot from 'uplot';
import type { Layer } from '../../core/ir';
import { TENSORBOARD_PERCENTILES } from '../../core/probe/config';
import type { PlotContent } from '../components/chartPanel';
import { themedAxis } from '../components/chartPanel';
import { fmt } from '../format';
import type { ChartTheme } from '../theme';
import { withAlpha } from '../theme';
import type { ProbeRun } from '../../core/protocol';
import { MEDIAN, PERCENTILE_BANDS, percentileBands, type Phase } from './chartData';

export function distributionChart(run: ProbeRun | null, layer: Layer | null, phase: Phase, theme: ChartTheme): PlotContent | null {
  if (!run || !layer) return null;
  const bands = percentileBands(run.records, layer.index, phase);
  if (!bands) return null;
  const color = phase === 'pre' ? theme.orange : theme.blue;
  const few = bands.steps.length <= 2;
  // Series 1..9: the percentiles. Only the outer edges and the median are stroked; the rest are band edges.
  const series: uPlot.Series[] = [
    { label: 'step' },
    ...TENSORBOARD_PERCENTILES.map((p, i): uPlot.Series => ({
      label: `p${p}`,
      stroke: i === MEDIAN ? color : i === 0 || i === TENSORBOARD_PERCENTILES.length - 1 ? withAlpha(color, 0.6) : 'transparent',
      width: i === MEDIAN ? 2 : 1,
      spanGaps: true,
      points: { show: few && i === MEDIAN, size: 5, stroke: color, fill: color },
    })),
  ];
  const uBands: uPlot.Band[] = PERCENTILE_BANDS.map(([lo, hi]) => ({ series: [hi + 1, lo + 1], fill: withAlpha(color, theme.bandAlpha) }));
  const values = bands.percentiles.flat().filter((v): v is number => v !== null);
  const magnitude = Math.max(0, ...values.map(Math.abs));
  const last = bands.steps.length - 1;
  const at = (i: number, idx: number) => bands.percentiles[i][idx];
  const where = phase === 'pre' ? 'pre-activation' : 'output';
  const median = at(MEDIAN, last);
  const summary =
    `Distribution of ${layer.name}'s ${where} over ${bands.steps.length} sample points: at step ${bands.steps[last]} ` +
    `median ${fmt(median)}, 15.87th to 84.13th percentile ${fmt(at(2, last))} to ${fmt(at(6, last))}, min ${fmt(at(0, last))}, max ${fmt(at(8, last))}.`;
  return {
    key: `dist|${layer.index}|${phase}|${few}|${magnitude > 10}|${theme.kind}`,
    summary,
    caption: `${layer.name}, ${where}. Bands: percentiles 0–100, 6.7–93.3, 15.9–84.1, 30.9–69.1 (min–max, ±1.5σ, ±1σ, ±0.5σ of a normal); line: median.`,
    readout: (_u, idx) =>
      `step ${bands.steps[idx]}: median ${fmt(at(MEDIAN, idx))} · ±1σ band ${fmt(at(2, idx))} … ${fmt(at(6, idx))} · min ${fmt(at(0, idx))} · max ${fmt(at(8, idx))}`,
    data: [bands.steps, ...bands.percentiles] as uPlot.AlignedData,
    options: {
      scales: {
        x: { time: false },
        // Arcsinh once values leave the unit range by a decade: one exploding tail does not flatten the bands.
        y: magnitude > 10 ? { distr: 4, asinh: 1 } : {},
      },
      axes: [themedAxis(theme, { size: 28 }), themedAxis(theme, { size: 44, values: (_u, t) => t.map((v) => fmt(v)) })],
      series,
      bands: uBands,
      legend: { show: false },
      cursor: { points: { show: false } },
    },
  };
}
