/**
 * What the Compare panel reads off a comparison: its runs by variant, and per run the final loss, the variance of
 * the loss's step-to-step changes (the SNN paper's Figure 1 argument: normalized nets train with a smoother loss,
 * and that shows as a small variance of the differences), and each block's output variance at the last sample.
 * Pure functions of run data: no DOM, unit-tested.
 */
import type { Layer } from '../../core/ir';
import type { ProbeRecord } from '../../core/probe/config';
import type { ProbeRun } from '../../core/protocol';
import { VARIANT_IDS, type VariantId } from '../../core/probe/variants';

/** One comparison: its runs in variant order. */
export interface CompareGroup {
  id: string;
  uri: string;
  modelIndex: number;
  createdAt: number;
  runs: ProbeRun[];
}

/** The newest comparison of model `modelIndex` of `uri`, or null. */
export function latestGroup(runs: Iterable<ProbeRun>, uri: string | null, modelIndex: number): CompareGroup | null {
  const groups = new Map<string, CompareGroup>();
  for (const r of runs) {
    if (!r.group || (uri !== null && (r.uri !== uri || r.modelIndex !== modelIndex))) continue;
    const g = groups.get(r.group.id) ?? { id: r.group.id, uri: r.uri, modelIndex: r.modelIndex, createdAt: r.createdAt, runs: [] };
    g.createdAt = Math.min(g.createdAt, r.createdAt);
    g.runs.push(r);
    groups.set(r.group.id, g);
  }
  const newest = [...groups.values()].sort((a, b) => b.createdAt - a.createdAt)[0] ?? null;
  if (newest) newest.runs.sort((a, b) => variantOrder(a) - variantOrder(b));
  return newest;
}

function variantOrder(r: ProbeRun): number {
  const i = VARIANT_IDS.indexOf(r.group?.variant as VariantId);
  return i < 0 ? VARIANT_IDS.length : i;
}

/**
 * Variance of the differences between consecutive losses (population variance; null with fewer than two
 * differences or any non-finite loss). Differences are between sample points, so the value depends on
 * `sampleEvery` as well: compare runs of one comparison, which share it.
 */
export function lossStepVariance(records: readonly ProbeRecord[]): number | null {
  if (records.length < 3 || records.some((r) => !Number.isFinite(r.loss))) return null;
  const d = records.slice(1).map((r, i) => r.loss - records[i].loss);
  const mean = d.reduce((s, x) => s + x, 0) / d.length;
  return d.reduce((s, x) => s + (x - mean) ** 2, 0) / d.length;
}

const WEIGHT_KINDS = ['dense', 'conv1d', 'conv2d'];

/**
 * Block outputs: for each dense / conv layer, the last layer before the next one (the layer with its norm,
 * activation and dropout), so variants with inserted norm layers line up block by block. Returns Layer.index values.
 */
export function blockOutputs(layers: readonly Layer[]): number[] {
  const starts = layers.map((l, i) => (WEIGHT_KINDS.includes(l.kind) ? i : -1)).filter((i) => i >= 0);
  return starts.map((s, k) => layers[(k + 1 < starts.length ? starts[k + 1] : layers.length) - 1].index);
}

export interface VariantSummary {
  finalLoss: number | null;
  lossStepVariance: number | null;
  /** Output variance of the last hidden block (before the output layer) at the last sample point. */
  lastHiddenVariance: number | null;
  /** Variance of each block's output at the last sample point (null where not measured). */
  blockVariance: (number | null)[];
  lastStep: number | null;
}

export function summarize(run: ProbeRun): VariantSummary {
  const last = run.records[run.records.length - 1] ?? null;
  const byIndex = new Map((last?.layers ?? []).map((s) => [s.index, s]));
  const blocks = blockOutputs(run.model.layers);
  const blockVariance = blocks.map((i) => byIndex.get(i)?.variance ?? null);
  return {
    finalLoss: last ? last.loss : null,
    lossStepVariance: lossStepVariance(run.records),
    lastHiddenVariance: blockVariance.length >= 2 ? blockVariance[blockVariance.length - 2] : null,
    blockVariance,
    lastStep: last?.step ?? null,
  };
}
