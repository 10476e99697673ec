/**
 * The synthetic task a probe trains on, matched to the model: classification of a Gaussian mixture when the model
 * ends in softmax / log_softmax (or in more than one output with no activation: logits), else regression on the
 * outputs of a random teacher network. Data are generated standardized (z: mean 0, variance 1 per feature) and
 * shown to the model through the configured input normalization, so the task is the same and only the input
 * scale and offset differ. Every batch is a pure function of (seed, step): the same seed gives identical losses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { erf } from '../theory/special';
import type { InputNormalization, ProbeConfig } from './config';
import { SEED_KEYS, type ForwardResult } from './network';
import type { NetworkPlan } from './plan';
import { deriveSeed, Rng } from './rng';

export interface TaskBatch {
  x: tf.Tensor;
  target: tf.Tensor;
}

export interface ProbeTask {
  kind: 'classification' | 'regression';
  classes: number | null;
  /** Per-sample input shape, channels last. */
  inputShape: number[];
  /** The batch of step `step` (the caller disposes both tensors). */
  batch(step: number): TaskBatch;
  /** Mean cross-entropy (classification, from logits) or mean squared error (regression). */
  loss(result: ForwardResult, target: tf.Tensor): tf.Scalar;
  dispose(): void;
}

/** Teacher hidden width: enough for a non-linear target, small next to any probed model. */
const TEACHER_HIDDEN = 32;
/** E[tanh(z)^2] for z ~ N(0, 1): scales the teacher's read-out so the target variance is ~1. */
const TANH_SECOND_MOMENT = 0.394294;
/**
 * Per-feature spread of the class means, in units of 1/sqrt(D): two means are ~2.8 noise stds apart whatever the
 * input width, so the mixture is learnable but not trivially separable.
 */
const CLASS_SEPARATION = 2;

/** Classification or regression, and the class count, from the model's last layers (or the config). */
export function chooseTask(plan: NetworkPlan, config: Pick<ProbeConfig, 'task'>): { kind: 'classification' | 'regression'; classes: number | null } {
  const out = plan.outputShape;
  const classes = out.length === 1 && out[0] > 1 ? out[0] : null;
  if (config.task === 'regression' || (config.task === 'classification' && classes === null)) return { kind: 'regression', classes: null };
  if (config.task === 'classification') return { kind: 'classification', classes };
  // The deciding layer: the last one that is not a pass-through (dropout, flatten).
  const deciding = [...plan.layers].reverse().find((lp) => lp.op !== 'dropout' && lp.op !== 'alphadropout' && lp.op !== 'flatten');
  const act = deciding?.activation?.name ?? null;
  if (classes !== null && (act === null || act === 'softmax' || act === 'log_softmax')) return { kind: 'classification', classes };
  return { kind: 'regression', classes: null };
}

/** The value the model sees for a standardized feature z. */
function presentInput(z: number, mode: InputNormalization): number {
  switch (mode) {
    case 'standardized':
      return z;
    case 'unit':
      return 0.5 * (1 + erf(z * Math.SQRT1_2)); // Phi(z): uniform on [0, 1], like pixels / 255
    case 'symmetric':
      return erf(z * Math.SQRT1_2); // 2 Phi(z) - 1: uniform on [-1, 1]
  }
}

export function createTask(plan: NetworkPlan, config: ProbeConfig): ProbeTask {
  const { kind, classes } = chooseTask(plan, config);
  const inputShape = plan.inputShape;
  const d = inputShape.reduce((a, b) => a * b, 1);
  const outSize = plan.outputShape.reduce((a, b) => a * b, 1);
  const shapeRng = new Rng(deriveSeed(config.seed, SEED_KEYS.taskShape));
  const n = config.batchSize;
  let means: Float32Array | null = null;
  let teacher: { w1: tf.Tensor2D; w2: tf.Tensor2D } | null = null;
  if (kind === 'classification') means = shapeRng.fillNormal((classes as number) * d, 0, CLASS_SEPARATION / Math.sqrt(d));
  else {
    teacher = {
      w1: tf.tensor2d(shapeRng.fillNormal(d * TEACHER_HIDDEN, 0, 1 / Math.sqrt(d)), [d, TEACHER_HIDDEN]),
      w2: tf.tensor2d(shapeRng.fillNormal(TEACHER_HIDDEN * outSize, 0, 1 / Math.sqrt(TEACHER_HIDDEN * TANH_SECOND_MOMENT)), [TEACHER_HIDDEN, outSize]),
    };
  }
  const meanScale = 1 / Math.sqrt(1 + (CLASS_SEPARATION * CLASS_SEPARATION) / d);

  return {
    kind,
    classes,
    inputShape,
    batch(step: number): TaskBatch {
      const rng = new Rng(deriveSeed(config.seed, SEED_KEYS.data, step));
      const z = new Float32Array(n * d);
      const x = new Float32Array(n * d);
      const labels = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        const c = means ? rng.int(classes as number) : 0;
        labels[r] = c;
        for (let j = 0; j < d; j++) {
          // Mixture samples are rescaled to unit variance per feature: "standardized" means exactly that.
          const v = means ? (means[c * d + j] + rng.normal()) * meanScale : rng.normal();
          z[r * d + j] = v;
          x[r * d + j] = presentInput(v, config.inputNormalization);
        }
      }
      const xT = tf.tensor(x, [n, ...inputShape]);
      if (kind === 'classification') return { x: xT, target: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), classes as number), 'float32')) };
      const t = teacher as { w1: tf.Tensor2D; w2: tf.Tensor2D };
      const target = tf.tidy(() => tf.reshape(tf.matMul(tf.tanh(tf.matMul(tf.tensor2d(z, [n, d]), t.w1)), t.w2), [n, ...plan.outputShape]));
      return { x: xT, target };
    },
    loss(result: ForwardResult, target: tf.Tensor): tf.Scalar {
      if (kind === 'classification') {
        const logits = tf.reshape(result.logits, [n, classes as number]);
        return tf.neg(tf.mean(tf.sum(tf.mul(target, tf.logSoftmax(logits)), 1))) as tf.Scalar;
      }
      return tf.mean(tf.square(tf.sub(result.output, target))) as tf.Scalar;
    },
    dispose() {
      teacher?.w1.dispose();
      teacher?.w2.dispose();
    },
  };
}
