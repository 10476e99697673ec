/**
 * What a probe will cost, from the IR alone, so a caller can refuse or scale down a big model before allocating
 * anything. FLOPs count multiply-adds as 2; a training step is forward + backward ~ 3x the forward (the backward
 * computes two products per matmul / conv). Seconds use the throughputs measured on this kind of machine
 * (performance-notes.md: tfjs CPU in Node ~1.2 GFLOP/s, SwiftShader WebGL ~5.7 GFLOP/s): an order of magnitude,
 * not a promise; a real GPU is far faster.
 */
import type { Model } from '../ir';
import { isSamplePoint, resolveProbeConfig, type ProbeConfig } from './config';
import { isIdentity } from './activationSpec';
import { planNetwork, type LayerPlan } from './plan';

export interface ProbeCost {
  /** Trainable parameters. */
  parameters: number;
  /** Forward FLOPs for one sample. */
  forwardFlopsPerSample: number;
  /** One training step at the configured batch (forward + backward + optimizer update). */
  flopsPerStep: number;
  /** The whole probe: steps + statistics at every sample point. */
  totalFlops: number;
  /** Peak memory: parameters, gradients, optimizer slots, activations kept for backprop, statistics. */
  bytes: number;
  sampleCount: number;
  /** Rough wall time by backend at the reference throughputs. */
  estimatedSeconds: { cpu: number; webgl: number };
}

/** Reference throughputs (FLOP/s) from performance-notes.md. */
export const REFERENCE_THROUGHPUT = { cpu: 1.2e9, webgl: 5.7e9 } as const;

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** Elementwise cost of an activation per element (exp / erf / tanh count a few FLOPs). */
function activationFlops(lp: LayerPlan): number {
  return isIdentity(lp.activation) ? 0 : 8;
}

function layerCost(lp: LayerPlan): { params: number; flops: number } {
  const outN = size(lp.outShape);
  const inN = size(lp.inShape);
  const act = activationFlops(lp) * outN;
  switch (lp.op) {
    case 'dense': {
      const rows = outN / lp.fanOut;
      const params = lp.fanIn * lp.fanOut + (lp.useBias ? lp.fanOut : 0) + (lp.weightNorm ? lp.fanOut : 0);
      return { params, flops: 2 * rows * lp.fanIn * lp.fanOut + outN + act };
    }
    case 'conv': {
      const units = lp.outShape[lp.outShape.length - 1];
      const params = lp.fanIn * units + (lp.useBias ? units : 0) + (lp.weightNorm ? units : 0);
      return { params, flops: 2 * outN * lp.fanIn + outN + act };
    }
    case 'norm': {
      const c = lp.inShape[lp.inShape.length - 1];
      return { params: lp.norm?.affine ? 2 * c : 0, flops: 8 * inN + act };
    }
    case 'pool':
      return { params: 0, flops: lp.pool?.global ? inN : outN * size(lp.pool?.kernel ?? [1]) };
    default:
      return { params: lp.activation?.name === 'prelu' ? lp.outShape[lp.outShape.length - 1] : 0, flops: 2 * outN + act };
  }
}

/**
 * Parameters, FLOPs per step, bytes and a time estimate for probing `model` with `config`.
 * Throws ProbePlanError when the model cannot be built (the probe would refuse it too).
 */
export function estimateProbeCost(model: Model, config: Partial<ProbeConfig> = {}): ProbeCost {
  const cfg = resolveProbeConfig(model, config);
  const plan = planNetwork(model, cfg);
  let parameters = 0;
  let forward = 0;
  let activations = 0;
  for (const lp of plan.layers) {
    const c = layerCost(lp);
    parameters += c.params;
    forward += c.flops;
    // pre and post of each layer stay alive for the backward pass.
    activations += 2 * size(lp.outShape);
  }
  const optimizerFlops = (cfg.optimizer === 'adam' ? 12 : cfg.momentum > 0 ? 4 : 2) * parameters;
  const flopsPerStep = 3 * forward * cfg.batchSize + optimizerFlops;
  let sampleCount = 0;
  for (let s = 0; s <= cfg.steps; s++) if (isSamplePoint(s, cfg)) sampleCount++;
  // A sample point computes ~10 reductions per element of every layer's pre and post.
  const statsFlops = 10 * activations * cfg.batchSize;
  const totalFlops = cfg.steps * flopsPerStep + sampleCount * (statsFlops + (cfg.steps === 0 ? flopsPerStep : 0));
  const slots = cfg.optimizer === 'adam' ? 2 : cfg.momentum > 0 ? 1 : 0;
  const bytes = 4 * (parameters * (2 + slots) + activations * cfg.batchSize * 2);
  return {
    parameters,
    forwardFlopsPerSample: forward,
    flopsPerStep,
    totalFlops,
    bytes,
    sampleCount,
    estimatedSeconds: { cpu: totalFlops / REFERENCE_THROUGHPUT.cpu, webgl: totalFlops / REFERENCE_THROUGHPUT.webgl },
  };
}
