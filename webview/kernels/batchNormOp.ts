/**
 * ProbeOps.batchNorm on WebGL: training-mode BatchNorm of x [rows, channels] with its affine, as one tf.customGrad
 * op whose backward is the closed form of the gradient through the batch statistics
 *   dx = gamma / sigma * (dy - mean(dy) - xhat * mean(dy * xhat)),  dgamma = sum(dy * xhat),  dbeta = sum(dy),
 * instead of tfjs' autodiff through moments, subtract, rsqrt, multiply and add with their broadcast-gradient sums
 * (75 dispatches per layer and step measured on SwiftShader at 128x128, 7.9 ms against 1.6 ms for the layer's
 * matmul). Here: forward MomentsProgram + BatchNormProgram (+ two RunningStatsProgram passes when the running
 * statistics are updated), backward BatchNormGradSumsProgram + BatchNormGradProgram (+ one StatsRowProgram per
 * affine parameter): 2-4 dispatches each way.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BatchNormResult, BatchNormRunning } from '../../core/probe/ops';
import { BatchNormGradProgram } from './batchnorm_grad_gpu';
import { BatchNormGradSumsProgram } from './batchnorm_grad_sums_gpu';
import { BatchNormProgram } from './batchnorm_gpu';
import { MomentsProgram } from './moments_gpu';
import { RunningStatsProgram } from './running_stats_gpu';
import { runProgram } from './runProgram';
import { StatsRowProgram } from './stats_row_gpu';

type Args = (tf.Tensor | tf.GradSaveFunc)[];

/** The fused training-mode BatchNorm (see the file comment); x float32 [rows, cols] on the WebGL 2 backend. */
export function webglBatchNorm(x: tf.Tensor2D, gamma: tf.Tensor1D | null, beta: tf.Tensor1D | null, eps: number, running: BatchNormRunning | null): BatchNormResult {
  const [rows, cols] = x.shape;
  const epsUniform = [[eps]];
  // Mean (row 0) and biased variance (row 1): made by our program, so not on the tape; the customGrad's
  // backward carries the gradient through them.
  const stats = runProgram(new MomentsProgram(rows, cols), [x]) as tf.Tensor2D;
  const inputs: tf.Tensor[] = [x, ...(gamma ? [gamma] : []), ...(beta ? [beta] : [])];
  const op = tf.customGrad((...args: Args) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const g = gamma ? (args[1] as tf.Tensor1D) : null;
    const b = beta ? (args[gamma ? 2 : 1] as tf.Tensor1D) : null;
    const xs = args[0] as tf.Tensor2D;
    save([xs, stats, ...(g ? [g] : [])]);
    const y = runProgram(new BatchNormProgram(rows, cols, g !== null, b !== null), [xs, stats, ...(g ? [g] : []), ...(b ? [b] : [])], epsUniform);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sst, sg] = saved;
        const sums = runProgram(new BatchNormGradSumsProgram(rows, cols), [sx, dy, sst], epsUniform);
        const dx = runProgram(new BatchNormGradProgram(rows, cols, sg !== undefined), [sx, dy, sst, sums, ...(sg ? [sg] : [])], epsUniform);
        const grads = [dx];
        if (gamma) grads.push(runProgram(new StatsRowProgram(cols, 1), [sums]));
        if (beta) grads.push(runProgram(new StatsRowProgram(cols, 0), [sums]));
        sums.dispose();
        return grads;
      },
    };
  });
  const y = op(...inputs) as tf.Tensor2D;
  let runningMean: tf.Tensor1D | null = null;
  let runningVar: tf.Tensor1D | null = null;
  if (running) {
    const w = running.batchWeight;
    const varWeight = running.unbiased ? (w * rows) / Math.max(1, rows - 1) : w;
    runningMean = runProgram(new RunningStatsProgram(cols, 0), [stats, running.mean], [[1 - w], [w]]) as tf.Tensor1D;
    runningVar = runProgram(new RunningStatsProgram(cols, 1), [stats, running.variance], [[1 - w], [varWeight]]) as tf.Tensor1D;
  }
  stats.dispose();
  return { y, runningMean, runningVar };
}
