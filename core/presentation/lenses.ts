import type { Layer, Model, SourceRange } from '../ir';
import type { LayerPrediction, ModelPrediction } from '../theory/types';
import { followingActivation } from '../findings/rules';

/** Statistics shown in a lens: from theory ("predicted") or from a probe run ("measured"). */
export interface LensStats {
  mean: number;
  variance: number;
  saturation: number;
  gradGain: number;
}

/** One lens: where it goes, its text, and the layers it summarises. */
export interface LayerLens {
  range: SourceRange;
  text: string;
  tooltip: string;
  layers: number[];
}

const LINEAR = new Set(['dense', 'conv1d', 'conv2d']);

function two(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 0.005 || a >= 1e4)) return x.toExponential(0).replace('e+', 'e');
  return x.toFixed(2);
}

/** `mu 0.00  var 1.00  sat 0%  grad x1.00`: the compact form every lens uses. */
export function statsText(s: LensStats): string {
  return `mu ${two(s.mean)}  var ${two(s.variance)}  sat ${Math.round(s.saturation * 100)}%  grad x${two(s.gradGain)}`;
}

function statsOf(p: LayerPrediction, gradGain = p.gradGain): LensStats {
  return { mean: p.mean, variance: p.variance, saturation: p.saturation, gradGain };
}

/**
 * A "unit" is what a reader sees as one layer: a linear layer with the activation that follows it (its output
 * statistics are the activation's, its gradient gain the product), or any other layer on its own.
 */
interface Unit {
  head: Layer;
  last: Layer;
  members: number[];
}

function units(model: Model): Unit[] {
  const out: Unit[] = [];
  const absorbed = new Set<number>();
  model.layers.forEach((layer, i) => {
    if (absorbed.has(i)) return;
    if (LINEAR.has(layer.kind) && !layer.activation) {
      const act = followingActivation(model, i);
      if (act && act.layer !== layer) {
        const j = model.layers.indexOf(act.layer);
        const members: number[] = [];
        for (let k = i; k <= j; k++) {
          members.push(k);
          absorbed.add(k);
        }
        out.push({ head: layer, last: act.layer, members });
        return;
      }
    }
    if (layer.kind === 'activation' && i > 0 && absorbed.has(i - 1)) return;
    out.push({ head: layer, last: layer, members: [i] });
  });
  return out;
}

function unitStats(u: Unit, pred: ModelPrediction): LensStats | null {
  const ps = u.members.map((i) => pred.layers[i]).filter((p): p is LayerPrediction => !!p);
  const last = pred.layers[u.last.index];
  if (!last || last.unknown) return null;
  return statsOf(last, ps.reduce((a, p) => a * p.gradGain, 1));
}

/** Lenses for a model's layers, grouped by source line (a loop that builds 30 layers gets one lens). */
export function layerLenses(model: Model, pred: ModelPrediction, label = 'predicted'): LayerLens[] {
  const byLine = new Map<string, Unit[]>();
  for (const u of units(model)) {
    const key = `${u.head.range.startLine}:${u.head.range.startColumn}`;
    const list = byLine.get(key) ?? [];
    list.push(u);
    byLine.set(key, list);
  }
  const lenses: LayerLens[] = [];
  for (const group of byLine.values()) {
    const head = group[0].head;
    const layers = group.flatMap((u) => u.members);
    if (group.length === 1) {
      const s = unitStats(group[0], pred);
      const p = pred.layers[group[0].last.index];
      lenses.push({
        range: head.range,
        text: s ? `${label}  ${statsText(s)}` : `${label}  ? (${p?.unknown ?? 'not predicted'})`,
        tooltip: tooltipFor(model, group[0], pred),
        layers,
      });
      continue;
    }
    const first = unitStats(group[0], pred);
    const last = unitStats(group[group.length - 1], pred);
    const gains = group.map((u) => unitStats(u, pred)?.gradGain ?? NaN);
    const perLayer = Math.exp(gains.reduce((a, g) => a + Math.log(g), 0) / gains.length);
    const maxSat = Math.max(...group.map((u) => unitStats(u, pred)?.saturation ?? 0));
    const text =
      first && last
        ? `${label}  x${group.length} layers ${group[0].head.index}-${group[group.length - 1].last.index}: var ${two(first.variance)} -> ${two(last.variance)}  sat <=${Math.round(maxSat * 100)}%  grad x${two(perLayer)}/layer`
        : `${label}  x${group.length} layers: not predicted`;
    lenses.push({ range: head.range, text, tooltip: group.map((u) => tooltipFor(model, u, pred)).join('\n'), layers });
  }
  return lenses;
}

function tooltipFor(model: Model, u: Unit, pred: ModelPrediction): string {
  const p = pred.layers[u.last.index];
  const names = u.members.map((i) => model.layers[i].name).join(' + ');
  if (!p || p.unknown) return `${names}: ${p?.unknown ?? 'not predicted'}`;
  return `${names}: mean ${p.mean.toFixed(4)}, variance ${p.variance.toFixed(4)}, saturation ${(p.saturation * 100).toFixed(1)}%, gradient gain x${p.gradGain.toFixed(4)} (cumulative x${p.cumulativeGradGain.toPrecision(3)})`;
}

/** The model lens: depth summary. */
export function modelLensText(model: Model, pred: ModelPrediction, findings: number): string {
  const linear = model.layers.filter((l) => LINEAR.has(l.kind)).length;
  const partial = model.partial.length ? `  (${model.partial.length} unresolved)` : '';
  return `NormLens ${model.name}: ${linear} weight layers  var x${two(pred.varianceRatio)}  grad x${two(pred.totalGradGain)} over depth  ${findings} finding${findings === 1 ? '' : 's'}${partial}`;
}

/** Unicode sparkline of a series (hover chart fallback and status bar). */
export function sparkline(values: number[]): string {
  const bars = '▁▂▃▄▅▆▇█';
  const finite = values.filter(Number.isFinite);
  if (!finite.length) return '';
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  return values.map((v) => (Number.isFinite(v) ? bars[hi === lo ? 3 : Math.round(((v - lo) / (hi - lo)) * 7)] : ' ')).join('');
}
