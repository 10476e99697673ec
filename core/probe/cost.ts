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
  /** The part of `bytes` that does not grow with the batch (parameters, gradients, optimizer slots). */
  fixedBytes: number;
  /** What each sample of the batch adds to `bytes` (activations kept for the backward pass, and their gradients). */
  bytesPerSample: number;
  /** The biggest weight tensor (elements) and the IR index of its layer: one WebGL texture must hold it. */
  largestWeight: { elements: number; layer: number | null };
  /** The biggest activation tensor per sample (elements); times the batch it must fit one texture too. */
  largestActivationPerSample: number;
  sampleCount: number;
  /** Rough wall time by backend at the reference throughputs. */
  estimatedSeconds: { cpu: number; webgl: number };
}

/** Reference throughputs (FLOP/s) from performance-notes.md. */
export const REFERENCE_THROUGHPUT = { cpu: 1.2e9, webgl: 5.7e9 } as const;

/**
 * Fixed cost per layer per step (op dispatch, small allocations), which FLOPs miss: it dominates deep narrow
 * networks. Measured with the CPU backend in Node on the 2-core machine: 100 x 16 and 500 x 16 ReLU MLPs at
 * batch 8 took 0.28 and 0.69 ms per layer-step (FLOPs alone predict under 0.01 ms); WebGL pays a draw call per op.
 */
export const LAYER_STEP_OVERHEAD_SECONDS = { cpu: 3e-4, webgl: 5e-4 } as const;

/** Most layers a probe measures: each record carries one sample per layer, and the protocol takes at most this many. */
export const MAX_PROBED_LAYERS = 10_000;

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
  const largestWeight: { elements: number; layer: number | null } = { elements: 0, layer: null };
  let largestActivationPerSample = plan.layers.length ? size(plan.layers[0].inShape) : 0;
  for (const lp of plan.layers) {
    const c = layerCost(lp);
    parameters += c.params;
    forward += c.flops;
    // pre and post of each layer stay alive for the backward pass.
    activations += 2 * size(lp.outShape);
    const weight = lp.op === 'dense' ? lp.fanIn * lp.fanOut : lp.op === 'conv' ? lp.fanIn * lp.outShape[lp.outShape.length - 1] : 0;
    if (weight > largestWeight.elements) Object.assign(largestWeight, { elements: weight, layer: lp.layer.index });
    largestActivationPerSample = Math.max(largestActivationPerSample, size(lp.outShape));
  }
  const optimizerFlops = (cfg.optimizer === 'adam' ? 12 : cfg.momentum > 0 ? 4 : 2) * parameters;
  const flopsPerStep = 3 * forward * cfg.batchSize + optimizerFlops;
  let sampleCount = 0;
  for (let s = 0; s <= cfg.steps; s++) if (isSamplePoint(s, cfg)) sampleCount++;
  // A sample point computes ~10 reductions per element of every layer's pre and post.
  const statsFlops = 10 * activations * cfg.batchSize;
  const totalFlops = cfg.steps * flopsPerStep + sampleCount * (statsFlops + (cfg.steps === 0 ? flopsPerStep : 0));
  const slots = cfg.optimizer === 'adam' ? 2 : cfg.momentum > 0 ? 1 : 0;
  const layerSteps = plan.layers.length * (cfg.steps + sampleCount);
  const fixedBytes = 4 * parameters * (2 + slots);
  const bytesPerSample = 4 * activations * 2;
  const bytes = fixedBytes + bytesPerSample * cfg.batchSize;
  return {
    parameters,
    fixedBytes,
    bytesPerSample,
    largestWeight,
    largestActivationPerSample,
    forwardFlopsPerSample: forward,
    flopsPerStep,
    totalFlops,
    bytes,
    sampleCount,
    estimatedSeconds: {
      cpu: totalFlops / REFERENCE_THROUGHPUT.cpu + layerSteps * LAYER_STEP_OVERHEAD_SECONDS.cpu,
      webgl: totalFlops / REFERENCE_THROUGHPUT.webgl + layerSteps * LAYER_STEP_OVERHEAD_SECONDS.webgl,
    },
  };
}

/** What one probe may use: a memory budget, a time cap, and (WebGL) the largest texture side. */
export interface ProbeBudget {
  /** The backend the estimate is for (its reference throughput). */
  backend: 'webgl' | 'cpu';
  /** Peak bytes the probe may need (weights, gradients, optimizer slots, activations). */
  maxBytes: number;
  /** Longest the whole probe may be estimated to take on `backend`. */
  maxSeconds: number;
  /**
   * WebGL's MAX_TEXTURE_SIZE: tfjs keeps each tensor in one 2-D texture, so a tensor of more elements than a
   * square texture of this side holds cannot be placed at all. null / absent: no such limit (the CPU).
   */
  maxTextureSize?: number | null;
}

/** A probe fitted to a budget: the configuration to run, what was changed and why, or why it was refused. */
export interface FittedProbe {
  config: ProbeConfig;
  /** The estimate for `config` (the fitted one). */
  cost: ProbeCost;
  /** One sentence per change (batch, steps), saying from what to what and why; empty when nothing changed. */
  changes: string[];
  /** Set when the model cannot be probed within the budget whatever the batch and steps; `config` is then unusable. */
  refused: string | null;
}

