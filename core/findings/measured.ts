/**
 * Findings from a probe run: what was measured, not predicted. Pure functions of the run's records, so the same
 * rules run in the extension (diagnostics), the CLI and the unit tests.
 *
 * Defaults come from the published tools in reference.md, applied to the statistics the probe actually measures
 * (core/probe/config.ts LayerSample, core/probe/plainStatistics.ts):
 * - saturation: the probe counts pre-activations where |phi'(h)| < 7.07% of max|phi'| (the theory's set: sigmoid
 *   |h| > 4, tanh |h| > 2, SELU h < -2.65), not DeepDiagnosis' fixed +-5; the 50% threshold is DeepDiagnosis'.
 * - dead units: the probe counts ReLU-family units whose pre-activation is <= 0 for every example of the batch. A
 *   dead unit has all its outputs <= 0, so ">= 70% of the units dead" implies DeepDiagnosis' ">= 70% of ReLU
 *   outputs <= 0" (the converse does not hold): the rule is the stricter, per-unit reading.
 * - gradients: AUTOTRAINER's ||dL/dW|| of the first weight layer over the last one's: vanishing when the ratio is
 *   < 1e-3 and the first layer's norm < 1e-4, exploding when the ratio is > 70.
 * - activation std: TheDeepChecker's band [0.5, 2.0], on the input of each nonlinearity (its pre-activation): the
 *   output of a sigmoid can never reach std 0.5 and a ReLU's rarely does, whatever the network's health.
 * - divergence: the first NaN / Inf the probe saw (step and layer).
 *
 * Per-layer findings describe the state the run ended in (its last finite record) and say since which sample point
 * the condition has held without interruption.
 */
import type { Layer, Model } from '../ir';
import type { Divergence, LayerSample, ProbeConfig, ProbeRecord } from '../probe/config';
import { resolveActivation } from '../probe/activationSpec';
import type { Interval } from '../theory/saturation';
import { fmt, pct } from './sourceText';
import type { Finding } from './types';

/** Thresholds of the measured rules (settings `normlens.measured.*`). */
export interface MeasuredThresholds {
  /** Fraction of a layer's pre-activations in its activation's flat region above which it is flagged (DeepDiagnosis 0.5). */
  saturation: number;
  /** Fraction of a ReLU layer's units dead over the batch at or above which it is flagged (DeepDiagnosis 0.7). */
  deadUnits: number;
  /** ||g first|| / ||g last|| below this, with ||g first|| below `vanishingGradientNorm`: vanishing (AUTOTRAINER). */
  vanishingGradientRatio: number;
  vanishingGradientNorm: number;
  /** ||g first|| / ||g last|| above this: exploding (AUTOTRAINER 70). */
  explodingGradientRatio: number;
  /** Std of a nonlinearity's input outside [low, high] (TheDeepChecker 0.5, 2.0). */
  activationStdLow: number;
  activationStdHigh: number;
}

export const DEFAULT_MEASURED_THRESHOLDS: Readonly<MeasuredThresholds> = Object.freeze({
  saturation: 0.5,
  deadUnits: 0.7,
  vanishingGradientRatio: 1e-3,
  vanishingGradientNorm: 1e-4,
  explodingGradientRatio: 70,
  activationStdLow: 0.5,
  activationStdHigh: 2.0,
});

/** What the rules read of a run (a core/protocol ProbeRun has all of it). */
export interface MeasuredRun {
  model: Model;
  records: ProbeRecord[];
  diverged: Divergence | null;
  config: Pick<ProbeConfig, 'steps' | 'learningRate' | 'optimizer' | 'batchSize'>;
}

const NOT_NONLINEAR = new Set(['linear', 'softmax', 'log_softmax']);

/** Whether a record's statistics are all finite (the record where a run diverged is not). */
function finiteRecord(r: ProbeRecord): boolean {
  return !r.diverged && Number.isFinite(r.loss) && r.layers.every((l) => Number.isFinite(l.mean) && Number.isFinite(l.variance) && Number.isFinite(l.preVariance));
}

