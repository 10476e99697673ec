/**
 * The seam between the probe engine and the backend: the hot operations of a probe step. The engine calls only
 * these for dense layers, dropout, normalization statistics and the per-sample-point statistics; `plainOps`
 * implements them with stock tfjs ops (any backend, autodiff for gradients) and is the reference every faster
 * implementation (the WebGL kernels, a later step) is tested against.
 *
 * Contract for an implementation:
 * - every op is differentiable through the tfjs tape (stock ops, or `tf.customGrad` around a custom kernel)
 *   with respect to its tensor inputs, and returns fresh tensors that a surrounding tf.tidy may dispose;
 * - dropout masks come from `hashUniform(seed, i)` for element i of the row-major tensor (keep when u >= rate),
 *   so masks are identical on every backend and reproducible from the seed;
 * - `statistics` queues every statistic of a sample point on the backend and returns ONE readback of them all
 *   (`read()`; performance-notes.md: each readback costs ~4 ms on WebGL) and a decoder for the values it gives.
 *   The layout is private to the implementation; only the decoded numbers are compared.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; the probe differentiates through every op it uses.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Interval } from '../theory/saturation';
import { alphaDropoutAffine } from '../theory/selu';
import { applyActivation } from './activations';
import { isIdentity, type ProbeActivation } from './activationSpec';
import { convBySlices } from './conv';
import type { ConvPlan } from './plan';
import { hashUniform } from './rng';
import { plainStatistics } from './plainStatistics';

/** One layer's tensors for the statistics reduction. Features (units / channels) are on the last axis. */
export interface StatisticsLayerInput {
  /** Pre-activation output (for layers without an activation, the output itself). */
  pre: tf.Tensor;
  /** The layer's output (post-activation, after dropout / residual add). Same shape as `pre`. */
  post: tf.Tensor;
  /** Saturated h-intervals of the layer's activation (empty: never saturated). */
  saturation: Interval[];
  /** Count units whose `pre` is <= 0 for every row (ReLU family). */
  trackDead: boolean;
  /** int32 flat indices into pre/post: the percentile sample. Null: no percentiles. */
  sample: tf.Tensor1D | null;
  /**
   * The sample indices come in 2x2 blocks of the [rows, units] view (units: the last axis): [i, i + 1, i + units,
   * i + units + 1] with i at an even row and column (sampleQuadIndices). A backend storing 2x2 blocks per texel
   * may fetch a block at once; the values are the same either way.
   */
  sampleQuads?: boolean;
  /**
   * The output is this non-decreasing function of the pre-activation, element by element (an activation layer
   * with no residual add after it): the output's min and max are its images of the pre-activation's, so a
   * backend may skip reducing them, and compute the output's samples from the pre-activation's (same indices)
   * instead of gathering them. NaN maps to NaN.
   */
  postOfPre?: (pre: number) => number;
  /** The layer's main weight (kernel, weight-norm V, norm gamma) and its gradient, or null. */
  weight: tf.Tensor | null;
  grad: tf.Tensor | null;
}

export interface StatisticsRequest {
  loss: tf.Scalar;
  layers: StatisticsLayerInput[];
}

/** Decoded per-layer reductions (pooled over every element: all rows and all units). */
export interface LayerReduction {
  preMean: number;
  preVariance: number;
  mean: number;
  variance: number;
  /** Fraction of `pre` elements inside the saturation intervals. */
  saturation: number;
  /** Fraction of units never active over the batch (0 when not tracked). */
  dead: number;
  preMin: number;
  preMax: number;
  postMin: number;
  postMax: number;
  /** Values of pre / post at the sample indices, in index order. */
  preSample: Float32Array;
  postSample: Float32Array;
  /**
   * When set, postSample is left empty: the output's sample is this non-decreasing function of preSample, element
   * by element (StatisticsLayerInput.postOfPre), so its order statistics are the images of preSample's and its
   * percentiles need no gather and no sort of their own (percentilesOfSorted).
   */
  postOfPreSample?: (pre: number) => number;
  /** Sums of squares of the gradient and of the weight; null when the layer has no weight. */
  gradSquared: number | null;
  weightSquared: number | null;
}

export interface ReducedStatistics {
  loss: number;
  layers: LayerReduction[];
}

export interface StatisticsReduction {
  /**
   * Every statistic in one readback: the values `decode` takes. Call it once; it frees the tensors the reduction
   * holds (once their reads are queued), also when it fails.
   */
  read(): Promise<Float32Array>;
  decode(values: Float32Array): ReducedStatistics;
  /** Free the tensors without reading them (a step that failed after `statistics`); idempotent. */
  dispose(): void;
}

/**
 * Running-statistics update of a training-mode BatchNorm, in the layer's framework convention (normSettings.ts):
 * running' = (1 - w) running + w batch, the batch variance made unbiased (n / (n - 1)) first when `unbiased`
 * (PyTorch: w = momentum 0.1; Keras / tfjs: w = 1 - 0.99, biased).
 */
export interface BatchNormRunning {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
  batchWeight: number;
  unbiased: boolean;
}

