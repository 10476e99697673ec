/**
 * predictModel: walks a model's layers in forward order and predicts, at initialization and in training mode,
 * each layer's output statistics, saturation, gradient gain, the SELU checks and an init suggestion.
 * Conventions (gradient gain, pooling, norm layers, unknowns) are documented in core/theory/README.md.
 */
import type { Layer, Model } from '../ir';
import type { LayerPrediction, ModelPrediction, PredictOptions, SeluLayerCheck } from './types';
import { activationModel, type ActivationModel } from './activations';
import { activationStatistics } from './meanField';
import { alphaDropoutMoments, dropoutMoments } from './dropout';
import { avgPoolMoments, maxPoolMoments, type SignalStats } from './pooling';
import { linearWeights, propagateLinear } from './linearLayer';
import { suggestInit } from './suggestions';
import { seluJacobian, seluFixedPointIteration, spectralNorm2, theorem1Check } from './selu';

const NORM_KINDS = new Set(['batchnorm', 'batchrenorm', 'layernorm', 'groupnorm', 'instancenorm']);

/** A layer's own effect before any residual add. */
interface Step {
  out: SignalStats;
  preVariance: number | null;
  gradGain: number;
  saturation: number;
  inactive: number | null;
  selu: SeluLayerCheck | null;
  suggestion: LayerPrediction['suggestion'];
  unknown: string | null;
  notes: string[];
}

/** A linear layer whose activation comes as the next layer (for that layer's SELU check). */
interface PendingLinear {
  tau: number;
  muIn: number;
  nuIn: number;
}

const fixedPointCache = new Map<number, number | null>();

/** Variance a deep SELU stack with this tau settles at (mean-field convention), cached. */
function seluStackVariance(tau: number): number | null {
  if (!fixedPointCache.has(tau)) {
    const fp = seluFixedPointIteration(tau, { convention: 'secondMoment', maxIterations: 20000 });
    fixedPointCache.set(tau, fp.collapsed ? 0 : fp.converged ? fp.variance : null);
  }
  return fixedPointCache.get(tau) ?? null;
}

/** Theorem 1 in the paper's variables: omega = 0 (zero-mean init), tau = sigma_w^2, incoming (mu, nu). */
function seluCheck(p: PendingLinear): SeluLayerCheck {
  const omega = 0;
  const { inDomain, violations } = theorem1Check(p.muIn, omega, p.nuIn, p.tau);
  return {
    omega,
    tau: p.tau,
    muIn: p.muIn,
    nuIn: p.nuIn,
    inDomain,
    violations,
    jacobianNorm: p.nuIn > 0 && p.tau > 0 ? spectralNorm2(seluJacobian(p.muIn, omega, p.nuIn, p.tau)) : 0,
    varianceFixedPoint: p.tau > 0 ? seluStackVariance(p.tau) : 0,
  };
}

/** A number from the file as a message shows it: non-finite ones in words, not as "NaN" / "Infinity". */
function shown(x: number): string {
  return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'not a number' : x > 0 ? 'infinite' : '-infinite';
}

function passThrough(input: SignalStats, unknown: string | null, notes: string[] = []): Step {
  return { out: input, preVariance: null, gradGain: 1, saturation: 0, inactive: null, selu: null, suggestion: null, unknown, notes };
}

function statsOf(mean: number, variance: number, gaussian: boolean): SignalStats {
  return { mean, variance, secondMoment: variance + mean * mean, gaussian, source: null };
}

/** Spatial size of the model input (without channels), from its shape and layout. */
function inputSpatial(model: Model): number[] | null {
  const shape = model.input.shape;
  if (!shape || shape.length < 2) return null;
  const layout = model.input.layout ?? (model.framework === 'pytorch' ? 'channels_first' : 'channels_last');
  return layout === 'channels_first' ? shape.slice(1) : shape.slice(0, -1);
}

