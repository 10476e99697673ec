/**
 * Finishing the statistics on the JS side from one decoded readback: TensorBoard percentiles, gradient norms,
 * update ratios, and the divergence check.
 *
 * Percentiles 0 and 100 are the exact minimum and maximum; the inner ones are linear interpolations (NumPy's
 * default) in a uniform random sample of at most `percentileSample` elements of the layer (exact when the layer
 * has fewer). With 1024 elements a percentile's rank is within ~1.5 percentage points (one standard error).
 */
import { TENSORBOARD_PERCENTILES, type Divergence, type LayerSample } from './config';
import type { LayerReduction } from './ops';

/** Percentiles (in %) of a sample by linear interpolation between order statistics; 0 / 100 use min / max. */
export function percentilesOf(sample: Float32Array, min: number, max: number, at: readonly number[] = TENSORBOARD_PERCENTILES): number[] {
  if (!sample.length) return [];
  const sorted = Float64Array.from(sample).sort();
  const n = sorted.length;
  return at.map((p) => {
    if (p <= 0) return min;
    if (p >= 100) return max;
    const pos = (p / 100) * (n - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(n - 1, lo + 1);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  });
}

/**
 * One layer's sample-point record from its decoded reduction. `percentiles` may memoize percentilesOf: a decoder
 * hands the same sample array to every layer that reads the same tensor (a dense output and the norm after it).
 */
export function layerSampleOf(index: number, r: LayerReduction, learningRate: number, percentiles = percentilesOf): LayerSample {
  const gradNorm = r.gradSquared === null ? null : Math.sqrt(r.gradSquared);
  const weightNorm = r.weightSquared === null ? null : Math.sqrt(r.weightSquared);
  return {
    index,
    mean: r.mean,
    variance: r.variance,
    preMean: r.preMean,
    preVariance: r.preVariance,
    percentilesPre: percentiles(r.preSample, r.preMin, r.preMax),
    percentilesPost: percentiles(r.postSample, r.postMin, r.postMax),
    saturation: r.saturation,
    dead: r.dead,
    gradNorm,
    // A zero weight (all-zero init) has no meaningful ratio: report it as infinite only if it moves.
    updateRatio: gradNorm === null || weightNorm === null ? null : weightNorm > 0 ? (learningRate * gradNorm) / weightNorm : gradNorm > 0 ? Infinity : 0,
  };
}

/** Whether every statistic of a layer is finite (an all-zero weight's infinite update ratio is not divergence). */
export function layerFinite(s: LayerSample): boolean {
  const values = [s.mean, s.variance, s.preMean, s.preVariance, ...s.percentilesPre, ...s.percentilesPost];
  if (s.gradNorm !== null) values.push(s.gradNorm);
  return values.every(Number.isFinite);
}

/** The divergence at `step`: the first layer (forward order) with a non-finite statistic, or the loss alone. */
export function findDivergence(step: number, loss: number, layers: LayerSample[]): Divergence | null {
  const bad = layers.find((l) => !layerFinite(l));
  if (bad) return { step, layer: bad.index };
  return Number.isFinite(loss) ? null : { step, layer: null };
}