/** What `ProbeOps.batchNorm` returns: the layer output and the new running statistics (null without `running`). */
export interface BatchNormResult {
  y: tf.Tensor2D;
  runningMean: tf.Tensor1D | null;
  runningVar: tf.Tensor1D | null;
}

/** The hot operations of a probe step (see the file comment for the contract). */
export interface ProbeOps {
  readonly name: string;
  /**
   * phi(x W + b) for x [rows, in], W [in, out], b [out] (or null). `pre` (x W + b) is returned when `wantPre` is
   * true, for the statistics; a fused implementation may return null otherwise. Not called for prelu (learnable).
   */
  dense(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, activation: ProbeActivation, wantPre: boolean): { pre: tf.Tensor2D | null; post: tf.Tensor2D };
  /**
   * Convolution (no bias): x [N, L, C] / [N, H, W, C], kernel [k, C/groups, O] / [kh, kw, C/groups, O], producing
   * the plan's output spatial size (padding, stride, dilation, groups per `conv`).
   */
  conv(x: tf.Tensor, kernel: tf.Tensor, conv: ConvPlan, outSpatial: number[]): tf.Tensor;
  /** Inverted dropout: kept units scaled by 1/(1-rate). */
  dropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor;
  /** Alpha dropout: dropped units at -lambda*alpha, then a*x + b (reference.md), keeping (0, 1). */
  alphaDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor;
  /** Mean and biased variance over `axes`, keepDims (BatchNorm, Batch Renorm, Layer/Group/Instance Norm). */
  moments(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; variance: tf.Tensor };
  /**
   * Training-mode BatchNorm of x [rows, channels] over the rows: y = (x - mean) / sqrt(var + eps) * gamma + beta
   * with the batch mean and biased variance, differentiable w.r.t. x, gamma and beta (null: no scale / shift).
   * With `running`, also the updated running statistics (not differentiated; the caller assigns them).
   */
  batchNorm(x: tf.Tensor2D, gamma: tf.Tensor1D | null, beta: tf.Tensor1D | null, eps: number, running: BatchNormRunning | null): BatchNormResult;
  /** Every layer's statistics and the loss, packed for a single readback. */
  statistics(request: StatisticsRequest): StatisticsReduction;
}

/** Keep mask (1 kept, 0 dropped) from the counter-based hash: element i kept when hashUniform(seed, i) >= rate. */
export function dropoutKeepMask(shape: number[], rate: number, seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = hashUniform(seed, i) >= rate ? 1 : 0;
  return tf.tensor(values, shape);
}

/** The running update of `BatchNormRunning` from batch statistics (any shape holding `channels` values). */
export function plainRunningUpdate(mean: tf.Tensor, variance: tf.Tensor, rows: number, running: BatchNormRunning): { runningMean: tf.Tensor1D; runningVar: tf.Tensor1D } {
  const c = running.mean.shape[0];
  const w = running.batchWeight;
  const batchVar = running.unbiased ? tf.mul(variance, rows / Math.max(1, rows - 1)) : variance;
  return {
    runningMean: tf.add(tf.mul(running.mean, 1 - w), tf.mul(tf.reshape(mean, [c]), w)),
    runningVar: tf.add(tf.mul(running.variance, 1 - w), tf.mul(tf.reshape(batchVar, [c]), w)),
  };
}

/** The reference implementation: stock tfjs ops, gradients by autodiff. */
export const plainOps: ProbeOps = {
  name: 'plain',
  dense(x, kernel, bias, activation, wantPre) {
    let h: tf.Tensor2D = tf.matMul(x, kernel);
    if (bias) h = tf.add(h, bias);
    const post = (isIdentity(activation) ? h : applyActivation(h, activation)) as tf.Tensor2D;
    return { pre: wantPre ? h : null, post };
  },
  conv: convBySlices,
  dropout(x, rate, seed) {
    if (rate <= 0) return x;
    return tf.tidy(() => tf.mul(x, tf.mul(dropoutKeepMask(x.shape, rate, seed), 1 / (1 - rate))));
  },
  alphaDropout(x, rate, seed) {
    if (rate <= 0) return x;
    const { a, b, alphaPrime } = alphaDropoutAffine(rate);
    return tf.tidy(() => {
      const keep = dropoutKeepMask(x.shape, rate, seed);
      // x*keep + alpha'*(1 - keep): the gradient reaches x only through kept units.
      const dropped = tf.add(tf.mul(x, keep), tf.mul(tf.sub(1, keep), alphaPrime));
      return tf.add(tf.mul(dropped, a), b);
    });
  },
  moments(x, axes) {
    return tf.moments(x, axes, true);
  },
  batchNorm(x, gamma, beta, eps, running) {
    const { mean, variance } = tf.moments(x, [0], true);
    let y: tf.Tensor2D = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    if (gamma) y = tf.mul(y, gamma);
    if (beta) y = tf.add(y, beta);
    const updated = running ? plainRunningUpdate(mean, variance, x.shape[0], running) : { runningMean: null, runningVar: null };
    return { y, ...updated };
  },
  statistics: plainStatistics,
};
