/**
 * Charts of the training a probe ran: the loss per sample point, and each weight layer's gradient norm
 * (log scale: vanishing and exploding gradients differ by decades) at initialization and at the newest step.
 */
import type uPlot from 'uplot';
import type { ChartContent } from '../components/chartPanel';
import { themedAxis } from '../components/chartPanel';
import { fmt, plottable } from '../format';
import type { Subject } from '../state';
import type { ChartTheme } from '../theme';
import { byLayer, endpoints, line } from './series';

export function lossCurve(subject: Subject | null, theme: ChartTheme): ChartContent | null {
  const records = subject?.run?.records ?? [];
  if (!records.length) return null;
  const steps = records.map((r) => r.step);
  const loss = records.map((r) => plottable(r.loss));
  const last = records[records.length - 1];
  return {
    key: 'loss',
    caption: 'x: training step.',
    summary: `Loss over ${last.step} steps: ${fmt(records[0].loss)} at step 0, ${fmt(last.loss)} at step ${last.step}.`,
    data: [steps, loss],
    options: {
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(min ?? 0, 0), (max ?? 1) * 1.05 || 1] } },
      axes: [themedAxis(theme, { size: 28 }), themedAxis(theme, { size: 44, values: (_u, t) => t.map((v) => fmt(v)) })],
      series: [{ label: 'step' }, line('loss', theme.blue, { width: 2, points: records.length < 60 })],
      // Names only: a live legend with a value per series takes more height than the chart at sidebar width.
      legend: { live: false },
    },
  };
}

export function gradientNorms(subject: Subject | null, theme: ChartTheme): ChartContent | null {
  const { first, last } = endpoints(subject?.run ?? null);
  if (!subject || !first || !last) return null;
  // Only layers with a weight have a gradient norm; the x axis counts those, labelled by name in the legend.
  const weighted = subject.model.layers.filter((l) => first.layers.some((s) => s.index === l.index && s.gradNorm !== null));
  if (!weighted.length) return null;
  const g0 = byLayer(first);
  const g1 = byLayer(last);
  // A zero norm has no logarithm: drawn as a gap.
  const positive = (v: number | null | undefined) => {
    const p = plottable(v);
    return p !== null && p > 0 ? p : null;
  };
  const series: uPlot.Series[] = [{ label: 'layer', value: (_u, v) => (v == null ? '–' : (weighted[v]?.name ?? String(v))) }, line('‖∇W‖ init', theme.green)];
  const data: (number | null)[][] = [weighted.map((_, i) => i), weighted.map((l) => positive(g0.get(l.index)?.gradNorm))];
  if (last.step > first.step) {
    series.push(line(`‖∇W‖ step ${last.step}`, theme.purple, { width: 2 }));
    data.push(weighted.map((l) => positive(g1.get(l.index)?.gradNorm)));
  }
  const firstNorm = g0.get(weighted[0].index)?.gradNorm;
  const lastNorm = g0.get(weighted[weighted.length - 1].index)?.gradNorm;
  return {
    key: series.map((s) => s.label).join('|') + weighted.length,
    summary: `Gradient norm by layer at initialization: ${fmt(firstNorm)} at the first weight layer, ${fmt(lastNorm)} at the last.`,
    data: data as uPlot.AlignedData,
    options: {
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [
        themedAxis(theme, { size: 28, values: (_u, t) => t.map((v) => (Number.isInteger(v) && weighted[v] ? weighted[v].name : '')) }),
        themedAxis(theme, { size: 44, values: (_u, t) => t.map((v) => fmt(v)) }),
      ],
      series,
      // Names only: a live legend with a value per series takes more height than the chart at sidebar width.
      legend: { live: false },
    },
  };
}
