/**
 * Data-dependent initialization suggestions from one batch of the probe's task (reference.md):
 * - LSUV (Mishkin & Matas 2016): orthonormal kernels, zero biases; for each dense / conv layer in forward order,
 *   forward the batch, divide the kernel by the std of the layer's (pre-activation) output, until
 *   |std - 1| <= 0.1 or 10 tries. Reported as the factor applied to the orthonormal kernel and as the
 *   resulting sigma_w^2 = fan_in Var(w), the number the theory's init suggestions use.
 * - Weight-norm data-dependent init (Salimans & Kingma 2016): per output unit of each dense / conv layer, the
 *   minibatch mean m and variance v of V.x/||V||; g = 1/sqrt(v + 1e-10), b = -m/sqrt(v + 1e-10). Layers are
 *   initialized in order, so each sees the already-normalized outputs of the earlier ones.
 * Both run BatchNorm on batch statistics without touching running statistics, and without dropout.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../ir';
import { resolveProbeConfig, type ProbeConfig } from './config';
import { effectiveKernel } from './layers';
import { columnNorms, ProbeNetwork, disposeTaps, type ForwardContext, type LayerTap } from './network';
import { plainOps, type ProbeOps } from './ops';
import { planNetwork } from './plan';
import { createTask } from './task';

export interface LsuvSuggestion {
  index: number;
  name: string;
  /** Factor applied to the orthonormal kernel (product over the tries). */
  scale: number;
  /** Std of the resulting kernel entries and fan_in * Var(w). */
  weightStd: number;
  sigmaW2: number;
  /** Std of the layer's output at the last try. */
  outputStd: number;
  tries: number;
  converged: boolean;
}

export interface WeightNormInitSuggestion {
  index: number;
  name: string;
  /** Per output unit. */
  g: number[];
  b: number[];
  /** False when the layer has no bias, so b could not be applied (later layers then see the uncentred output). */
  biasApplied: boolean;
}

export interface DataInitOptions {
  ops?: ProbeOps;
  /** LSUV tolerance on |std - 1| and maximum tries (reference.md: 0.1 and 10). */
  tolerance?: number;
  maxTries?: number;
}

type Linear = { position: number; net: ProbeNetwork };

/** Assign a computed value to a variable without leaking the value tensor. */
function setVariable(v: tf.Variable, value: () => tf.Tensor): void {
  tf.tidy(() => v.assign(value()));
}

/** Build a network and one batch, run `fn` over its dense / conv layers in order, free everything. */
async function withLinearLayers<T>(
  model: Model,
  config: Partial<ProbeConfig>,
  init: 'model' | 'orthogonal',
  ops: ProbeOps,
  fn: (layer: Linear, pre: () => Promise<{ values: Float32Array; units: number }>) => Promise<T | null>,
): Promise<T[]> {
  const cfg = resolveProbeConfig(model, config);
  const plan = planNetwork(model, cfg);
  const net = ProbeNetwork.build(plan, { seed: cfg.seed, init });
  const task = createTask(plan, cfg);
  const { x, target } = task.batch(0);
  const out: T[] = [];
  try {
    for (let i = 0; i < plan.layers.length; i++) {
      const lp = plan.layers[i];
      if ((lp.op !== 'dense' && lp.op !== 'conv') || lp.cosine) continue;
      const pre = async () => {
        const ctx: ForwardContext = { ops, training: true, dropout: false, step: 0, seed: cfg.seed, renormRelaxSteps: cfg.renormRelaxSteps, capture: true, pending: null, stopAfter: i };
        // Taps are kept tensors: they outlive the tidy that frees the rest of the forward.
        let taps: LayerTap[] = [];
        tf.tidy(() => {
          taps = net.forward(x, ctx).taps;
        });
        try {
          const t = taps[i].pre;
          return { values: (await t.data()) as Float32Array, units: t.shape[t.rank - 1] };
        } finally {
          disposeTaps(taps);
        }
      };
      const r = await fn({ position: i, net }, pre);
      if (r !== null) out.push(r);
    }
  } finally {
    tf.dispose([x, target]);
    task.dispose();
    net.dispose();
  }
  return out;
}

