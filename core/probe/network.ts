/**
 * A trainable network built from a NetworkPlan: tfjs variables initialized exactly as the source framework
 * would (seededInit.ts), and a forward pass that can capture every layer's pre-activation and output for the
 * statistics. Layer order is the IR's forward order; residual adds use the plan's positions.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ProbeOps } from './ops';
import type { LayerPlan, NetworkPlan } from './plan';
import { normForward, type NormContext, type PendingUpdate } from './norms';
import { convForward, denseForward, flattenForward, poolForward, withActivation, type LayerParams, type PrePost } from './layers';
import { deriveSeed, Rng } from './rng';
import { drawBias, drawWeights, orthogonal } from './seededInit';

/** How one forward pass runs. */
export interface ForwardContext extends NormContext {
  ops: ProbeOps;
  /** Apply dropout / alpha dropout (training-mode probes); off for LSUV and weight-norm init passes. */
  dropout: boolean;
  /** Base seed of the run: dropout masks are hashUniform(deriveSeed(seed, DROPOUT, step, layer index), i). */
  seed: number;
  /** Keep every layer's pre / post (kept tensors; the caller disposes them). */
  capture: boolean;
  /** Stop after this position (LSUV measures one layer at a time). */
  stopAfter?: number;
}

export interface LayerTap {
  pre: tf.Tensor;
  post: tf.Tensor;
}

export interface ForwardResult {
  output: tf.Tensor;
  /** What a classification loss reads: the last layer's input to softmax / log_softmax, else the output. */
  logits: tf.Tensor;
  /** One per executed layer when `capture` (else empty). */
  taps: LayerTap[];
}

/** Seed-derivation keys, so every random stream of a run is independent. */
export const SEED_KEYS = { init: 1, data: 2, taskShape: 3, dropout: 4, sample: 5 } as const;

export interface BuildOptions {
  seed: number;
  /** 'orthogonal': orthonormal kernels (gain 1) and zero biases, LSUV's starting point. */
  init?: 'model' | 'orthogonal';
}

function variable(values: Float32Array, shape: number[], trainable = true): tf.Variable {
  const t = tf.tensor(values, shape);
  const v = tf.variable(t, trainable);
  t.dispose();
  return v;
}

/** Per-output-unit L2 norms of a kernel in tfjs layout (units on the last axis). */
export function columnNorms(values: Float32Array, units: number): Float32Array {
  const out = new Float32Array(units);
  const sq = new Float64Array(units);
  for (let i = 0; i < values.length; i++) sq[i % units] += values[i] * values[i];
  for (let j = 0; j < units; j++) out[j] = Math.sqrt(sq[j]);
  return out;
}

export class ProbeNetwork {
  private constructor(
    readonly plan: NetworkPlan,
    readonly params: LayerParams[],
    /** Initializers that could not be reproduced and were replaced by the framework default. */
    readonly notes: string[],
  ) {}

  static build(plan: NetworkPlan, options: BuildOptions): ProbeNetwork {
    const rng = new Rng(deriveSeed(options.seed, SEED_KEYS.init));
    const notes: string[] = [];
    const params = plan.layers.map((lp) => {
      const p: LayerParams = { kernel: null, bias: null, gain: null, alpha: null, gamma: null, beta: null, runningMean: null, runningVar: null };
      const l = lp.layer;
      if (lp.kernelShape) {
        const units = lp.kernelShape[lp.kernelShape.length - 1];
        let values: Float32Array;
        if (options.init === 'orthogonal') values = orthogonal(lp.kernelShape, 1, rng);
        else {
          const draw = drawWeights(l.init, plan.framework, lp.kernelShape, lp.fanIn, lp.fanOut, rng);
          if (draw.note) notes.push(`layer ${l.index} (${l.name}): ${draw.note}`);
          values = draw.values;
        }
        p.kernel = variable(values, lp.kernelShape);
        if (lp.weightNorm) p.gain = variable(columnNorms(values, units), [units]); // PyTorch weight_norm: g = ||V||, W = V at init
        if (lp.useBias) {
          const b = options.init === 'orthogonal' ? new Float32Array(units) : drawBias(l.bias, plan.framework, lp.fanIn, units, rng);
          p.bias = variable(b, [units]);
        }
      }
      if (lp.norm) {
        const c = lp.inShape[lp.inShape.length - 1];
        if (lp.norm.affine) {
          p.gamma = variable(new Float32Array(c).fill(1), [c]);
          p.beta = variable(new Float32Array(c), [c]);
        }
        if (lp.norm.kind === 'batchnorm' || lp.norm.kind === 'batchrenorm') {
          p.runningMean = variable(new Float32Array(c), [c], false);
          p.runningVar = variable(new Float32Array(c).fill(1), [c], false);
        }
      }
      if (lp.activation?.name === 'prelu') {
        // PyTorch nn.PReLU(): one shared slope (0.25); Keras / tfjs PReLU: one per unit (zeros).
        const n = plan.framework === 'pytorch' ? 1 : lp.outShape[lp.outShape.length - 1];
        p.alpha = variable(new Float32Array(n).fill(lp.activation.param ?? 0), [n]);
      }
      return p;
    });
    return new ProbeNetwork(plan, params, notes);
  }

