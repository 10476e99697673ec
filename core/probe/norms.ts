/**
 * Normalization layers on channels-last tensors (features / channels on the last axis): training-mode Batch Norm is
 * one `ProbeOps.batchNorm` call (a backend fuses it), the others take their statistics from
 * `ProbeOps.moments` so a one-pass GPU kernel can replace them.
 *
 * Running statistics are not assigned inside the forward: the forward runs under the gradient tape, so the new
 * values are queued (`PendingUpdate`, kept tensors) and assigned by the engine after the step; a measurement-only
 * forward passes `pending: null` and changes nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { plainRunningUpdate, type ProbeOps } from './ops';
import type { ResolvedNorm } from './normSettings';

/** A running-statistics assignment to apply after the step (value is kept; the engine disposes it). */
export interface PendingUpdate {
  target: tf.Variable;
  value: tf.Tensor;
}

export interface NormParams {
  gamma: tf.Variable | null;
  beta: tf.Variable | null;
  runningMean: tf.Variable | null;
  runningVar: tf.Variable | null;
}

export interface NormContext {
  ops: ProbeOps;
  /** Batch statistics (training) or running statistics (eval) for Batch Norm / Renorm. */
  training: boolean;
  /** Updates applied so far: drives the Batch Renorm schedule. */
  step: number;
  renormRelaxSteps: number;
  /** Where running-statistics updates go; null: do not update. */
  pending: PendingUpdate[] | null;
}

/** Identity forward, zero gradient: Batch Renorm's r and d are constants for backprop (Ioffe 2017). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

/** Clipping limits of Batch Renorm after `step` updates: linear from (1, 0) to the layer's (rmax, dmax). */
export function renormLimits(limits: { rmax: number; dmax: number }, step: number, relaxSteps: number): { rmax: number; dmax: number } {
  const f = relaxSteps > 0 ? Math.min(1, step / relaxSteps) : 1;
  return { rmax: 1 + (limits.rmax - 1) * f, dmax: limits.dmax * f };
}

/**
 * Batch Norm / Renorm of x2 [rows, channels]. Training-mode Batch Norm is one `ProbeOps.batchNorm` call, affine
 * included (`affineDone`), so a backend can fuse normalization, scale and shift and their closed-form gradient.
 */
function batchNorm(x2: tf.Tensor2D, norm: ResolvedNorm, p: NormParams, ctx: NormContext): { y: tf.Tensor; affineDone: boolean } {
  const rm = p.runningMean as tf.Variable;
  const rv = p.runningVar as tf.Variable;
  if (!ctx.training) return { y: tf.mul(tf.sub(x2, rm), tf.rsqrt(tf.add(rv, norm.eps))), affineDone: false };
  const running = ctx.pending ? { mean: rm as tf.Tensor1D, variance: rv as tf.Tensor1D, batchWeight: norm.batchWeight, unbiased: norm.unbiasedRunningVariance } : null;
  if (!norm.renorm) {
    const r = ctx.ops.batchNorm(x2, p.gamma as tf.Tensor1D | null, p.beta as tf.Tensor1D | null, norm.eps, running);
    if (ctx.pending && r.runningMean && r.runningVar) {
      ctx.pending.push({ target: rm, value: tf.keep(r.runningMean) }, { target: rv, value: tf.keep(r.runningVar) });
    }
    return { y: r.y, affineDone: true };
  }
  const { mean, variance } = ctx.ops.moments(x2, [0]);
  const { rmax, dmax } = renormLimits(norm.renorm, ctx.step, ctx.renormRelaxSteps);
  const sigmaB = tf.sqrt(tf.add(variance, norm.eps));
  const sigma = tf.sqrt(tf.add(rv, norm.eps));
  const r = stopGradient(tf.clipByValue(tf.div(sigmaB, sigma), 1 / rmax, rmax));
  const d = stopGradient(tf.clipByValue(tf.div(tf.sub(mean, rm), sigma), -dmax, dmax));
  const xhat = tf.add(tf.mul(tf.div(tf.sub(x2, mean), sigmaB), r), d);
  if (running) {
    const u = plainRunningUpdate(mean, variance, x2.shape[0], running);
    (ctx.pending as PendingUpdate[]).push({ target: rm, value: tf.keep(u.runningMean) }, { target: rv, value: tf.keep(u.runningVar) });
  }
  return { y: xhat, affineDone: false };
}

/** Normalize over `axes` of x with its own statistics (Layer / Instance / Group Norm: no running statistics). */
function selfNormalize(x: tf.Tensor, axes: number[], eps: number, ops: ProbeOps): tf.Tensor {
  const { mean, variance } = ops.moments(x, axes);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
}

/** Forward of a normalization layer (affine included). `x` is [batch, ...spatial, channels]. */
export function normForward(x: tf.Tensor, norm: ResolvedNorm, p: NormParams, ctx: NormContext): tf.Tensor {
  const shape = x.shape;
  const n = shape[0];
  const c = shape[shape.length - 1];
  const s = shape.slice(1, -1).reduce((a, b) => a * b, 1);
  let y: tf.Tensor;
  let affineDone = false;
  switch (norm.kind) {
    case 'batchnorm':
    case 'batchrenorm': {
      const bn = batchNorm(tf.reshape(x, [-1, c]), norm, p, ctx);
      y = tf.reshape(bn.y, shape);
      affineDone = bn.affineDone;
      break;
    }
    case 'layernorm': {
      const axes = norm.wholeSample ? shape.slice(1).map((_, i) => i + 1) : [shape.length - 1];
      y = selfNormalize(x, axes, norm.eps, ctx.ops);
      break;
    }
    case 'instancenorm':
      // A 2-d input [N, C] is normalised per sample over its features, as PyTorch InstanceNorm1d does with an
      // unbatched (C, L) input; spatial inputs per sample and channel over the positions.
      y = shape.length === 2 ? selfNormalize(x, [1], norm.eps, ctx.ops) : tf.reshape(selfNormalize(tf.reshape(x, [n, s, c]), [1], norm.eps, ctx.ops), shape);
      break;
    case 'groupnorm':
      y = tf.reshape(selfNormalize(tf.reshape(x, [n, s, norm.groups, c / norm.groups]), [1, 3], norm.eps, ctx.ops), shape);
      break;
  }
  if (affineDone) return y;
  if (p.gamma) y = tf.mul(y, p.gamma);
  if (p.beta) y = tf.add(y, p.beta);
  return y;
}