/** Number of values one pooling window reduces, null when it depends on an unknown spatial size. */
function poolWindow(layer: Layer, spatial: number[] | null): number | null {
  const pool = layer.pool;
  if (!pool) return null;
  const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
  if (pool.op === 'max' || pool.op === 'avg') return pool.kernel.length ? prod(pool.kernel) : null;
  if (!spatial) return null;
  if (pool.op === 'global_max' || pool.op === 'global_avg') return prod(spatial);
  const outSize = pool.outputSize;
  if (!outSize || outSize.length !== spatial.length) return null;
  return prod(spatial.map((s, d) => s / outSize[d]));
}

function linearStep(model: Model, layers: Layer[], i: number, input: SignalStats, pending: { value: PendingLinear | null }): Step {
  const layer = layers[i];
  const w = linearWeights(layer, model.framework);
  const r = propagateLinear(layer, model.framework, w, input);
  const next = layers[i + 1];
  let follower: ActivationModel | null = r.act;
  if (!layer.activation && next?.kind === 'activation' && next.activation) {
    follower = activationModel(next.activation, model.framework);
    pending.value = { tau: r.sigmaW2, muIn: input.mean, nuIn: input.variance };
  }
  const notes = [...w.notes];
  let suggestion: LayerPrediction['suggestion'] = null;
  if (next && NORM_KINDS.has(next.kind) && !layer.activation) {
    notes.push('followed by normalization: the init scale does not reach the next layer, no suggestion');
  } else {
    suggestion = suggestInit(follower, w.sigmaB2, model.framework, w.unknown ? null : w.sigmaW2);
  }
  // Theorem 1 is about numbers: past an overflow (non-finite incoming statistics) there is nothing to check.
  const finiteIn = Number.isFinite(input.mean) && Number.isFinite(input.variance) && Number.isFinite(r.sigmaW2);
  const selu = r.act?.name === 'selu' && finiteIn ? seluCheck({ tau: r.sigmaW2, muIn: input.mean, nuIn: input.variance }) : null;
  return { out: r.out, preVariance: r.preVariance, gradGain: r.gradGain, saturation: r.saturation, inactive: r.inactive, selu, suggestion, unknown: w.unknown, notes };
}

function activationStep(model: Model, layer: Layer, input: SignalStats, pending: PendingLinear | null): Step {
  if (!layer.activation) return passThrough(input, 'activation layer without a resolved activation');
  const act = activationModel(layer.activation, model.framework);
  const notes: string[] = [];
  if (!input.gaussian && !act.passThrough) notes.push('input is not Gaussian: treated as Gaussian with its mean and variance');
  if (act.passThrough) return passThrough(input, null, [`${act.name}: output layer, statistics passed through`]);
  const s = activationStatistics(act, input.mean, input.variance);
  const out: SignalStats = {
    mean: s.mean,
    variance: s.variance,
    secondMoment: s.secondMoment,
    gaussian: false,
    source: input.gaussian ? { act, m: input.mean, q: input.variance, a: 1, b: 0 } : null,
  };
  const selu = act.name === 'selu' && pending && [pending.tau, pending.muIn, pending.nuIn].every(Number.isFinite) ? seluCheck(pending) : null;
  return { out, preVariance: null, gradGain: s.derivSecondMoment, saturation: s.saturation, inactive: s.inactive, selu, suggestion: null, unknown: null, notes };
}

function normStep(model: Model, layer: Layer, input: SignalStats): Step {
  const fallback = model.framework === 'pytorch' ? 1e-5 : 1e-3;
  const given = layer.norm?.eps ?? null;
  // A negative or non-finite eps (the framework would reject it) would make the scale below NaN.
  const usable = given !== null && Number.isFinite(given) && given >= 0;
  const eps = usable ? given : fallback;
  // Training mode: (x - mean) / sqrt(var + eps), gamma = 1 and beta = 0 at init.
  const scale = 1 / Math.sqrt(input.variance + eps);
  const variance = input.variance * scale * scale;
  const src = input.source;
  const out: SignalStats = {
    mean: 0,
    variance,
    secondMoment: variance,
    gaussian: input.gaussian,
    source: src ? { ...src, a: src.a * scale, b: (src.b - input.mean) * scale } : null,
  };
  const notes = given !== null && !usable ? [`eps ${shown(given)} is not a non-negative number: the ${model.framework} default ${fallback} is used`] : [];
  return { ...passThrough(out, null, notes), gradGain: scale * scale };
}

