/**
 * Lens texts for measured statistics: what a probe run saw at its last finite record, grouped like the predicted
 * lenses (a linear layer with its activation is one unit; layers built on one source line share one lens).
 */
import type { Model } from '../ir';
import type { Divergence, LayerSample, ProbeRecord } from '../probe/config';
import type { ModelPrediction } from '../theory/types';
import { lastFiniteRecord } from '../findings/measured';
import { two, units, type LayerLens, type Unit } from './lenses';

/** What the measured lenses read of a run (a core/protocol ProbeRun has all of it). */
export interface MeasuredLensRun {
  model: Model;
  prediction: ModelPrediction | null;
  records: ProbeRecord[];
  config: { steps: number };
  backend: string | null;
  renderer: string | null;
  diverged: Divergence | null;
  /** Epoch ms of the run's last change (its end, for a finished run). */
  updatedAt: number;
}

/** Measured statistics of one unit: the output's moments, the worst saturation / dead fraction, the weight gradient. */
export interface MeasuredUnitStats {
  mean: number;
  variance: number;
  saturation: number;
  dead: number;
  gradNorm: number | null;
  updateRatio: number | null;
}

function unitSamples(u: Unit, rec: ProbeRecord): LayerSample[] {
  return u.members.map((i) => rec.layers.find((l) => l.index === i)).filter((s): s is LayerSample => !!s);
}

/** A unit's measured statistics at `rec`, or null when the record does not cover it. */
export function measuredUnitStats(u: Unit, rec: ProbeRecord): MeasuredUnitStats | null {
  const ss = unitSamples(u, rec);
  const last = ss.find((s) => s.index === u.last.index);
  if (!last) return null;
  const head = ss.find((s) => s.index === u.head.index);
  return {
    mean: last.mean,
    variance: last.variance,
    saturation: Math.max(...ss.map((s) => s.saturation)),
    dead: Math.max(...ss.map((s) => s.dead)),
    gradNorm: head?.gradNorm ?? null,
    updateRatio: head?.updateRatio ?? null,
  };
}

const percent = (x: number) => `${Math.round(x * 100)}%`;

/** `mu 0.51  var 0.16  sat 30%  dead 0%  |g| 0.15`: the compact measured form. */
export function measuredStatsText(s: MeasuredUnitStats): string {
  return `mu ${two(s.mean, false)}  var ${two(s.variance)}  sat ${percent(s.saturation)}  dead ${percent(s.dead)}${s.gradNorm !== null ? `  |g| ${two(s.gradNorm)}` : ''}`;
}

/** "step 200 of 200 on webgl (ANGLE (SwiftShader ...))": which measurement a lens shows. */
export function measuredSource(run: MeasuredLensRun, rec: ProbeRecord): string {
  return `step ${rec.step} of ${run.config.steps} on ${run.backend ?? 'an unknown backend'}${run.renderer ? ` (${run.renderer})` : ''}`;
}

function unitTooltip(model: Model, u: Unit, rec: ProbeRecord, pred: ModelPrediction | null): string {
  const names = u.members.map((i) => model.layers[i].name).join(' + ');
  const s = measuredUnitStats(u, rec);
  if (!s) return `${names}: not measured`;
  const p = pred?.layers[u.last.index];
  const predicted = p && !p.unknown ? `; predicted at init: mean ${p.mean.toFixed(4)}, variance ${p.variance.toFixed(4)}` : '';
  const grad = s.gradNorm !== null ? `, ||dL/dW|| ${s.gradNorm.toPrecision(3)}, update ratio ${s.updateRatio?.toPrecision(3) ?? '-'}` : '';
  return `${names}: measured mean ${s.mean.toFixed(4)}, variance ${s.variance.toFixed(4)}, saturation ${(s.saturation * 100).toFixed(1)}%, dead ${(s.dead * 100).toFixed(1)}%${grad}${predicted}`;
}

