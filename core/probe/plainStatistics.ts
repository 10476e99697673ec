/**
 * The statistics reduction of `plainOps`: every layer's moments, saturation and dead fractions, extremes,
 * percentile samples and parameter norms, computed with stock tfjs ops and concatenated into one tensor so the
 * engine reads the backend back once per sample point.
 *
 * Layout (float32): [loss] then per layer
 *   [preMean, preVariance, mean, variance, saturation, dead, preMin, preMax, postMin, postMax, gradSq, weightSq]
 *   followed by the pre sample and the post sample (length = the layer's sample index count each).
 * Moments are two-pass (tf.moments): this is the accuracy reference the one-pass GPU version is held to.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Interval } from '../theory/saturation';
import type { LayerReduction, StatisticsLayerInput, StatisticsReduction, StatisticsRequest } from './ops';

const SCALARS = 12;

/** Fraction of elements of `flat` inside the union of the (disjoint) intervals. */
function saturatedFraction(flat: tf.Tensor1D, intervals: Interval[]): tf.Tensor {
  if (!intervals.length) return tf.scalar(0);
  let count: tf.Tensor = tf.scalar(0);
  for (const [a, b] of intervals) {
    let mask: tf.Tensor | null = null;
    if (a !== -Infinity) mask = tf.greaterEqual(flat, a);
    if (b !== Infinity) mask = mask ? tf.logicalAnd(mask, tf.less(flat, b)) : tf.less(flat, b);
    count = tf.add(count, mask ? tf.sum(tf.cast(mask, 'float32')) : flat.size);
  }
  return tf.div(count, flat.size);
}

/** Fraction of units (last axis) with no positive pre-activation in any row. */
function deadFraction(pre: tf.Tensor): tf.Tensor {
  const units = pre.shape[pre.shape.length - 1];
  const rows = tf.reshape(pre, [-1, units]);
  const active = tf.sum(tf.cast(tf.greater(rows, 0), 'float32'), 0);
  return tf.mean(tf.cast(tf.equal(active, 0), 'float32'));
}

function sumSquares(t: tf.Tensor | null): tf.Tensor {
  return t ? tf.sum(tf.square(t)) : tf.scalar(0);
}

function layerParts(l: StatisticsLayerInput): tf.Tensor[] {
  const pre = tf.reshape(l.pre, [-1]) as tf.Tensor1D;
  const post = l.post === l.pre ? pre : (tf.reshape(l.post, [-1]) as tf.Tensor1D);
  const pm = tf.moments(pre);
  const qm = post === pre ? pm : tf.moments(post);
  const scalars = tf.stack([
    pm.mean,
    pm.variance,
    qm.mean,
    qm.variance,
    saturatedFraction(pre, l.saturation),
    l.trackDead ? deadFraction(l.pre) : tf.scalar(0),
    tf.min(pre),
    tf.max(pre),
    tf.min(post),
    tf.max(post),
    sumSquares(l.grad),
    sumSquares(l.weight),
  ]);
  if (!l.sample) return [scalars];
  return [scalars, tf.gather(pre, l.sample), tf.gather(post, l.sample)];
}

/** `ProbeOps.statistics` for plainOps. */
export function plainStatistics(req: StatisticsRequest): StatisticsReduction {
  const sampleSizes = req.layers.map((l) => (l.sample ? l.sample.size : 0));
  const hasWeight = req.layers.map((l) => l.weight !== null);
  const packed = tf.tidy(() => tf.concat([tf.reshape(tf.cast(req.loss, 'float32'), [1]), ...req.layers.flatMap(layerParts)]) as tf.Tensor1D);
  return {
    async read() {
      try {
        return (await packed.data()) as Float32Array;
      } finally {
        packed.dispose();
      }
    },
    dispose: () => packed.dispose(),
    decode(values: Float32Array) {
      let o = 1;
      const layers: LayerReduction[] = sampleSizes.map((s, i) => {
        const v = values;
        const r: LayerReduction = {
          preMean: v[o],
          preVariance: v[o + 1],
          mean: v[o + 2],
          variance: v[o + 3],
          saturation: v[o + 4],
          dead: v[o + 5],
          preMin: v[o + 6],
          preMax: v[o + 7],
          postMin: v[o + 8],
          postMax: v[o + 9],
          gradSquared: hasWeight[i] ? v[o + 10] : null,
          weightSquared: hasWeight[i] ? v[o + 11] : null,
          preSample: v.slice(o + SCALARS, o + SCALARS + s),
          postSample: v.slice(o + SCALARS + s, o + SCALARS + 2 * s),
        };
        o += SCALARS + 2 * s;
        return r;
      });
      return { loss: values[0], layers };
    },
  };
}
