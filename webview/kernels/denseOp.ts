/**
 * The fused dense layer of webglOps. Forward, when the statistics need the pre-activation (sample points):
 * pre = x W + b by DenseProgram without activation, then post = phi(pre) by ONE packed elementwise program
 * (denseKeepingPre); otherwise (the training steps in between) post = phi(x W + b) by ONE program (dense_gpu.ts).
 * Backward, either way: dh = dy * phi'(post) by one program (phi' from the output, so no pre is kept), then
 * dX = dh W^T and dW = X^T dh by tfjs' packed matMul (transposes folded into its sampling) and db by one column-sum
 * pass: 5-6 dispatches per layer and step, against ~32 for tfjs' matMul + add + selu and their gradients
 * (performance-notes.md: SELU and its gradient have no packed kernel, so tfjs repacks around them).
 *
 * The one-program forward saves one elementwise pass next to a matmul of 2 rows in out flops: measured 2-7% of the
 * forward at widths 128-512 on SwiftShader (bench/probeBench.ts, "fused SELU dense" rows, "two passes keeping pre").
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ProbeActivation } from '../../core/probe/activationSpec';
import { ActivationProgram } from './activation_gpu';
import { ActivationGradProgram } from './activation_grad_gpu';
import { ColumnSumProgram } from './column_sum_gpu';
import { DenseProgram } from './dense_gpu';
import { cachedProgram, runProgram } from './runProgram';
import { isFusedActivation, type FusedActivation } from './shaderSnippets';

/** Column sums of a [rows, cols] matrix as a [cols] vector (the bias gradient). */
export function columnSum(x: tf.Tensor2D): tf.Tensor1D {
  return runProgram(new ColumnSumProgram(x.shape[0], x.shape[1]), [x]) as tf.Tensor1D;
}

type Args = (tf.Tensor | tf.GradSaveFunc)[];

/** x W + b with the gradient dX = dy W^T, dW = x^T dy, db = column sums of dy. */
const linearWithBias = tf.customGrad((...args: Args) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return [tf.matMul(d, sw, false, true), tf.matMul(sx, d, true, false), columnSum(d)];
    },
  };
});

const linearNoBias = tf.customGrad((...args: Args) => {
  const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return [tf.matMul(d, sw, false, true), tf.matMul(sx, d, true, false)];
    },
  };
});

/** x W (+ b): one packed matMul forward, two matMuls and a column sum backward. */
export function linear(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null): tf.Tensor2D {
  return (bias ? linearWithBias(x, kernel, bias) : linearNoBias(x, kernel)) as tf.Tensor2D;
}

/** The slope / alpha uniform of an activation, with the defaults core/probe/activations.ts uses. */
function activationParam(act: ProbeActivation): number {
  if (act.name === 'leaky_relu') return act.param ?? 0.01;
  if (act.name === 'elu') return act.param ?? 1;
  return 0;
}

/** Whether webglOps fuses this activation (the others run as stock tfjs compositions). */
export function fusable(act: ProbeActivation): boolean {
  // phi' is read from the output, which needs y > 0 exactly when h > 0: not so for a negative leaky slope.
  return isFusedActivation(act.name) && !(act.name === 'leaky_relu' && activationParam(act) < 0);
}

/** dh = dy * phi'(y) from the layer output y. */
function activationGrad(dy: tf.Tensor, y: tf.Tensor, name: FusedActivation, param: number[][]): tf.Tensor2D {
  const [rows, cols] = y.shape as [number, number];
  return runProgram(new ActivationGradProgram(rows, cols, name), [dy, y], param) as tf.Tensor2D;
}

/**
 * phi(x W + b) as ONE gradient op whose forward is `forward(operands)` ([x, W] or [x, W, b]) and whose backward
 * reads phi' from the output: dh = dy * phi'(y) in one pass, then dX = dh W^T and dW = x^T dh by two matMuls and
 * db by a column sum.
 */
function denseOp(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, act: ProbeActivation, forward: (operands: tf.Tensor[], param: number[][]) => tf.Tensor2D): tf.Tensor2D {
  const name = act.name as FusedActivation;
  const param = [[activationParam(act)]];
  const f = tf.customGrad((...args: Args) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const operands = args.slice(0, -1) as tf.Tensor[];
    const y = forward(operands, param);
    save([operands[0], operands[1], y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const dh = activationGrad(dy, sy, name, param);
        const grads = [tf.matMul(dh, sw, false, true), tf.matMul(sx, dh, true, false)];
        return bias ? [...grads, columnSum(dh)] : grads;
      },
    };
  });
  return (bias ? f(x, kernel, bias) : f(x, kernel)) as tf.Tensor2D;
}

/** phi(x W + b) in one forward pass, without the pre-activation (the training steps between sample points). */
export function denseFused(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, act: ProbeActivation): tf.Tensor2D {
  const [rows, shared] = x.shape;
  const program = new DenseProgram(rows, shared, kernel.shape[1], act.name as FusedActivation, bias !== null);
  return denseOp(x, kernel, bias, act, (operands, param) => runProgram(program, operands, param) as tf.Tensor2D);
}

/**
 * phi(x W + b) keeping the pre-activation x W + b (sample points): two passes, DenseProgram without activation then
 * the activation. The first runs outside the gradient op (an ordinary tensor of the current scope, nothing
 * differentiates through it); the op computes the activation from it and has denseFused's backward (phi' from the
 * output), so x, W and b get their gradients as in a training step. Against tfjs' fused matMul + a separate
 * activation op (two gradient ops and tfjs' matMul front end), measured in the CPU profile of a 64-layer SELU
 * step: ~70 us less page time per layer and sample point.
 */
export function denseKeepingPre(x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D | null, act: ProbeActivation): { pre: tf.Tensor2D; post: tf.Tensor2D } {
  const [rows, shared] = x.shape;
  const cols = kernel.shape[1];
  const pre = runProgram(cachedProgram(DenseProgram, rows, shared, cols, 'linear', bias !== null), bias ? [x, kernel, bias] : [x, kernel]) as tf.Tensor2D;
  const activation = cachedProgram(ActivationProgram, rows, cols, act.name as FusedActivation);
  return { pre, post: denseOp(x, kernel, bias, act, (_, param) => runProgram(activation, [pre], param) as tf.Tensor2D) };
}