/** Lenses for a model's layers from the run's last finite record; [] when the run has none. */
export function measuredLayerLenses(run: MeasuredLensRun): LayerLens[] {
  const rec = lastFiniteRecord(run.records);
  if (!rec) return [];
  const model = run.model;
  const header = `Measured by the probe at ${measuredSource(run, rec)}.`;
  const byLine = new Map<number, Unit[]>();
  for (const u of units(model)) byLine.set(u.head.range.startLine, [...(byLine.get(u.head.range.startLine) ?? []), u]);
  const lenses: LayerLens[] = [];
  for (const group of byLine.values()) {
    const layers = group.flatMap((u) => u.members);
    const tooltip = [header, ...group.map((u) => unitTooltip(model, u, rec, run.prediction))].join('\n');
    const stats = group.map((u) => measuredUnitStats(u, rec));
    let text: string;
    if (group.length === 1) {
      text = stats[0] ? `measured  ${measuredStatsText(stats[0])}` : 'measured  ? (not in the run)';
    } else {
      const known = stats.filter((x): x is MeasuredUnitStats => x !== null);
      const first = known[0];
      const last = known[known.length - 1];
      const grads = known.map((x) => x.gradNorm).filter((g): g is number => g !== null);
      const span = `layers ${layers[0]}-${layers[layers.length - 1]} (${layers.length} built here)`;
      text = first
        ? `measured  ${span}: var ${two(first.variance)} -> ${two(last.variance)}  sat <=${percent(Math.max(...known.map((x) => x.saturation)))}  dead <=${percent(Math.max(...known.map((x) => x.dead)))}` +
          (grads.length ? `  |g| ${two(grads[0])} -> ${two(grads[grads.length - 1])}` : '')
        : `measured  ${span}: not in the run`;
    }
    lenses.push({ range: group[0].head.range, text, tooltip, layers });
  }
  return lenses;
}

/** The model lens when measured: where and when, loss, gradient ratio, measured finding count. */
export function measuredModelLensText(run: MeasuredLensRun, findings: number): string {
  const rec = lastFiniteRecord(run.records);
  const model = run.model;
  const count = `${findings} measured finding${findings === 1 ? '' : 's'}`;
  const d = run.diverged;
  const diverged = d ? `  DIVERGED at step ${d.step}${d.layer !== null ? ` (${model.layers[d.layer]?.name ?? `layer ${d.layer}`})` : ''}` : '';
  if (!rec) return `NormLens ${model.name}: measured on ${run.backend ?? '?'}${diverged}  ${count}`;
  const first = run.records[0];
  const weighted = rec.layers.filter((s) => s.gradNorm !== null);
  const ratio = weighted.length >= 2 && weighted[weighted.length - 1].gradNorm! > 0 ? weighted[0].gradNorm! / weighted[weighted.length - 1].gradNorm! : null;
  return (
    `NormLens ${model.name}: measured step ${rec.step}/${run.config.steps} on ${run.backend ?? '?'}${diverged}  loss ${two(first.loss)} -> ${two(rec.loss)}` +
    `${ratio !== null ? `  |g| first/last x${two(ratio)}` : ''}  ${count}`
  );
}

/** The model lens tooltip when measured. */
export function measuredModelTooltip(run: MeasuredLensRun): string {
  const rec = lastFiniteRecord(run.records);
  const when = new Date(run.updatedAt).toLocaleString();
  return `Measured by a probe of ${run.config.steps} steps on ${run.backend ?? '?'}${run.renderer ? ` (${run.renderer})` : ''}, finished ${when}${rec ? `; lenses show step ${rec.step}` : ''}. Click for the per-layer table.`;
}

/** The lens that says the measured values no longer apply: the file changed since the run. */
export function staleLensText(run: MeasuredLensRun): string {
  return `measured: stale (file edited since the ${run.config.steps}-step probe)  ·  Probe again`;
}