function poolStep(layer: Layer, input: SignalStats, spatial: number[] | null, rho: number): Step {
  const k = poolWindow(layer, spatial);
  if (k === null) return passThrough(input, `pool window size unknown (${layer.pool?.op ?? 'no pool spec'}, input spatial size unresolved)`);
  const notes = [`pool over k = ${Number(k.toPrecision(6))} values assumed ${rho === 0 ? 'independent' : `correlated (rho = ${rho})`}; edges ignored`];
  const isMax = layer.pool?.op.endsWith('max') ?? false;
  const r = isMax ? maxPoolMoments(input, k, rho) : avgPoolMoments(input, k, rho);
  if (r.approximation) notes.push(r.approximation);
  const out = statsOf(r.mean, r.variance, isMax ? k <= 1 && input.gaussian : input.gaussian);
  return { ...passThrough(out, null, notes), gradGain: r.gradGain };
}

function layerStep(model: Model, i: number, input: SignalStats, spatial: number[] | null, rho: number, pending: { value: PendingLinear | null }): Step {
  const layer = model.layers[i];
  const waiting = pending.value;
  pending.value = null;
  switch (layer.kind) {
    case 'dense':
    case 'conv1d':
    case 'conv2d':
      return linearStep(model, model.layers, i, input, pending);
    case 'activation':
      return activationStep(model, layer, input, waiting);
    case 'dropout': {
      if (layer.rate === null) return passThrough(input, 'dropout rate unresolved');
      if (!(layer.rate >= 0 && layer.rate < 1)) return passThrough(input, `dropout rate ${shown(layer.rate)} outside [0, 1)`);
      const d = dropoutMoments(layer.rate, input.mean, input.variance);
      return { ...passThrough(statsOf(d.mean, d.variance, false), null), gradGain: d.gradGain };
    }
    case 'alphadropout': {
      if (layer.rate === null) return passThrough(input, 'alpha dropout rate unresolved');
      if (!(layer.rate >= 0 && layer.rate < 1)) return passThrough(input, `alpha dropout rate ${shown(layer.rate)} outside [0, 1)`);
      const d = alphaDropoutMoments(layer.rate, input.mean, input.variance);
      return { ...passThrough(statsOf(d.mean, d.variance, false), null), gradGain: d.gradGain };
    }
    case 'pool':
      return poolStep(layer, input, spatial, rho);
    case 'flatten':
    case 'residual':
      return passThrough(input, null);
    case 'other':
      return passThrough(input, `layer '${layer.sourceType}' is not modelled: statistics passed through`);
    default:
      if (NORM_KINDS.has(layer.kind)) return normStep(model, layer, input);
      return passThrough(input, `layer kind '${layer.kind}' is not modelled`);
  }
}

/**
 * Why a layer's numbers are not finite, or null when they are. Doubles overflow past 1.8e308: a stack of layers
 * that each multiply the variance (N(0, 1) weights at width 1024 gain ~500 per ReLU layer) gets there in about a
 * hundred layers, and what follows (a norm of infinity) is NaN. Such layers are `unknown` so that no consumer
 * prints or compares the numbers as if they were predictions.
 */