function meanStd(values: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const v of values) s += v;
  const mean = s / values.length;
  let q = 0;
  for (const v of values) q += (v - mean) * (v - mean);
  return { mean, std: Math.sqrt(q / values.length) };
}

/** LSUV scale factors per dense / conv layer (see the file comment). */
export async function lsuvSuggestions(model: Model, config: Partial<ProbeConfig> = {}, options: DataInitOptions = {}): Promise<LsuvSuggestion[]> {
  const tol = options.tolerance ?? 0.1;
  const maxTries = options.maxTries ?? 10;
  return withLinearLayers(model, config, 'orthogonal', options.ops ?? plainOps, async ({ position, net }, pre) => {
    const lp = net.plan.layers[position];
    const p = net.params[position];
    // Under weight normalization the kernel's scale lives in g.
    const scaled = (lp.weightNorm ? p.gain : p.kernel) as tf.Variable;
    let scale = 1;
    let std = NaN;
    let tries = 0;
    let converged = false;
    while (tries < maxTries) {
      tries++;
      std = meanStd((await pre()).values).std;
      if (Math.abs(std - 1) <= tol) {
        converged = true;
        break;
      }
      if (!(std > 0) || !Number.isFinite(std)) break;
      setVariable(scaled, () => tf.div(scaled, std));
      scale /= std;
    }
    const kernel = tf.tidy(() => effectiveKernel(lp, p).clone());
    const ws = meanStd((await kernel.data()) as Float32Array);
    kernel.dispose();
    return { index: lp.layer.index, name: lp.layer.name, scale, weightStd: ws.std, sigmaW2: lp.fanIn * ws.std * ws.std, outputStd: std, tries, converged };
  });
}

/** Weight-norm data-dependent (g, b) per dense / conv layer (see the file comment). */
export async function weightNormInitSuggestions(model: Model, config: Partial<ProbeConfig> = {}, options: DataInitOptions = {}): Promise<WeightNormInitSuggestion[]> {
  return withLinearLayers(model, config, 'model', options.ops ?? plainOps, async ({ position, net }, pre) => {
    const lp = net.plan.layers[position];
    const p = net.params[position];
    const kernel = p.kernel as tf.Variable;
    const units = lp.fanOut;
    // Direction only: W = V/||V|| and no bias, so the measured output is V.x/||V||.
    let direction: Float32Array | null = null;
    if (lp.weightNorm && p.gain) setVariable(p.gain, () => tf.ones([units]));
    else {
      const v = (await kernel.data()) as Float32Array;
      const norms = columnNorms(v, units);
      const dir = v.map((x, i) => x / norms[i % units]);
      direction = dir;
      setVariable(kernel, () => tf.tensor(dir, kernel.shape));
    }
    if (p.bias) setVariable(p.bias, () => tf.zeros([units]));
    const { values } = await pre();
    const sum = new Float64Array(units);
    const sq = new Float64Array(units);
    for (let i = 0; i < values.length; i++) {
      sum[i % units] += values[i];
      sq[i % units] += values[i] * values[i];
    }
    const rows = values.length / units;
    const g = new Float32Array(units);
    const b = new Float32Array(units);
    for (let j = 0; j < units; j++) {
      const m = sum[j] / rows;
      const v = Math.max(0, sq[j] / rows - m * m);
      g[j] = 1 / Math.sqrt(v + 1e-10);
      b[j] = -m * g[j];
    }
    if (lp.weightNorm && p.gain) setVariable(p.gain, () => tf.tensor(g));
    else setVariable(kernel, () => tf.tensor((direction as Float32Array).map((x, i) => x * g[i % units]), kernel.shape));
    if (p.bias) setVariable(p.bias, () => tf.tensor(b));
    return { index: lp.layer.index, name: lp.layer.name, g: Array.from(g), b: Array.from(b), biasApplied: p.bias !== null };
  });
}
