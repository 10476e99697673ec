/**
 * Depth profile: each layer's output mean and variance, predicted by theory (dashed) and measured (solid: at
 * initialization, and at the newest step once the run has trained), over the (0, 1) band a well-initialized
 * network keeps its activations in.
 */
import type uPlot from 'uplot';
import type { ChartContent } from '../components/chartPanel';
import { themedAxis } from '../components/chartPanel';
import { fmt, plottable } from '../format';
import type { Subject } from '../state';
import type { ChartTheme } from '../theme';
import { byLayer, endpoints, line } from './series';

/** Shade y in [0, 1] behind the series: the target of mean (0) and variance (1). */
function targetBand(theme: ChartTheme): (u: uPlot) => void {
  return (u) => {
    const top = u.valToPos(1, 'y', true);
    const bottom = u.valToPos(0, 'y', true);
    const { left, width, top: t, height } = u.bbox;
    const y0 = Math.max(t, Math.min(top, bottom));
    const y1 = Math.min(t + height, Math.max(top, bottom));
    if (y1 <= y0) return;
    u.ctx.save();
    u.ctx.fillStyle = theme.band;
    u.ctx.fillRect(left, y0, width, y1 - y0);
    u.ctx.restore();
  };
}

export function depthProfile(subject: Subject | null, theme: ChartTheme): ChartContent | null {
  if (!subject || !subject.model.layers.length) return null;
  const layers = subject.model.layers;
  const predicted = new Map((subject.prediction?.layers ?? []).filter((p) => !p.unknown).map((p) => [p.index, p]));
  const { first, last } = endpoints(subject.run);
  const trained = !!last && !!first && last.step > first.step;
  const m0 = byLayer(first);
  const m1 = byLayer(last);
  const x = layers.map((_, i) => i);
  const series: uPlot.Series[] = [{ label: 'layer', value: (_u, v) => (v == null ? '–' : (layers[v]?.name ?? String(v))) }];
  const data: (number | null)[][] = [x];
  // Point markers help a short stack and clutter a deep one.
  const points = layers.length <= 24;
  const add = (s: uPlot.Series, values: (number | null)[]) => {
    s.points = { ...s.points, show: points };
    series.push(s);
    data.push(values);
  };
  add(line('μ theory', theme.blue, { dash: true }), layers.map((l) => plottable(predicted.get(l.index)?.mean)));
  add(line('σ² theory', theme.orange, { dash: true }), layers.map((l) => plottable(predicted.get(l.index)?.variance)));
  if (first) {
    add(line('μ init', theme.blue, { width: 1.5 }), layers.map((l) => plottable(m0.get(l.index)?.mean)));
    add(line('σ² init', theme.orange, { width: 1.5 }), layers.map((l) => plottable(m0.get(l.index)?.variance)));
  }
  if (trained) {
    add(line(`μ step ${last.step}`, theme.purple, { width: 2 }), layers.map((l) => plottable(m1.get(l.index)?.mean)));
    add(line(`σ² step ${last.step}`, theme.red, { width: 2 }), layers.map((l) => plottable(m1.get(l.index)?.variance)));
  }
  const magnitude = Math.max(0, ...data.slice(1).flatMap((v) => v.map((x) => Math.abs(x ?? 0))));
  const lastPred = predicted.get(layers[layers.length - 1].index);
  const lastMeasured = m1.get(layers[layers.length - 1].index);
  const summary = `Depth profile of ${subject.model.name}, ${layers.length} layers: last layer variance predicted ${fmt(lastPred?.variance)}${lastMeasured ? `, measured ${fmt(lastMeasured.variance)}` : ''}.`;
  return {
    key: `${series.map((s) => s.label).join('|')}|${layers.length}|${magnitude > 10}`,
    caption: 'Dashed: theory. Shaded: the (0, 1) band.',
    summary,
    data: data as uPlot.AlignedData,
    options: {
      scales: {
        x: { time: false },
        // Linear while everything is within a decade of the band; arcsinh beyond (linear near 0, logarithmic once a
        // variance explodes by decades), so one exploding layer does not flatten the rest.
        y: magnitude > 10 ? { distr: 4, asinh: 1 } : { range: (_u, min, max) => [Math.min(min ?? 0, -0.2), Math.max(max ?? 1, 1.2)] },
      },
      axes: [
        themedAxis(theme, { size: 28, values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? String(t) : '')) }),
        themedAxis(theme, { size: 44, values: (_u, ticks) => ticks.map((t) => fmt(t)) }),
      ],
      series,
      hooks: { drawClear: [targetBand(theme)] },
      // Names only: a live legend with a value per series takes more height than the chart at sidebar width.
      legend: { live: false },
      cursor: { points: { size: 6 } },
    },
  };
}
