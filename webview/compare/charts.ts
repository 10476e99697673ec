/**
 * The Compare panel's charts: every variant's loss over the same steps, and each block's output variance at the
 * last sample point (log scale: a collapsing or exploding variant is decades away from a normalized one).
 * One colour per variant, the same in both charts and the table.
 */
import type uPlot from 'uplot';
import type { ChartContent } from '../components/chartPanel';
import { themedAxis } from '../components/chartPanel';
import { line, mix } from '../charts/series';
import { fmt, plottable } from '../format';
import type { ChartTheme } from '../theme';
import { summarize, type CompareGroup } from './metrics';

/** A variant's colour: as written in the foreground colour, the rest from the chart palette. */
export function variantColor(variant: string, theme: ChartTheme): string {
  switch (variant) {
    case 'batchnorm':
      return theme.blue;
    case 'layernorm':
      return theme.green;
    case 'groupnorm':
      return theme.purple;
    case 'batchrenorm':
      // Pulled towards the text colour: some light themes' chart orange is too pale on white.
      return mix(theme.orange, theme.foreground, 0.35);
    case 'weightnorm':
      return theme.yellow;
    case 'snn':
      return theme.red;
    default:
      return theme.foreground;
  }
}

export function compareLoss(group: CompareGroup | null, theme: ChartTheme): ChartContent | null {
  const runs = (group?.runs ?? []).filter((r) => r.records.length);
  if (!runs.length) return null;
  const steps = [...new Set(runs.flatMap((r) => r.records.map((x) => x.step)))].sort((a, b) => a - b);
  const series: uPlot.Series[] = [{ label: 'step' }];
  const data: (number | null)[][] = [steps];
  for (const r of runs) {
    const at = new Map(r.records.map((x) => [x.step, x.loss]));
    series.push(line(r.group!.label, variantColor(r.group!.variant, theme), { width: r.group!.variant === 'as-written' ? 2.5 : 1.5, points: steps.length < 40 }));
    data.push(steps.map((s) => plottable(at.get(s))));
  }
  const summary = runs.map((r) => `${r.group!.label} ${fmt(summarize(r).finalLoss)}`).join(', ');
  return {
    key: `compare-loss|${group!.id}|${series.map((s) => s.label).join('|')}`,
    caption: 'x: training step. Same seed, data and settings for every variant.',
    summary: `Loss by variant at the last step: ${summary}.`,
    data: data as uPlot.AlignedData,
    options: {
      scales: { x: { time: false }, y: { range: (_u, min, max) => [Math.min(min ?? 0, 0), (max ?? 1) * 1.05 || 1] } },
      axes: [themedAxis(theme, { size: 28 }), themedAxis(theme, { size: 44, values: (_u, t) => t.map((v) => fmt(v)) })],
      series,
      legend: { live: false },
    },
  };
}

export function compareDepth(group: CompareGroup | null, theme: ChartTheme): ChartContent | null {
  const runs = (group?.runs ?? []).filter((r) => r.records.length);
  if (!runs.length) return null;
  const summaries = runs.map((r) => summarize(r));
  const blocks = Math.max(...summaries.map((s) => s.blockVariance.length));
  if (!blocks) return null;
  const series: uPlot.Series[] = [{ label: 'block', value: (_u, v) => (v == null ? '–' : `block ${v + 1}`) }];
  const data: (number | null)[][] = [Array.from({ length: blocks }, (_, i) => i)];
  runs.forEach((r, k) => {
    series.push(line(r.group!.label, variantColor(r.group!.variant, theme), { width: r.group!.variant === 'as-written' ? 2.5 : 1.5, points: blocks <= 24 }));
    // A zero variance has no logarithm: a gap.
    data.push(Array.from({ length: blocks }, (_, i) => {
      const v = plottable(summaries[k].blockVariance[i]);
      return v !== null && v > 0 ? v : null;
    }));
  });
  return {
    key: `compare-depth|${group!.id}|${series.map((s) => s.label).join('|')}|${blocks}`,
    caption: 'Output variance of each block (dense / conv layer with its norm and activation) at the last sample point.',
    summary: `Last hidden block variance by variant: ${runs.map((r, k) => `${r.group!.label} ${fmt(summaries[k].lastHiddenVariance)}`).join(', ')}.`,
    data: data as uPlot.AlignedData,
    options: {
      scales: { x: { time: false }, y: { distr: 3, log: 10 } },
      axes: [
        themedAxis(theme, { size: 28, values: (_u, t) => t.map((v) => (Number.isInteger(v) ? String(v + 1) : '')) }),
        themedAxis(theme, { size: 44, values: (_u, t) => t.map((v) => fmt(v)) }),
      ],
      series,
      legend: { live: false },
    },
  };
}
