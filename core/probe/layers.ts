/**
 * Forward computations of the non-normalization layers on channels-last tensors: dense (plain, weight-normalized,
 * cosine-normalized), conv1d / conv2d (tfjs NWC / NHWC, groups by splitting), pooling, flatten, dropout. Each
 * returns the pre-activation `pre` (for statistics) and the output `post`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { applyActivation } from './activations';
import { isIdentity, type ProbeActivation } from './activationSpec';
import type { ProbeOps } from './ops';
import type { LayerPlan, PoolPlan } from './plan';
import type { NormParams } from './norms';

/** Variables of one layer (null where the layer has no such parameter). */
export interface LayerParams extends NormParams {
  /** Dense / conv kernel in tfjs layout; the direction V under weight normalization. */
  kernel: tf.Variable | null;
  bias: tf.Variable | null;
  /** Weight-normalization gain g, one per output unit. */
  gain: tf.Variable | null;
  /** PReLU slope (learnable). */
  alpha: tf.Variable | null;
}

export interface PrePost {
  /** Null only when the caller did not need it and the op did not produce it. */
  pre: tf.Tensor | null;
  post: tf.Tensor;
}

/** The kernel actually applied: W = g V / ||V|| per output unit under weight normalization (Salimans & Kingma). */
export function effectiveKernel(lp: LayerPlan, p: LayerParams): tf.Tensor {
  const v = p.kernel as tf.Variable;
  if (!lp.weightNorm || !p.gain) return v;
  const axes = v.shape.slice(0, -1).map((_, i) => i);
  return tf.mul(v, tf.div(p.gain, tf.sqrt(tf.sum(tf.square(v), axes))));
}

function activate(z: tf.Tensor, act: ProbeActivation | null, p: LayerParams): tf.Tensor {
  return isIdentity(act) ? z : applyActivation(z, act as ProbeActivation, p.alpha ?? undefined);
}

/** Dense layer on the last axis (inputs of rank > 2 are applied per position, as Keras and PyTorch do). */
export function denseForward(x: tf.Tensor, lp: LayerPlan, p: LayerParams, ops: ProbeOps, wantPre: boolean): PrePost {
  const out = lp.fanOut;
  const lead = x.shape.slice(0, -1);
  const x2 = x.rank === 2 ? (x as tf.Tensor2D) : (tf.reshape(x, [-1, lp.fanIn]) as tf.Tensor2D);
  const w = effectiveKernel(lp, p) as tf.Tensor2D;
  const back = (t: tf.Tensor) => (x.rank === 2 ? t : tf.reshape(t, [...lead, out]));
  if (lp.cosine) {
    // Cosine normalization (Luo et al. 2018): phi(w.x / (|w| |x|)), no bias.
    const wn = tf.sqrt(tf.sum(tf.square(w), 0, true));
    const xn = tf.sqrt(tf.sum(tf.square(x2), 1, true));
    const z = tf.div(tf.matMul(x2, w), tf.add(tf.mul(xn, wn), 1e-12));
    return { pre: back(z), post: back(activate(z, lp.activation, p)) };
  }
  const bias = p.bias as tf.Tensor1D | null;
  if (lp.activation?.name === 'prelu') {
    const { pre } = ops.dense(x2, w, bias, { name: 'linear', param: null, saturation: [], deadBelowZero: false }, true);
    return { pre: back(pre as tf.Tensor), post: back(activate(pre as tf.Tensor, lp.activation, p)) };
  }
  const act = lp.activation ?? { name: 'linear' as const, param: null, saturation: [], deadBelowZero: false };
  const { pre, post } = ops.dense(x2, w, bias, act, wantPre);
  return { pre: pre ? back(pre) : isIdentity(act) ? back(post) : null, post: back(post) };
}

/** conv1d / conv2d through the ops seam (channels last), then bias and activation. */
export function convForward(x: tf.Tensor, lp: LayerPlan, p: LayerParams, ops: ProbeOps): PrePost {
  let z = ops.conv(x, effectiveKernel(lp, p), lp.conv!, lp.outShape.slice(0, -1));
  if (p.bias) z = tf.add(z, p.bias);
  return { pre: z, post: activate(z, lp.activation, p) };
}

/** Max / average pooling; 1-d pools run as 2-d pools over a [1, L] image. */
export function poolForward(x: tf.Tensor, pool: PoolPlan): tf.Tensor {
  const spatial = x.shape.slice(1, -1).map((_, i) => i + 1);
  if (pool.global) return pool.op === 'max' ? tf.max(x, spatial) : tf.mean(x, spatial);
  const img = pool.dims === 1 ? (tf.expandDims(x, 1) as tf.Tensor4D) : (x as tf.Tensor4D);
  const k: [number, number] = pool.dims === 1 ? [1, pool.kernel[0]] : [pool.kernel[0], pool.kernel[1]];
  const s: [number, number] = pool.dims === 1 ? [1, pool.stride[0]] : [pool.stride[0], pool.stride[1]];
  const pads = typeof pool.padding === 'string' ? null : pool.dims === 1 ? [0, pool.padding[0]] : pool.padding;
  const pad = pads ? ([[0, 0], [pads[0], pads[0]], [pads[1], pads[1]], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : (pool.padding as 'valid' | 'same');
  const y = pool.op === 'max' ? tf.maxPool(img, k, s, pad) : tf.avgPool(img, k, s, pad);
  return pool.dims === 1 ? tf.squeeze(y, [1]) : y;
}

/** Flatten; PyTorch models flatten channels-first (see plan.ts) so feature order matches nn.Flatten. */
export function flattenForward(x: tf.Tensor, lp: LayerPlan): tf.Tensor {
  const n = x.shape[0];
  if (!lp.flattenChannelsFirst) return tf.reshape(x, [n, -1]);
  const r = x.rank;
  const perm = [0, r - 1, ...Array.from({ length: r - 2 }, (_, i) => i + 1)];
  return tf.reshape(tf.transpose(x, perm), [n, -1]);
}

/** Output of an op followed by the layer's activation (norm, pool, identity layers). */
export function withActivation(z: tf.Tensor, lp: LayerPlan, p: LayerParams): PrePost {
  return { pre: z, post: activate(z, lp.activation, p) };
}
