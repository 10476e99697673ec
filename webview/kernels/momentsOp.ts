/**
 * ProbeOps.moments on WebGL: the reduced axes are brought to the front (a transpose, skipped for BatchNorm's
 * [rows, channels] over axis 0) and the tensor viewed as [reduced, kept]; one MomentsProgram pass gives both
 * statistics of every kept position, MomentsGradProgram their gradient.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MomentsGradProgram } from './moments_grad_gpu';
import { MomentsProgram } from './moments_gpu';
import { runProgram } from './runProgram';

/** Means (row 0) and biased variances (row 1) of the columns of x [rows, cols], differentiable. */
export function columnMoments(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    const stats = runProgram(new MomentsProgram(rows, cols), [x2]);
    save([x2, stats]);
    return {
      value: stats,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => runProgram(new MomentsGradProgram(rows, cols), [saved[0], dy, saved[1]]),
    };
  });
  return f(x) as tf.Tensor2D;
}

/** Mean and biased variance over `axes`, keepDims (negative axes count from the end). */
export function webglMoments(x: tf.Tensor, axes: number[]): { mean: tf.Tensor; variance: tf.Tensor } {
  const rank = x.rank;
  const reduced = [...new Set(axes.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
  const kept = x.shape.map((_, i) => i).filter((i) => !reduced.includes(i));
  const keepShape = x.shape.map((d, i) => (reduced.includes(i) ? 1 : d));
  const rows = reduced.reduce((p, i) => p * x.shape[i], 1);
  const cols = kept.reduce((p, i) => p * x.shape[i], 1);
  const perm = [...reduced, ...kept];
  return tf.tidy(() => {
    const front = perm.every((p, i) => p === i) ? x : tf.transpose(x, perm);
    const stats = columnMoments(tf.reshape(front, [rows, cols]) as tf.Tensor2D);
    return {
      mean: tf.reshape(tf.slice(stats, [0, 0], [1, cols]), keepShape),
      variance: tf.reshape(tf.slice(stats, [1, 0], [1, cols]), keepShape),
    };
  });
}
