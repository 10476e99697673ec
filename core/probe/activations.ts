/**
 * Activations as differentiable tfjs compositions (parameters resolved in activationSpec.ts).
 *
 * Why not stock tfjs ops everywhere: tf.elu has no alpha, tf.selu's constants are not the ones pinned in
 * reference.md, and `where(x > 0, x, exp(x) - 1)` back-propagates 0 * Inf = NaN from the unused branch for large x.
 * Exponential branches therefore take exp(min(x, 0)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { SELU_ALPHA, SELU_LAMBDA } from '../theory/selu';
import type { ProbeActivation } from './activationSpec';

/** Exponential branch alpha*(exp(x)-1) for x < 0, 0 otherwise, NaN-free in backprop. */
function negExpm1(x: tf.Tensor): tf.Tensor {
  return tf.sub(tf.exp(tf.minimum(x, 0)), 1);
}

/**
 * phi(x) elementwise (softmax / log_softmax over the last axis). `preluAlpha` is the learnable slope (broadcast
 * over the last axis) for prelu; without it the resolved default slope is used as a constant.
 */
export function applyActivation(x: tf.Tensor, act: ProbeActivation, preluAlpha?: tf.Tensor): tf.Tensor {
  switch (act.name) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'leaky_relu':
      return tf.leakyRelu(x, act.param ?? 0.01);
    case 'prelu': {
      const slope = preluAlpha ?? tf.scalar(act.param ?? 0.25);
      // relu(x) + slope * min(x, 0): differentiable in the slope, unlike tf.prelu with a broadcast scalar.
      return tf.add(tf.relu(x), tf.mul(slope, tf.minimum(x, 0)));
    }
    case 'elu':
      return tf.add(tf.relu(x), tf.mul(act.param ?? 1, negExpm1(x)));
    case 'selu':
      return tf.add(tf.mul(SELU_LAMBDA, tf.relu(x)), tf.mul(SELU_LAMBDA * SELU_ALPHA, negExpm1(x)));
    case 'gelu':
      // Exact erf form (PyTorch approximate='none', Keras approximate=False).
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'hard_sigmoid':
      return tf.clipByValue(tf.add(tf.mul(x, act.param ?? 0.2), 0.5), 0, 1);
    case 'softplus':
      return tf.softplus(x);
    case 'softsign':
      return tf.div(x, tf.add(1, tf.abs(x)));
    case 'swish':
      return tf.mul(x, tf.sigmoid(x));
    case 'mish':
      return tf.mul(x, tf.tanh(tf.softplus(x)));
    case 'softmax':
      return tf.softmax(x);
    case 'log_softmax':
      return tf.logSoftmax(x);
  }
}