/** The record the run ended in, ignoring the one where it produced NaN / Inf. */
export function lastFiniteRecord(records: readonly ProbeRecord[]): ProbeRecord | undefined {
  for (let i = records.length - 1; i >= 0; i--) if (finiteRecord(records[i])) return records[i];
  return undefined;
}

/** Step of the first record of the trailing run of finite records where `holds` is true (it has held since then). */
function heldSince(records: readonly ProbeRecord[], holds: (r: ProbeRecord) => boolean): number | null {
  let since: number | null = null;
  for (const r of records) {
    if (!finiteRecord(r)) continue;
    if (holds(r)) since ??= r.step;
    else since = null;
  }
  return since;
}

const byIndex = new WeakMap<ProbeRecord, Map<number, LayerSample>>();

function sampleOf(r: ProbeRecord, index: number): LayerSample | undefined {
  let m = byIndex.get(r);
  if (!m) byIndex.set(r, (m = new Map(r.layers.map((l) => [l.index, l]))));
  return m.get(index);
}

/** "|h| > 4", "h < -2.65": where an activation's derivative is below 7.07% of its maximum. */
export function describeSaturationSet(intervals: readonly Interval[]): string {
  const n = (x: number) => fmt(x, 3);
  if (intervals.length === 2 && intervals[0][0] === -Infinity && intervals[1][1] === Infinity && Math.abs(intervals[0][1] + intervals[1][0]) < 1e-6) {
    return `|h| > ${n(intervals[1][0])}`;
  }
  return intervals
    .map(([a, b]) => (a === -Infinity ? `h < ${n(b)}` : b === Infinity ? `h > ${n(a)}` : `${n(a)} <= h < ${n(b)}`))
    .join(' or ');
}

function stepText(step: number, since: number | null): string {
  return since !== null && since < step ? `at step ${step} (since step ${since})` : `at step ${step}`;
}

/** Layers that share a source location (built in a loop) are reported once, with the worst of them. */
function grouped(model: Model, hits: number[], worse: (a: number, b: number) => boolean): { worst: number; indices: number[] }[] {
  const bySource = new Map<string, number[]>();
  for (const i of hits) {
    const r = model.layers[i].range;
    const key = `${r.startLine}:${r.startColumn}`;
    bySource.set(key, [...(bySource.get(key) ?? []), i]);
  }
  return [...bySource.values()].map((indices) => ({ indices, worst: indices.reduce((a, b) => (worse(b, a) ? b : a)) }));
}

function who(model: Model, g: { worst: number; indices: number[] }, what: string): string {
  const layer = model.layers[g.worst];
  return g.indices.length > 1 ? `${what} layers ${g.indices[0]}-${g.indices[g.indices.length - 1]} (${g.indices.length} built here; worst ${layer.name})` : `${what} layer ${layer.name}`;
}

interface RuleArgs {
  run: MeasuredRun;
  mi: number;
  t: MeasuredThresholds;
  last: ProbeRecord;
  out: Finding[];
}

function finding(model: Model, mi: number, layer: Layer | null, f: Pick<Finding, 'code' | 'severity' | 'message'> & Partial<Finding>): Finding {
  return { range: layer?.range ?? model.range, modelIndex: mi, layerIndex: layer?.index ?? null, related: [], fixes: [], ...f };
}

