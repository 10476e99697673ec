/**
 * The (mean, variance) plane of a SELU network (Klambauer et al. 2017): the fixed point (0, 1), Theorem 1's box
 * (mu in [-0.1, 0.1], nu in [0.8, 1.5]: from there the SELU map contracts towards the fixed point), each SELU
 * layer's predicted point (hollow) and its measured trajectory over training (solid, coloured by depth).
 */
import uPlot from 'uplot';
import type { Layer } from '../../core/ir';
import type { ChartContent } from '../components/chartPanel';
import { themedAxis } from '../components/chartPanel';
import { fmt, plottable } from '../format';
import type { Subject } from '../state';
import type { ChartTheme } from '../theme';
import { mix } from './series';
import { THEOREM1_BOX, inTheorem1Box, meanVarianceTrajectory } from './chartData';


/** Layers whose output is a SELU activation: the points the theorem speaks about. */
export function seluLayers(layers: Layer[]): Layer[] {
  return layers.filter((l) => l.activation?.name === 'selu');
}

function drawDomain(theme: ChartTheme): (u: uPlot) => void {
  return (u) => {
    const { ctx } = u;
    const x0 = u.valToPos(THEOREM1_BOX.muMin, 'x', true);
    const x1 = u.valToPos(THEOREM1_BOX.muMax, 'x', true);
    const y0 = u.valToPos(THEOREM1_BOX.nuMax, 'y', true);
    const y1 = u.valToPos(THEOREM1_BOX.nuMin, 'y', true);
    ctx.save();
    ctx.fillStyle = theme.band;
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.strokeStyle = theme.green;
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 3]);
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.setLineDash([]);
    const px = 10 * devicePixelRatio;
    ctx.font = theme.font.replace(/^(\d+)px/, `${px}px`);
    ctx.textAlign = 'left';
    ctx.fillStyle = theme.green;
    ctx.textBaseline = 'bottom';
    ctx.fillText('Thm 1', x0, y0 - 2 * devicePixelRatio);
    ctx.restore();
  };
}

/** The fixed point (0, 1): a cross on a background-coloured halo, drawn last so trajectories never hide it. */
function drawFixedPoint(theme: ChartTheme): (u: uPlot) => void {
  return (u) => {
    const { ctx } = u;
    const fx = u.valToPos(0, 'x', true);
    const fy = u.valToPos(1, 'y', true);
    const r = 6 * devicePixelRatio;
    ctx.save();
    ctx.lineCap = 'round';
    for (const [color, width] of [
      [theme.background, 4],
      [theme.foreground, 1.5],
    ] as const) {
      ctx.strokeStyle = color;
      ctx.lineWidth = width * devicePixelRatio;
      ctx.beginPath();
      ctx.moveTo(fx - r, fy);
      ctx.lineTo(fx + r, fy);
      ctx.moveTo(fx, fy - r);
      ctx.lineTo(fx, fy + r);
      ctx.stroke();
    }
    // Named on the chart itself, so an exported PNG explains itself.
    ctx.font = theme.font.replace(/^(\d+)px/, `${10 * devicePixelRatio}px`);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.lineWidth = 3 * devicePixelRatio;
    ctx.strokeStyle = theme.background;
    ctx.strokeText('(0, 1)', fx + r * 0.6, fy + r * 0.4);
    ctx.fillStyle = theme.foreground;
    ctx.fillText('(0, 1)', fx + r * 0.6, fy + r * 0.4);
    ctx.restore();
  };
}

interface Trajectory {
  color: string;
  points: [number, number][];
}