const MiB = 2 ** 20;
const mib = (bytes: number) => (bytes >= 1e6 * MiB ? `${(bytes / 2 ** 40).toExponential(1)} TiB` : `${Math.ceil(bytes / MiB).toLocaleString('en-US')} MiB`);
const secs = (s: number) => (s >= 1e6 ? `${s.toExponential(1)} s` : `${Math.ceil(s).toLocaleString('en-US')} s`);
const elements = (n: number) => (n >= 1e9 ? n.toExponential(1) : n.toLocaleString('en-US'));

/**
 * Fit a probe to `budget` before anything is allocated: refuse a model whose weights alone do not fit the memory
 * budget (or one WebGL texture), else scale the batch down until the activations fit, then the steps down until
 * the estimated time fits (and the batch further if even measuring the initialized network is too slow).
 * BatchNorm-style layers need a batch of at least 2. Throws ProbePlanError like estimateProbeCost.
 */
export function fitProbeToBudget(model: Model, config: Partial<ProbeConfig>, budget: ProbeBudget): FittedProbe {
  const asked = resolveProbeConfig(model, config);
  const first = estimateProbeCost(model, asked);
  const changes: string[] = [];
  const refuse = (why: string): FittedProbe => ({ config: asked, cost: first, changes, refused: why });
  const texels = budget.maxTextureSize ? budget.maxTextureSize ** 2 : Infinity;
  const where = budget.backend === 'webgl' ? 'WebGL' : 'the CPU backend';
  if (model.layers.length > MAX_PROBED_LAYERS) return refuse(`it has ${elements(model.layers.length)} layers; a probe measures at most ${elements(MAX_PROBED_LAYERS)}`);
  if (first.largestWeight.elements > texels) {
    return refuse(
      `layer ${first.largestWeight.layer}'s weights have ${elements(first.largestWeight.elements)} elements, more than one WebGL texture holds (MAX_TEXTURE_SIZE ${budget.maxTextureSize}² = ${elements(texels)})`,
    );
  }
  if (first.fixedBytes > budget.maxBytes) {
    return refuse(`its ${elements(first.parameters)} parameters need ${mib(first.fixedBytes)} (weights, gradients, optimizer state) before any activation, above the ${mib(budget.maxBytes)} memory budget of ${where}`);
  }
  const minBatch = model.layers.some((l) => l.kind === 'batchnorm' || l.kind === 'batchrenorm') ? Math.min(2, asked.batchSize) : 1;
  let cfg = asked;
  // Memory and the texture limit: both bound the batch.
  const byMemory = Math.floor((budget.maxBytes - first.fixedBytes) / Math.max(1, first.bytesPerSample));
  const byTexture = Math.floor(texels / Math.max(1, first.largestActivationPerSample));
  const batchCap = Math.min(byMemory, byTexture);
  if (batchCap < asked.batchSize) {
    if (batchCap < minBatch) {
      return refuse(
        byTexture < minBatch
          ? `one sample's largest activation has ${elements(first.largestActivationPerSample)} elements, more than one WebGL texture holds (MAX_TEXTURE_SIZE ${budget.maxTextureSize}²)`
          : `a batch of ${minBatch} needs ${mib(first.fixedBytes + minBatch * first.bytesPerSample)}, above the ${mib(budget.maxBytes)} memory budget of ${where}`,
      );
    }
    cfg = { ...cfg, batchSize: batchCap };
    changes.push(
      `batch ${asked.batchSize} -> ${batchCap}: ${byMemory <= byTexture ? `${mib(first.bytes)} at batch ${asked.batchSize} is above the ${mib(budget.maxBytes)} memory budget of ${where}` : `the activations at batch ${asked.batchSize} exceed one WebGL texture (MAX_TEXTURE_SIZE ${budget.maxTextureSize}²)`}`,
    );
  }
  // Time: fewer steps first (the measurements at initialization are the point of a probe), then a smaller batch.
  const seconds = (c: ProbeConfig) => estimateProbeCost(model, c).estimatedSeconds[budget.backend];
  const before = seconds(cfg);
  if (before > budget.maxSeconds) {
    let lo = 0;
    let hi = cfg.steps;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (seconds({ ...cfg, steps: mid }) <= budget.maxSeconds) lo = mid;
      else hi = mid - 1;
    }
    let steps = lo;
    let batch = cfg.batchSize;
    while (seconds({ ...cfg, steps, batchSize: batch }) > budget.maxSeconds && batch > minBatch) batch = Math.max(minBatch, Math.floor(batch / 2));
    const fitted = { ...cfg, steps, batchSize: batch };
    const after = seconds(fitted);
    if (after > budget.maxSeconds) {
      return refuse(`measuring even the initialized network at batch ${batch} is estimated at ${secs(after)} on ${where}, above the ${budget.maxSeconds} s time cap`);
    }
    if (steps < cfg.steps) changes.push(`steps ${cfg.steps} -> ${steps}${steps === 0 ? ' (the initialized network only)' : ''}: ${cfg.steps} steps are estimated at ${secs(before)} on ${where}, above the ${budget.maxSeconds} s time cap`);
    if (batch < cfg.batchSize) changes.push(`batch ${cfg.batchSize} -> ${batch}: to fit the ${budget.maxSeconds} s time cap`);
    cfg = fitted;
  }
  return { config: cfg, cost: estimateProbeCost(model, cfg), changes, refused: null };
}