function saturationRule({ run, mi, t, last, out }: RuleArgs): void {
  const model = run.model;
  const hits = model.layers.filter((l) => l.activation && (sampleOf(last, l.index)?.saturation ?? 0) > t.saturation).map((l) => l.index);
  const sat = (i: number) => sampleOf(last, i)?.saturation ?? 0;
  for (const g of grouped(model, hits, (a, b) => sat(a) > sat(b))) {
    const layer = model.layers[g.worst];
    const act = resolveActivation(layer.activation, model.framework);
    const since = heldSince(run.records, (r) => (sampleOf(r, g.worst)?.saturation ?? 0) > t.saturation);
    const s = sampleOf(last, g.worst)!;
    out.push(
      finding(model, mi, layer, {
        code: 'measured-saturation',
        severity: 'warning',
        message:
          `Measured: ${who(model, g, act.name)} has ${pct(s.saturation)} of its pre-activations in the flat region (${describeSaturationSet(act.saturation)}, where ${act.name}' < 7.07% of its maximum) ` +
          `${stepText(last.step, since)} of the probe (threshold ${pct(t.saturation)}; pre-activation std ${fmt(Math.sqrt(s.preVariance))}): almost no gradient passes through ${g.indices.length > 1 ? 'them' : 'it'}.`,
      }),
    );
  }
}

function deadRule({ run, mi, t, last, out }: RuleArgs): void {
  const model = run.model;
  const dead = (r: ProbeRecord, i: number) => sampleOf(r, i)?.dead ?? 0;
  const hits = model.layers.filter((l) => l.activation && resolveActivation(l.activation, model.framework).deadBelowZero && dead(last, l.index) > 0 && dead(last, l.index) >= t.deadUnits).map((l) => l.index);
  for (const g of grouped(model, hits, (a, b) => dead(last, a) > dead(last, b))) {
    const layer = model.layers[g.worst];
    const since = heldSince(run.records, (r) => dead(r, g.worst) >= t.deadUnits);
    out.push(
      finding(model, mi, layer, {
        code: 'measured-dead-units',
        severity: 'warning',
        message:
          `Measured: ${pct(dead(last, g.worst))} of the units of ${who(model, g, layer.activation!.name)} are dead (pre-activation <= 0 for all ${run.config.batchSize} examples of the batch) ` +
          `${stepText(last.step, since)} of the probe (threshold ${pct(t.deadUnits)}): they pass no gradient, so nothing revives them. Lower the learning rate, or use leaky_relu / a smaller bias.`,
      }),
    );
  }
}

function gradientRule({ run, mi, t, last, out }: RuleArgs): void {
  const model = run.model;
  const weighted = last.layers.filter((s) => s.gradNorm !== null && Number.isFinite(s.gradNorm));
  if (weighted.length < 2) return;
  const first = weighted[0];
  const lastW = weighted[weighted.length - 1];
  const ratioAt = (r: ProbeRecord) => {
    const a = sampleOf(r, first.index)?.gradNorm;
    const b = sampleOf(r, lastW.index)?.gradNorm;
    return a != null && b != null && b > 0 ? { ratio: a / b, first: a } : null;
  };
  const now = ratioAt(last);
  if (!now || !Number.isFinite(now.ratio)) return; // 0 / 0: every gradient died, which the dead-unit rule says
  const vanishing = (x: { ratio: number; first: number } | null) => !!x && x.ratio < t.vanishingGradientRatio && x.first < t.vanishingGradientNorm;
  const exploding = (x: { ratio: number; first: number } | null) => !!x && x.ratio > t.explodingGradientRatio;
  const kind = vanishing(now) ? 'vanishing' : exploding(now) ? 'exploding' : null;
  if (!kind) return;
  const since = heldSince(run.records, (r) => (kind === 'vanishing' ? vanishing : exploding)(ratioAt(r)));
  const a = model.layers[first.index];
  const b = model.layers[lastW.index];
  const rule = kind === 'vanishing' ? `AUTOTRAINER: ratio < ${fmt(t.vanishingGradientRatio)} with the first norm < ${fmt(t.vanishingGradientNorm)}` : `AUTOTRAINER: ratio > ${fmt(t.explodingGradientRatio)}`;
  out.push(
    finding(model, mi, null, {
      code: kind === 'vanishing' ? 'measured-vanishing-gradient' : 'measured-exploding-gradient',
      severity: 'warning',
      message:
        `Measured: gradients ${kind === 'vanishing' ? 'vanish' : 'explode'} ${stepText(last.step, since)} of the probe: ||dL/dW|| of the first weight layer (${a.name}) is ${fmt(now.first)}, ` +
        `${fmt(now.ratio)}x the last one's (${b.name}: ${fmt(lastW.gradNorm!)}) (${rule}).`,
      related: [
        { range: a.range, message: `first weight layer: ||dL/dW|| ${fmt(now.first)}` },
        { range: b.range, message: `last weight layer: ||dL/dW|| ${fmt(lastW.gradNorm!)}` },
      ],
    }),
  );
}

