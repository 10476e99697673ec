/**
 * Dropout and alpha dropout of webglOps: one packed pass forward, one backward, the mask regenerated from the
 * counter-based hash in both (equal bit for bit to core/probe/ops.ts `dropoutKeepMask`, which the tests check).
 */
import * as tf from '@tensorflow/tfjs-core';
import { pcgHash } from '../../core/probe/rng';
import { alphaDropoutAffine } from '../../core/theory/selu';
import { DropoutProgram } from './dropout_gpu';
import { DropoutGradProgram } from './dropout_grad_gpu';
import { runProgram } from './runProgram';

/** y = (x k + dropped (1 - k)) scale + shift with k from hashUniform(seed, i) >= rate. */
function maskedAffine(x: tf.Tensor, rate: number, seed: number, dropped: number, scale: number, shift: number): tf.Tensor {
  const cols = x.rank ? x.shape[x.rank - 1] : 1;
  const rows = cols ? x.size / cols : 0;
  // Compared as integers in the shader: u >= rate  <=>  (hash >> 8) >= ceil(rate * 2^24), exactly.
  const seedHash = pcgHash(seed >>> 0) | 0;
  const keepThreshold = Math.ceil(rate * 16777216);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x2 = args[0] as tf.Tensor2D;
    return {
      value: runProgram(new DropoutProgram(rows, cols), [x2], [[seedHash], [keepThreshold], [dropped], [scale], [shift]]),
      gradFunc: (dy: tf.Tensor) => runProgram(new DropoutGradProgram(rows, cols), [dy], [[seedHash], [keepThreshold], [scale]]),
    };
  });
  return tf.tidy(() => tf.reshape(f(tf.reshape(x, [rows, cols])), x.shape));
}

/** Inverted dropout (kept units scaled by 1 / (1 - rate)). */
export function hashDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  return maskedAffine(x, rate, seed, 0, 1 / (1 - rate), 0);
}

/** Alpha dropout: dropped units at -lambda alpha, then a x + b (reference.md). */
export function hashAlphaDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor {
  const { a, b, alphaPrime } = alphaDropoutAffine(rate);
  return maskedAffine(x, rate, seed, alphaPrime, a, b);
}