  /** Every trainable variable, in layer order. */
  trainableVariables(): tf.Variable[] {
    return this.params.flatMap((p) => [p.kernel, p.gain, p.bias, p.gamma, p.beta, p.alpha].filter((v): v is tf.Variable => v !== null));
  }

  /** The weight whose gradient norm and update ratio a layer reports: kernel (V), else norm gamma. */
  mainWeight(position: number): tf.Variable | null {
    const p = this.params[position];
    return p.kernel ?? p.gamma ?? null;
  }

  private layerForward(x: tf.Tensor, lp: LayerPlan, p: LayerParams, ctx: ForwardContext, wantPre: boolean): PrePost {
    switch (lp.op) {
      case 'dense':
        return denseForward(x, lp, p, ctx.ops, wantPre);
      case 'conv':
        return convForward(x, lp, p, ctx.ops);
      case 'pool':
        return withActivation(poolForward(x, lp.pool!), lp, p);
      case 'flatten':
        return withActivation(flattenForward(x, lp), lp, p);
      case 'norm':
        return withActivation(normForward(x, lp.norm!, p, ctx), lp, p);
      case 'dropout':
      case 'alphadropout': {
        if (!ctx.dropout || lp.rate <= 0) return withActivation(x, lp, p);
        const seed = deriveSeed(ctx.seed, SEED_KEYS.dropout, ctx.step, lp.layer.index);
        const y = lp.op === 'dropout' ? ctx.ops.dropout(x, lp.rate, seed) : ctx.ops.alphaDropout(x, lp.rate, seed);
        return withActivation(y, lp, p);
      }
      case 'identity':
        return withActivation(x, lp, p);
    }
  }

  /** Forward pass; with `capture`, taps are kept and must be disposed by the caller (disposeTaps). */
  forward(x: tf.Tensor, ctx: ForwardContext): ForwardResult {
    const outputs: tf.Tensor[] = [];
    const taps: LayerTap[] = [];
    let h = x;
    let logits = x;
    const last = ctx.stopAfter ?? this.plan.layers.length - 1;
    for (let i = 0; i <= last; i++) {
      const lp = this.plan.layers[i];
      const feedsSoftmax = lp.activation?.name === 'softmax' || lp.activation?.name === 'log_softmax';
      const { pre, post } = this.layerForward(h, lp, this.params[i], ctx, ctx.capture || feedsSoftmax);
      let out = post;
      if (lp.residualPosition !== null) out = tf.add(out, lp.residualPosition === -1 ? x : outputs[lp.residualPosition]);
      outputs.push(out);
      if (ctx.capture) taps.push({ pre: tf.keep(pre ?? out), post: tf.keep(out) });
      logits = feedsSoftmax && pre ? pre : out;
      h = out;
    }
    return { output: h, logits, taps };
  }

  dispose(): void {
    for (const p of this.params) for (const v of Object.values(p)) (v as tf.Variable | null)?.dispose();
  }
}

/** Dispose captured taps (a tensor shared by two taps is disposed once; tfjs ignores the second call anyway). */
export function disposeTaps(taps: LayerTap[]): void {
  for (const t of taps) {
    t.pre.dispose();
    t.post.dispose();
  }
}

/** Assign queued running-statistics updates and free their tensors. */
export function applyPendingUpdates(pending: PendingUpdate[] | null): void {
  if (!pending) return;
  for (const u of pending) {
    u.target.assign(u.value);
    u.value.dispose();
  }
  pending.length = 0;
}
