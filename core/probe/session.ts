/**
 * One probe run's live state (network, task, optimizer, percentile sample indices) and its two kinds of step:
 * a plain training step (no readback at all) and a measured step that computes every layer's statistics with the
 * gradients of the same batch and reads the backend back exactly once.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core registers no gradients by itself; the probe differentiates through every op it uses.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { ProbeConfig, ProbeRecord } from './config';
import type { ProbeOps, StatisticsLayerInput, StatisticsReduction } from './ops';
import type { NetworkPlan } from './plan';
import { applyPendingUpdates, disposeTaps, ProbeNetwork, SEED_KEYS, type ForwardContext, type LayerTap } from './network';
import type { PendingUpdate } from './norms';
import { deriveSeed, Rng, sampleIndices, sampleQuadIndices } from './rng';
import { findDivergence, layerSampleOf, sortedFloat32 } from './stats';
import { createTask, type ProbeTask } from './task';
import { activationModel } from '../theory/activations';

/**
 * A fresh optimizer for one run (dispose it with the run: Adam / momentum hold slot variables). tfjs' own SGD /
 * momentum / Adam: their update rules match PyTorch's and Keras' for a few hundred probe steps (tfjs Adam's
 * epsilon is 1e-7 like Keras; PyTorch's 1e-8 only matters for gradients ~1e-8).
 */
export function createOptimizer(config: Pick<ProbeConfig, 'optimizer' | 'learningRate' | 'momentum'>): tf.Optimizer {
  if (config.optimizer === 'adam') return tf.train.adam(config.learningRate, 0.9, 0.999);
  return config.momentum > 0 ? tf.train.momentum(config.learningRate, config.momentum) : tf.train.sgd(config.learningRate);
}

/**
 * A layer's output as a function of its pre-activation, float32-rounded, when it is a fixed non-decreasing
 * activation with nothing added after it (not softmax, not a learned PReLU slope, no residual): else undefined.
 */
function monotoneOutput(lp: NetworkPlan['layers'][number], framework: NetworkPlan['framework']): ((pre: number) => number) | undefined {
  const act = lp.activation;
  if (!act || act.name === 'linear' || act.name === 'prelu' || lp.residualPosition !== null) return undefined;
  const model = activationModel({ name: act.name, ...(act.param !== null ? { param: act.param } : {}) }, framework);
  if (!model.monotone || model.passThrough) return undefined;
  return (h) => (Number.isNaN(h) ? NaN : Math.fround(model.phi(h)));
}

export class ProbeSession {
  readonly network: ProbeNetwork;
  readonly task: ProbeTask;
  private readonly optimizer: tf.Optimizer;
  private readonly variables: tf.Variable[];
  private readonly samples: ({ idx: tf.Tensor1D; quads: boolean } | null)[];
  /** Per layer, its output as a monotone function of its pre-activation, when it is one (StatisticsLayerInput). */
  private readonly postOfPre: (((pre: number) => number) | undefined)[];

  constructor(
    readonly plan: NetworkPlan,
    readonly config: ProbeConfig,
    readonly ops: ProbeOps,
  ) {
    this.network = ProbeNetwork.build(plan, { seed: config.seed });
    this.task = createTask(plan, config);
    this.optimizer = createOptimizer(config);
    this.variables = this.network.trainableVariables();
    this.postOfPre = plan.layers.map((lp) => monotoneOutput(lp, plan.framework));
    // One index set per [rows, units] shape, shared by the layers of that shape: a tensor that is one layer's
    // output and the next layer's input is then sampled at the same positions for both, so the statistics pass
    // gathers it once (a Linear -> BatchNorm -> ReLU block has three such tensors, not six). In 2x2 blocks where
    // the shape allows (sampleQuadIndices), so that pass fetches one texel per four samples.
    const rng = new Rng(deriveSeed(config.seed, SEED_KEYS.sample));
    const bySize = new Map<string, { idx: tf.Tensor1D; quads: boolean }>();
    this.samples = plan.layers.map((lp) => {
      if (!config.percentileSample) return null;
      const units = lp.outShape.length ? lp.outShape[lp.outShape.length - 1] : 1;
      const rows = config.batchSize * lp.outShape.slice(0, -1).reduce((a, b) => a * b, 1);
      const key = `${rows}x${units}`;
      let s = bySize.get(key);
      if (!s) {
        const quads = sampleQuadIndices(rows, units, config.percentileSample, rng);
        const idx = tf.tensor1d(quads ?? sampleIndices(rows * units, config.percentileSample, rng), 'int32');
        bySize.set(key, (s = { idx, quads: quads !== null }));
      }
      return s;
    });
  }