function nonFiniteReason(values: number[], input: SignalStats, firstOverflow: Layer | null): string | null {
  if (values.every(Number.isFinite)) return null;
  if (firstOverflow) return `not predicted: the statistics stopped being finite at layer ${firstOverflow.index} (${firstOverflow.name})`;
  const inputFinite = Number.isFinite(input.mean) && Number.isFinite(input.variance) && Number.isFinite(input.secondMoment);
  if (inputFinite && values.some((v) => v === Infinity || v === -Infinity)) {
    return 'the predicted statistics overflow the floating-point range (beyond 1.8e308): the signal or gradient explodes here';
  }
  return 'the predicted statistics are not numbers for this layer\'s parameters';
}

/**
 * Predicts every layer's statistics at initialization. Input features default to mean 0, variance 1.
 * cumulativeGradGain[i] is E||dL/dx_input||^2 / E||dL/dy_i||^2 (see README.md).
 */
export function predictModel(model: Model, options: PredictOptions = {}): ModelPrediction {
  const inputMean = options.inputMean ?? 0;
  const inputVariance = options.inputVariance ?? 1;
  const rho = options.poolCorrelation ?? 0;
  const input = statsOf(inputMean, inputVariance, true);
  const outputs: SignalStats[] = [];
  const cumulative: number[] = [];
  const layers: LayerPrediction[] = [];
  const pending = { value: null as PendingLinear | null };
  let current = input;
  let spatial = inputSpatial(model);
  let firstOverflow: Layer | null = null;
  for (let i = 0; i < model.layers.length; i++) {
    const layer = model.layers[i];
    const step = layerStep(model, i, current, spatial, rho, pending);
    let out = step.out;
    const prevCum = i === 0 ? 1 : cumulative[i - 1];
    let cum = prevCum * step.gradGain;
    if (layer.residual) {
      const from = layer.residual.from;
      const skip = from === -1 ? input : outputs[from];
      if (skip && from < i) {
        // Independent branches (zero-mean random weights): means and variances add. The gradient reaches
        // the skip source both directly and through the branch.
        out = statsOf(out.mean + skip.mean, out.variance + skip.variance, out.gaussian && skip.gaussian);
        cum = (from === -1 ? 1 : cumulative[from]) + cum;
      } else {
        step.notes.push(`residual source ${from} not found before this layer: add ignored`);
      }
    }
    let gradGain = prevCum > 0 ? cum / prevCum : step.gradGain;
    if (!Number.isFinite(cum) && Number.isFinite(step.gradGain)) {
      // Backward gains overflow long before the forward statistics do (deep tanh: bounded activations, chi ~ 36 per
      // layer). The product is capped so the forward predictions of every later layer stay usable; each layer's own
      // gain is still exact, and the note says the cumulative figure is a floor.
      cum = Number.MAX_VALUE;
      gradGain = step.gradGain;
      step.notes.push('cumulative gradient gain overflows the floating-point range: shown capped at 1.8e308');
    } else if (prevCum === Number.MAX_VALUE) {
      gradGain = step.gradGain;
    }
    outputs.push(out);
    cumulative.push(cum);
    const overflow = nonFiniteReason([out.mean, out.variance, out.secondMoment, step.preVariance ?? 0, step.saturation, step.inactive ?? 0, gradGain, cum], current, firstOverflow);
    if (overflow !== null && firstOverflow === null) firstOverflow = layer;
    current = out;
    if (layer.kind === 'flatten' || layer.kind === 'dense') spatial = null;
    else if (layer.spatial) spatial = layer.spatial;
    layers.push({
      index: layer.index,
      mean: out.mean,
      variance: out.variance,
      secondMoment: out.secondMoment,
      preVariance: step.preVariance,
      saturation: step.saturation,
      inactive: step.inactive,
      gradGain,
      cumulativeGradGain: cum,
      selu: step.selu,
      suggestion: step.suggestion,
      unknown: overflow ?? step.unknown,
      notes: step.notes,
    });
  }
  const last = layers[layers.length - 1];
  return {
    layers,
    totalGradGain: last ? last.cumulativeGradGain : 1,
    varianceRatio: last ? last.variance / inputVariance : 1,
    input: { mean: inputMean, variance: inputVariance },
  };
}
