import type { Layer, Model, SourceRange } from '../ir';
import type { LayerPrediction, ModelPrediction } from '../theory/types';
import { followingActivation, weightGradientRatio } from '../findings/rules';

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

/**
 * Two decimals; tiny or huge values in exponent form when `small` says they matter (a variance of 1e-6 is a
 * collapse worth seeing, a mean of 6e-17 is zero).
 */
export function two(x: number, small = true): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e4 || (small && a !== 0 && a < 0.005)) return x.toExponential(0).replace('e+', 'e');
  return (Math.abs(x) < 0.005 ? 0 : x).toFixed(2);
}

/** `mu 0.00  var 1.00  sat 0%  grad x1.00`: the compact form every lens uses. */
export function statsText(s: LensStats): string {
  return `mu ${two(s.mean, false)}  var ${two(s.variance)}  sat ${Math.round(s.saturation * 100)}%  grad x${two(s.gradGain)}`;
}

function statsOf(p: LayerPrediction, gradGain = p.gradGain): LensStats {
  return { mean: p.mean, variance: p.variance, saturation: p.saturation, gradGain };
}

/**
 * A "unit" is what a reader sees as one layer: a linear layer with the activation that follows it (its output
 * statistics are the activation's, its gradient gain the product), or any other layer on its own.
 */
export interface Unit {
  head: Layer;
  last: Layer;
  members: number[];
}

export function units(model: Model): Unit[] {
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

/** Lenses for a model's layers, one per source line (a loop that builds 30 layers gets one summary lens). */
export function layerLenses(model: Model, pred: ModelPrediction, label = 'predicted'): LayerLens[] {
  const byLine = new Map<number, Unit[]>();
  for (const u of units(model)) {
    const line = u.head.range.startLine;
    byLine.set(line, [...(byLine.get(line) ?? []), u]);
  }
  const lenses: LayerLens[] = [];
  for (const group of byLine.values()) {
    const head = group[0].head;
    const layers = group.flatMap((u) => u.members);
    const tooltip = group.map((u) => tooltipFor(model, u, pred)).join('\n');
    if (group.length === 1) {
      const s = unitStats(group[0], pred);
      const p = pred.layers[group[0].last.index];
      lenses.push({ range: head.range, text: s ? `${label}  ${statsText(s)}` : `${label}  ? (${p?.unknown ?? 'not predicted'})`, tooltip, layers });
      continue;
    }
    const stats = group.map((u) => unitStats(u, pred));
    const first = stats[0];
    const last = stats[stats.length - 1];
    const known = stats.filter((x): x is LensStats => x !== null);
    // Units repeat in the loop (e.g. Linear+SELU, AlphaDropout): per repetition, the gain of one of each.
    const kinds = new Set(group.map((u) => u.head.kind)).size;
    const perRepeat = Math.exp((known.reduce((a, x) => a + Math.log(x.gradGain), 0) / Math.max(known.length, 1)) * kinds);
    const maxSat = Math.max(0, ...known.map((x) => x.saturation));
    const span = `layers ${layers[0]}-${layers[layers.length - 1]} (${layers.length} built here)`;
    const text =
      first && last
        ? `${label}  ${span}: var ${two(first.variance)} -> ${two(last.variance)}  sat <=${Math.round(maxSat * 100)}%  grad x${two(perRepeat)}/repeat`
        : `${label}  ${span}: not predicted`;
    lenses.push({ range: head.range, text, tooltip, layers });
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
  const { ratio, weightLayers } = weightGradientRatio(model, pred);
  const partial = model.partial.length ? `  (${model.partial.length} unresolved)` : '';
  return `NormLens ${model.name}: ${weightLayers} weight layers  var x${two(pred.varianceRatio)}  grad first/last x${two(ratio)}  ${findings} finding${findings === 1 ? '' : 's'}${partial}`;
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