  private context(step: number, capture: boolean, pending: PendingUpdate[] | null): ForwardContext {
    return { ops: this.ops, training: true, dropout: true, step, seed: this.config.seed, renormRelaxSteps: this.config.renormRelaxSteps, capture, pending };
  }

  /** Loss and named gradients of one batch (no variables: loss only). */
  private lossAndGrads(x: tf.Tensor, target: tf.Tensor, ctx: ForwardContext, onTaps: (t: LayerTap[]) => void): { loss: tf.Scalar; grads: tf.NamedTensorMap } {
    const f = () => {
      const r = this.network.forward(x, ctx);
      onTaps(r.taps);
      return this.task.loss(r, target);
    };
    if (!this.variables.length) return { loss: tf.tidy(f), grads: {} };
    const { value, grads } = tf.variableGrads(f, this.variables);
    return { loss: value, grads };
  }

  private finishStep(grads: tf.NamedTensorMap, pending: PendingUpdate[], apply: boolean): void {
    if (apply && Object.keys(grads).length) this.optimizer.applyGradients(grads);
    if (apply) applyPendingUpdates(pending);
    for (const p of pending) p.value.dispose();
    tf.dispose(grads);
  }

  /** A training step without statistics: nothing is read back. */
  train(step: number): void {
    const { x, target } = this.task.batch(step);
    const pending: PendingUpdate[] = [];
    const { loss, grads } = this.lossAndGrads(x, target, this.context(step, false, pending), () => {});
    this.finishStep(grads, pending, true);
    tf.dispose([loss, x, target]);
  }

  /**
   * Measure at `step` (after `step` updates): forward + backward on the step's batch, every statistic into one
   * tensor, then that step's update when `apply`, all queued on the backend BEFORE the one readback is awaited.
   * A caller may therefore queue the next steps before awaiting this one (probeStream does): the readback's
   * latency then overlaps the GPU's work instead of idling it. The update is queued even when the step turns out
   * to have diverged; the run ends at a divergence, so that network is never measured again.
   */
  async measure(step: number, apply: boolean, elapsedMs: () => number): Promise<ProbeRecord> {
    const { x, target } = this.task.batch(step);
    const pending: PendingUpdate[] = [];
    let taps: LayerTap[] = [];
    let reduction: StatisticsReduction | null = null;
    try {
      const { loss, grads } = this.lossAndGrads(x, target, this.context(step, true, pending), (t) => (taps = t));
      try {
        const layers: StatisticsLayerInput[] = this.plan.layers.map((lp, i) => {
          const w = this.network.mainWeight(i);
          return {
            pre: taps[i].pre,
            post: taps[i].post,
            saturation: lp.activation?.saturation ?? [],
            trackDead: lp.activation?.deadBelowZero ?? false,
            sample: this.samples[i]?.idx ?? null,
            sampleQuads: this.samples[i]?.quads ?? false,
            postOfPre: this.postOfPre[i],
            weight: w,
            grad: w ? (grads[w.name] ?? null) : null,
          };
        });
        reduction = this.ops.statistics({ loss, layers });
      } finally {
        // Queued after the statistics passes that read them: command order keeps those reads valid.
        this.finishStep(grads, pending, apply && reduction !== null);
        tf.dispose(loss);
      }
    } catch (e) {
      for (const p of pending) p.value.dispose();
      (reduction as StatisticsReduction | null)?.dispose();
      throw e;
    } finally {
      disposeTaps(taps);
      tf.dispose([x, target]);
    }
    const decoded = reduction!.decode(await reduction!.read());
    // One sort per distinct sample array, however many layers read it (an activation's output sample included).
    const memo = new Map<Float32Array, Float32Array>();
    const sorted = (sample: Float32Array) => {
      let s = memo.get(sample);
      if (!s) memo.set(sample, (s = sortedFloat32(sample)));
      return s;
    };
    const samples = decoded.layers.map((r, i) => layerSampleOf(this.plan.layers[i].layer.index, r, this.config.learningRate, sorted));
    return { step, loss: decoded.loss, elapsedMs: elapsedMs(), layers: samples, diverged: findDivergence(step, decoded.loss, samples) };
  }

  dispose(): void {
    this.network.dispose();
    this.task.dispose();
    this.optimizer.dispose();
    tf.dispose([...new Set(this.samples.flatMap((s) => (s ? [s.idx] : [])))]);
  }
}