/** Measured trajectories (a line through the sample points, a dot at the newest) and hollow theory points. */
function drawMarks(theory: [number, number][], trajectories: Trajectory[], theme: ChartTheme): (u: uPlot) => void {
  return (u) => {
    const { ctx } = u;
    const px = (p: [number, number]): [number, number] => [u.valToPos(p[0], 'x', true), u.valToPos(p[1], 'y', true)];
    const r = 3 * devicePixelRatio;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
    for (const t of trajectories) {
      if (!t.points.length) continue;
      // Where the layer started (initialization): a small hollow square, so the direction of travel reads.
      const [sx, sy] = px(t.points[0]);
      ctx.strokeStyle = t.color;
      ctx.lineWidth = devicePixelRatio;
      ctx.strokeRect(sx - r * 0.8, sy - r * 0.8, r * 1.6, r * 1.6);
      ctx.strokeStyle = t.color;
      ctx.fillStyle = t.color;
      ctx.lineWidth = 1.5 * devicePixelRatio;
      ctx.beginPath();
      t.points.forEach((p, i) => (i ? ctx.lineTo(...px(p)) : ctx.moveTo(...px(p))));
      ctx.stroke();
      const [x, y] = px(t.points[t.points.length - 1]);
      ctx.beginPath();
      ctx.arc(x, y, r, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.strokeStyle = theme.foreground;
    ctx.lineWidth = 1.25 * devicePixelRatio;
    for (const p of theory) {
      const [x, y] = px(p);
      ctx.beginPath();
      ctx.arc(x, y, r + devicePixelRatio, 0, 2 * Math.PI);
      ctx.stroke();
    }
    ctx.restore();
  };
}

export function seluPlane(subject: Subject | null, theme: ChartTheme): ChartContent | null {
  const layers = subject ? seluLayers(subject.model.layers) : [];
  if (!subject || !layers.length) return null;
  const records = subject.run?.records ?? [];
  const predicted = new Map((subject.prediction?.layers ?? []).filter((p) => !p.unknown).map((p) => [p.index, p]));
  const point = (mu: number | null | undefined, nu: number | null | undefined): [number, number] | null => {
    const x = plottable(mu);
    const y = plottable(nu);
    return x === null || y === null ? null : [x, y];
  };
  const theory = layers.map((l) => point(predicted.get(l.index)?.mean, predicted.get(l.index)?.variance)).filter((p): p is [number, number] => !!p);
  const trajectories: Trajectory[] = layers.map((l, i) => ({
    color: mix(theme.blue, theme.orange, layers.length > 1 ? i / (layers.length - 1) : 0),
    points: meanVarianceTrajectory(records, l.index).map((p): [number, number] => [p.mean, p.variance]),
  }));
  // uPlot only ranges the axes from these (invisible) series; the marks are drawn by drawMarks.
  const all = [...theory, ...trajectories.flatMap((t) => t.points)];
  const series: uPlot.Series[] = [{}, { label: 'all', paths: () => null, points: { show: false } }];
  const data = [null, [all.map((p) => p[0]), all.map((p) => p[1])]];
  const last = records[records.length - 1];
  const inBox = last
    ? layers.filter((l) => {
        const s = last.layers.find((x) => x.index === l.index);
        return !!s && inTheorem1Box(s.mean, s.variance);
      }).length
    : null;
  const summary = `SELU mean-variance plane: ${layers.length} SELU layers${inBox === null ? '' : `, ${inBox} inside Theorem 1's box at step ${last.step}`}.`;
  return {
    // The marks are drawn from this closure: a new record must rebuild the chart, not only refill it.
    key: `selu|${records.length}|${layers.length}`,
    summary,
    caption: `+ fixed point (0, 1); box: Theorem 1's domain; ○ theory; lines: measured over training from □ (init) to ● (newest), first SELU layer blue → last orange.${inBox === null ? '' : ` ${inBox}/${layers.length} layers in the box at step ${last.step}.`}`,
    data: data as unknown as uPlot.AlignedData,
    options: {
      mode: 2,
      scales: {
        x: { time: false, range: (_u, min, max) => [Math.min(min ?? -0.3, -0.3), Math.max(max ?? 0.3, 0.3)] },
        y: { range: (_u, min, max) => [Math.min(min ?? 0.5, 0.5), Math.max(max ?? 1.8, 1.8)] },
      },
      axes: [themedAxis(theme, { label: 'mean μ', labelSize: 16, values: (_u, t) => t.map((v) => fmt(v)) }), themedAxis(theme, { label: 'variance ν', labelSize: 16, size: 44, values: (_u, t) => t.map((v) => fmt(v)) })],
      series,
      hooks: { drawClear: [drawDomain(theme)], draw: [drawMarks(theory, trajectories, theme), drawFixedPoint(theme)] },
      legend: { show: false },
      cursor: { show: false },
    },
  };
}
