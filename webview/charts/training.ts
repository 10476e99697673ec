/**
 * Charts of the training a probe ran: the loss per sample point, and each weight layer's gradient norm
 * (log scale: vanishing and exploding gradients differ by decades) at initialization and at the newest step.
 */
import type uPlot from 'uplot';
import type { PlotContent } from '../components/chartPanel';
import { themedAxis } from '../components/chartPanel';
import { fmt, plottable } from '../format';
import type { Subject } from '../state';
import type { ChartTheme } from '../theme';
import { byLayer, endpoints, line } from './series';
import { logDecades, logPositive, logRange, logTickLabel, UPDATE_RATIO_GUIDE } from './chartData';
import type { Layer } from '../../core/ir';
import type { ProbeRecord } from '../../core/probe/config';

export function lossCurve(subject: Subject | null, theme: ChartTheme): PlotContent | null {
  const records = subject?.run?.records ?? [];
  if (!records.length) return null;
  const steps = records.map((r) => r.step);
  const loss = records.map((r) => plottable(r.loss));
  const last = records[records.length - 1];
  return {
    key: 'loss',
    caption: 'x: training step.',
    readout: (_u, idx) => `step ${steps[idx]}: loss ${fmt(records[idx]?.loss)}`,
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

export function gradientNorms(subject: Subject | null, theme: ChartTheme): PlotContent | null {
  const { first, last } = endpoints(subject?.run ?? null);
  if (!subject || !first || !last) return null;
  // Only layers with a weight have a gradient norm; the x axis counts those, labelled by name in the legend.
  const weighted = subject.model.layers.filter((l) => first.layers.some((s) => s.index === l.index && s.gradNorm !== null));
  if (!weighted.length) return null;
  const g0 = byLayer(first);
  const g1 = byLayer(last);
  // A zero norm has no logarithm: drawn as a gap.
  const positive = logPositive;
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
    readout: (_u, idx) => {
      const l = weighted[idx];
      if (!l) return '';
      const parts = [`${l.name}: init ${fmt(g0.get(l.index)?.gradNorm)}`];
      if (last.step > first.step) parts.push(`step ${last.step} ${fmt(g1.get(l.index)?.gradNorm)}`);
      return parts.join(' · ');
    },
    data: data as uPlot.AlignedData,
    options: {
      scales: { x: { time: false }, y: { distr: 3, log: 10, range: () => logRange(data.slice(1).flat()) } },
      axes: [
        themedAxis(theme, { size: 28, values: (_u, t) => t.map((v) => (Number.isInteger(v) && weighted[v] ? weighted[v].name : '')) }),
        themedAxis(theme, { size: 44, values: (_u, t) => t.map(logTickLabel), splits: (u, _i, min, max) => logDecades(min, max, Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 26))), filter: (_u, splits) => splits }),
      ],
      series,
      // Names only: a live legend with a value per series takes more height than the chart at sidebar width.
      legend: { live: false },
    },
  };
}

/** Weight layers of the model that the first record measured a gradient for. */
function weightLayers(subject: Subject, first: ProbeRecord): Layer[] {
  return subject.model.layers.filter((l) => first.layers.some((s) => s.index === l.index && s.gradNorm !== null));
}

/** A dashed horizontal rule at `value` on the y scale, labelled at the right. */
function guideLine(value: number, label: string, theme: ChartTheme): (u: uPlot) => void {
  return (u) => {
    const y = u.valToPos(value, 'y', true);
    const { left, top, width, height } = u.bbox;
    if (y < top || y > top + height) return;
    const { ctx } = u;
    const dpr = devicePixelRatio;
    ctx.save();
    ctx.strokeStyle = theme.muted;
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.beginPath();
    ctx.moveTo(left, y);
    ctx.lineTo(left + width, y);
    ctx.stroke();
    ctx.fillStyle = theme.muted;
    ctx.font = theme.font.replace(/^(\d+)px/, (_m, px: string) => `${Number(px) * dpr}px`);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText(label, left + width - 2 * dpr, y - 2 * dpr);
    ctx.restore();
  };
}

/**
 * Update ratio lr·‖∇W‖/‖W‖ of each weight layer (log scale) at initialization and at the newest step, against the
 * 1e-3 rule of thumb: far below it a layer barely learns, far above it the weights churn.
 */
export function updateRatios(subject: Subject | null, theme: ChartTheme): PlotContent | null {
  const { first, last } = endpoints(subject?.run ?? null);
  if (!subject || !first || !last) return null;
  const weighted = weightLayers(subject, first);
  if (!weighted.length) return null;
  const r0 = byLayer(first);
  const r1 = byLayer(last);
  const trained = last.step > first.step;
  const series: uPlot.Series[] = [{ label: 'layer' }, line('ratio init', theme.green)];
  const data: (number | null)[][] = [weighted.map((_, i) => i), weighted.map((l) => logPositive(r0.get(l.index)?.updateRatio))];
  if (trained) {
    series.push(line(`ratio step ${last.step}`, theme.purple, { width: 2 }));
    data.push(weighted.map((l) => logPositive(r1.get(l.index)?.updateRatio)));
  }
  const shown = trained ? r1 : r0;
  const ratios = weighted.map((l) => shown.get(l.index)?.updateRatio ?? null);
  const below = ratios.filter((r) => r !== null && Number.isFinite(r) && r < UPDATE_RATIO_GUIDE / 10).length;
  const above = ratios.filter((r) => r !== null && Number.isFinite(r) && r > UPDATE_RATIO_GUIDE * 10).length;
  const step = trained ? `step ${last.step}` : 'initialization';
  return {
    key: `ratio|${series.map((s) => s.label).join('|')}|${weighted.length}`,
    summary: `Update ratio by layer at ${step}: ${below} of ${weighted.length} weight layers more than ten times below 1e-3, ${above} more than ten times above.`,
    caption: 'lr·‖∇W‖/‖W‖ per weight layer; dashed: the 1e-3 rule of thumb.',
    readout: (_u, idx) => {
      const l = weighted[idx];
      if (!l) return '';
      const parts = [`${l.name}: init ${fmt(r0.get(l.index)?.updateRatio)}`];
      if (trained) parts.push(`step ${last.step} ${fmt(r1.get(l.index)?.updateRatio)}`);
      return parts.join(' · ');
    },
    data: data as uPlot.AlignedData,
    options: {
      scales: { x: { time: false }, y: { distr: 3, log: 10, range: () => logRange(data.slice(1).flat(), [UPDATE_RATIO_GUIDE / 3, UPDATE_RATIO_GUIDE * 3]) } },
      axes: [
        themedAxis(theme, { size: 28, values: (_u, t) => t.map((v) => (Number.isInteger(v) && weighted[v] ? weighted[v].name : '')) }),
        themedAxis(theme, { size: 44, values: (_u, t) => t.map(logTickLabel), splits: (u, _i, min, max) => logDecades(min, max, Math.max(2, Math.floor(u.bbox.height / devicePixelRatio / 26))), filter: (_u, splits) => splits }),
      ],
      series,
      hooks: { draw: [guideLine(UPDATE_RATIO_GUIDE, '1e-3', theme)] },
      legend: { live: false },
    },
  };
}
