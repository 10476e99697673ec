/**
 * One dense / conv layer under mean-field theory: sigma_w^2 from the init spec, the pre-activation variance
 * q = sigma_w^2 E[x^2] + sigma_b^2 (mean 0: zero-mean weights), then the layer's activation if it has one.
 */
import type { Framework, InitSpec, Layer } from '../ir';
import { defaultBias, defaultInit, initSigmaW2 } from '../initializers';
import { activationModel, type ActivationModel } from './activations';
import { activationStatistics } from './meanField';
import type { SignalStats } from './pooling';

/** What the walk needs to know about a linear layer's weights. */
export interface LinearWeights {
  fanIn: number | null;
  fanOut: number | null;
  /** fan_in Var(w); falls back to 1 (variance preserving) when unresolved, with `unknown` set. */
  sigmaW2: number;
  sigmaB2: number;
  unknown: string | null;
  notes: string[];
  /** Keras / tfjs WeightNormalization (data_init=True): the pre-activation is set to mean 0, variance 1. */
  dataInit: boolean;
}

function unresolved(layer: Layer): string {
  const symbols = [layer.in.symbol, layer.out.symbol].filter((s): s is string => !!s);
  return symbols.length ? ` (unresolved: ${symbols.join(', ')})` : '';
}

/** fan_in / fan_out: dense in / out; conv in_channels * kernel volume / groups and out_channels * kernel volume. */
export function layerFans(layer: Layer): { fanIn: number | null; fanOut: number | null } {
  if (layer.kind === 'dense') return { fanIn: layer.in.value, fanOut: layer.out.value };
  const kernel = layer.conv?.kernel;
  if (!kernel || kernel.length === 0) return { fanIn: null, fanOut: null };
  const volume = kernel.reduce((a, b) => a * b, 1);
  const groups = layer.conv?.groups ?? 1;
  return {
    fanIn: layer.in.value === null ? null : (layer.in.value * volume) / groups,
    fanOut: layer.out.value === null ? null : layer.out.value * volume,
  };
}

/** Resolves sigma_w^2 and sigma_b^2 of a dense / conv layer, recording every assumption. */
export function linearWeights(layer: Layer, framework: Framework): LinearWeights {
  const notes: string[] = [];
  let unknown: string | null = null;
  const { fanIn, fanOut } = layerFans(layer);
  let init: InitSpec | null = layer.init;
  if (!init) {
    init = defaultInit(framework);
    notes.push(`no init given: ${framework} default (${init.scheme}) assumed`);
  }
  const computed = init.sigmaW2 ?? initSigmaW2(init, fanIn, fanOut);
  let sigmaW2 = computed !== null && Number.isFinite(computed) ? computed : null;
  if ((init.scheme === 'ones' || init.scheme === 'constant') && (init.value ?? 1) !== 0) {
    unknown = `constant weights (${init.scheme}): every unit computes the same value, mean-field theory does not apply`;
    sigmaW2 = null;
  } else if (sigmaW2 === null) {
    // Known fans but no variance: the init's own numbers (std=1e200) square past the floating-point range.
    const raw = computed ?? initSigmaW2(init, fanIn, fanOut);
    unknown = raw !== null && !Number.isFinite(raw)
      ? `sigma_w^2 of ${init.scheme} is beyond the floating-point range: the init's parameters are too large`
      : `sigma_w^2 of ${init.scheme} could not be resolved${unresolved(layer)}`;
  }
  if (sigmaW2 === null) {
    sigmaW2 = 1;
    notes.push('sigma_w^2 assumed 1 (variance preserving) to carry the statistics on');
  }
  if (init.scheme === 'identity') notes.push('identity init treated as a variance-preserving random init');
  const bias = layer.bias ?? defaultBias(framework, fanIn);
  let sigmaB2 = bias.present ? bias.variance : 0;
  if (sigmaB2 === null) {
    notes.push(`bias variance (${bias.scheme}) unresolved${unresolved(layer)}: taken as 0`);
    sigmaB2 = 0;
  }
  let dataInit = false;
  if (layer.weightNorm) {
    if (framework === 'pytorch') {
      notes.push('weight_norm: at init g = ||v||, so the weights (and these statistics) are unchanged');
    } else {
      dataInit = true;
      notes.push('WeightNormalization(data_init=True): the first batch sets the pre-activation to mean 0, variance 1');
    }
  }
  return { fanIn, fanOut, sigmaW2, sigmaB2, unknown, notes, dataInit };
}

/** Result of a dense / conv layer (with its activation, if any). */
export interface LinearOutcome {
  out: SignalStats;
  preVariance: number;
  /** Effective sigma_w^2 (after a data-dependent init) used for chi. */
  sigmaW2: number;
  gradGain: number;
  saturation: number;
  inactive: number | null;
  act: ActivationModel | null;
}

/** Propagates `input` through the layer: pre-activation N(0, q), then phi. */
export function propagateLinear(layer: Layer, framework: Framework, w: LinearWeights, input: SignalStats): LinearOutcome {
  let sigmaW2 = w.sigmaW2;
  let q = sigmaW2 * input.secondMoment + w.sigmaB2;
  if (w.dataInit) {
    // g and b are rescaled so that the pre-activation has mean 0 and variance 1 on the first batch.
    sigmaW2 = input.secondMoment > 0 ? 1 / input.secondMoment : sigmaW2;
    q = 1;
  }
  const act = layer.activation ? activationModel(layer.activation, framework) : null;
  if (!act || act.name === 'linear') {
    const out: SignalStats = { mean: 0, variance: q, secondMoment: q, gaussian: true, source: null };
    return { out, preVariance: q, sigmaW2, gradGain: sigmaW2, saturation: 0, inactive: null, act };
  }
  const s = activationStatistics(act, 0, q);
  const out: SignalStats = act.passThrough
    ? { mean: 0, variance: q, secondMoment: q, gaussian: true, source: null }
    : { mean: s.mean, variance: s.variance, secondMoment: s.secondMoment, gaussian: false, source: { act, m: 0, q, a: 1, b: 0 } };
  return {
    out,
    preVariance: q,
    sigmaW2,
    gradGain: sigmaW2 * s.derivSecondMoment,
    saturation: s.saturation,
    inactive: s.inactive,
    act,
  };
}