function stdRule({ run, mi, t, last, out }: RuleArgs): void {
  const model = run.model;
  const std = (r: ProbeRecord, i: number) => Math.sqrt(sampleOf(r, i)?.preVariance ?? NaN);
  const outside = (x: number) => x < t.activationStdLow || x > t.activationStdHigh;
  const hits = model.layers.filter((l) => l.activation && !NOT_NONLINEAR.has(resolveActivation(l.activation, model.framework).name) && outside(std(last, l.index))).map((l) => l.index);
  // Worst = furthest from the band in log terms.
  const off = (i: number) => Math.abs(Math.log(std(last, i)));
  for (const g of grouped(model, hits, (a, b) => off(a) > off(b))) {
    const layer = model.layers[g.worst];
    const s = std(last, g.worst);
    const low = s < t.activationStdLow;
    const since = heldSince(run.records, (r) => outside(std(r, g.worst)));
    out.push(
      finding(model, mi, layer, {
        code: 'measured-activation-std',
        severity: 'info',
        message:
          `Measured: the input of ${who(model, g, layer.activation!.name)} has std ${fmt(s)} ${stepText(last.step, since)} of the probe, ${low ? 'below' : 'above'} the band ` +
          `[${fmt(t.activationStdLow)}, ${fmt(t.activationStdHigh)}] (TheDeepChecker): the signal ${low ? 'shrinks toward the linear region and fades with depth' : 'is large enough to push units into their flat or dead regions'}.`,
      }),
    );
  }
}

function divergenceRule({ run, mi, out }: Omit<RuleArgs, 'last' | 't'>): void {
  const d = run.diverged;
  if (!d) return;
  const model = run.model;
  const layer = d.layer !== null ? model.layers[d.layer] ?? null : null;
  const before = lastFiniteRecord(run.records);
  const where = layer ? `layer ${layer.name} (layer ${layer.index}) produced NaN / Inf first` : 'the loss became NaN / Inf';
  const lossText = before ? ` The last finite loss was ${fmt(before.loss)} at step ${before.step}.` : '';
  out.push(
    finding(model, mi, layer, {
      code: 'measured-divergence',
      severity: 'error',
      message:
        `Measured: training diverged at step ${d.step} of the probe: ${where} (${run.config.optimizer === 'sgd' ? 'SGD' : 'Adam'}, learning rate ${fmt(run.config.learningRate)}, batch ${run.config.batchSize}).${lossText} ` +
        `Lower the learning rate, or normalize / re-initialize so activations and gradients stay bounded.`,
    }),
  );
}

/** Every measured rule over one run of model `modelIndex`, in source order. */
export function measuredFindings(run: MeasuredRun, modelIndex: number, thresholds: MeasuredThresholds = DEFAULT_MEASURED_THRESHOLDS): Finding[] {
  const out: Finding[] = [];
  divergenceRule({ run, mi: modelIndex, out });
  const last = lastFiniteRecord(run.records);
  if (last) {
    const args = { run, mi: modelIndex, t: thresholds, last, out };
    saturationRule(args);
    deadRule(args);
    gradientRule(args);
    stdRule(args);
  }
  return out.sort((a, b) => a.range.startLine - b.range.startLine || a.range.startColumn - b.range.startColumn);
}
