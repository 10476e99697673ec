import type { BiasSpec, Framework, InitScheme, InitSpec } from './ir';
import { erfc, normalCdf, normalPdf } from './theory/special';

// Re-exported so existing importers of `erfc` from this module keep working; the implementation (Cody, ~1e-16)
// lives with the rest of the special functions.
export { erfc };

/**
 * Standard deviation of N(0, 1) truncated to [-2, 2]. Keras divides its truncated-normal std by this so the
 * variance after truncation is the nominal scale/n; tfjs does not (its variance is 0.7737x nominal).
 */
export const TRUNCATED_NORMAL_STD = 0.87962566103423978;

/** PyTorch `nn.init.calculate_gain`. `param` is leaky_relu's negative slope (default 0.01). */
export function pytorchGain(nonlinearity: string, param?: number): number | null {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      return null;
  }
}

function fanFor(mode: InitSpec['mode'], fanIn: number | null, fanOut: number | null): number | null {
  switch (mode ?? 'fan_in') {
    case 'fan_in':
      return fanIn;
    case 'fan_out':
      return fanOut;
    case 'fan_avg':
      return fanIn !== null && fanOut !== null ? (fanIn + fanOut) / 2 : null;
  }
}

/** Variance of N(mean, std^2) truncated to [a, b] (absolute bounds, as PyTorch trunc_normal_). */
export function truncatedNormalVariance(mean: number, std: number, a: number, b: number): number {
  const alpha = (a - mean) / std;
  const beta = (b - mean) / std;
  const z = normalCdf(beta) - normalCdf(alpha);
  if (z <= 0) return 0;
  const pa = normalPdf(alpha);
  const pb = normalPdf(beta);
  const term1 = (alpha * pa - beta * pb) / z;
  const term2 = (pa - pb) / z;
  return std * std * (1 + term1 - term2 * term2);
}

/**
 * Var(w) multiplied by the fan the scheme divides by, i.e. the "scale" of a variance-scaling scheme as actually
 * realised (truncation included). Returns null for schemes whose variance is not of the form scale / fan.
 */
function realisedScale(spec: InitSpec): number | null {
  const s = spec.scale ?? 1;
  switch (spec.scheme) {
    case 'pytorch_default':
      return 1 / 3;
    case 'lecun_normal':
    case 'lecun_uniform':
    case 'he_normal':
    case 'he_uniform':
    case 'glorot_normal':
    case 'glorot_uniform':
    case 'variance_scaling':
    case 'kaiming_normal':
    case 'kaiming_uniform':
    case 'xavier_normal':
    case 'xavier_uniform':
      // Keras corrects its truncated normal; tfjs does not (reference.md "Known defect").
      if (spec.distribution === 'truncated_normal' && spec.framework === 'tfjs') {
        return s * TRUNCATED_NORMAL_STD * TRUNCATED_NORMAL_STD;
      }
      return s;
    default:
      return null;
  }
}

/** The default `scale` and `mode` of a named variance-scaling scheme. */
export function schemeScaleAndMode(scheme: InitScheme): { scale: number; mode: InitSpec['mode'] } | null {
  switch (scheme) {
    case 'lecun_normal':
    case 'lecun_uniform':
      return { scale: 1, mode: 'fan_in' };
    case 'he_normal':
    case 'he_uniform':
      return { scale: 2, mode: 'fan_in' };
    case 'glorot_normal':
    case 'glorot_uniform':
    case 'xavier_normal':
    case 'xavier_uniform':
      return { scale: 1, mode: 'fan_avg' };
    default:
      return null;
  }
}

/** Var(w) for the spec at the given fans; null when it depends on an unknown fan. */
export function initWeightVariance(spec: InitSpec, fanIn: number | null, fanOut: number | null): number | null {
  const scale = realisedScale(spec);
  if (scale !== null) {
    const mode = spec.scheme === 'pytorch_default' ? 'fan_in' : spec.mode;
    const fan = fanFor(mode, fanIn, fanOut);
    return fan === null || fan <= 0 ? null : scale / fan;
  }
  switch (spec.scheme) {
    case 'normal':
      return (spec.std ?? 1) ** 2;
    case 'truncated_normal': {
      const std = spec.std ?? 1;
      if (spec.framework === 'pytorch') {
        // trunc_normal_(mean, std, a=-2, b=2): absolute bounds.
        return truncatedNormalVariance(spec.mean ?? 0, std, spec.low ?? -2, spec.high ?? 2);
      }
      // Keras / tfjs TruncatedNormal(stddev) cut at 2 std without correction.
      return std * std * TRUNCATED_NORMAL_STD * TRUNCATED_NORMAL_STD;
    }
    case 'uniform': {
      const lo = spec.low ?? (spec.framework === 'pytorch' ? 0 : -0.05);
      const hi = spec.high ?? (spec.framework === 'pytorch' ? 1 : 0.05);
      return ((hi - lo) * (hi - lo)) / 12;
    }
    case 'orthogonal': {
      if (fanIn === null || fanOut === null) return null;
      const g = spec.gain ?? 1;
      return (g * g) / Math.max(fanIn, fanOut);
    }
    case 'identity':
      return fanIn === null ? null : 1 / fanIn;
    case 'zeros':
    case 'ones':
    case 'constant':
      return 0;
    default:
      return null;
  }
}

/**
 * sigma_w^2 = fan_in * Var(w) (the SNN paper's tau with omega = 0). Known for fan_in schemes even when fan_in is
 * not (lecun_normal is 1 at any width); null otherwise.
 */
export function initSigmaW2(spec: InitSpec, fanIn: number | null, fanOut: number | null): number | null {
  const scale = realisedScale(spec);
  const mode = spec.scheme === 'pytorch_default' ? 'fan_in' : (spec.mode ?? 'fan_in');
  if (scale !== null && mode === 'fan_in') return scale;
  if (spec.scheme === 'orthogonal' && fanIn !== null && fanOut !== null && fanOut <= fanIn) {
    return (spec.gain ?? 1) ** 2;
  }
  const v = initWeightVariance(spec, fanIn, fanOut);
  return v === null || fanIn === null ? null : v * fanIn;
}

/** Fill `weightVariance` / `sigmaW2` of a spec in place for the layer's fans and return it. */
export function resolveInitVariances(spec: InitSpec, fanIn: number | null, fanOut: number | null): InitSpec {
  spec.weightVariance = finiteOrNull(initWeightVariance(spec, fanIn, fanOut));
  spec.sigmaW2 = finiteOrNull(initSigmaW2(spec, fanIn, fanOut));
  return spec;
}

/**
 * A variance the file's numbers push out of the floating-point range (`std=1e200` squares to infinity) or make
 * undefined is not a variance: unresolved, so theory says `unknown` instead of propagating Infinity / NaN.
 */
function finiteOrNull(v: number | null): number | null {
  return v !== null && Number.isFinite(v) ? v : null;
}

/**
 * The framework default weight init for dense / conv layers: PyTorch kaiming_uniform(a = sqrt 5), Keras
 * glorot_uniform, tfjs-layers glorotNormal (a truncated normal without the 0.8796 correction).
 */
export function defaultInit(framework: Framework): InitSpec {
  if (framework === 'pytorch') {
    return { scheme: 'pytorch_default', framework, distribution: 'uniform', explicit: false, weightVariance: null, sigmaW2: null };
  }
  if (framework === 'tfjs') {
    return { scheme: 'glorot_normal', framework, distribution: 'truncated_normal', mode: 'fan_avg', scale: 1, explicit: false, weightVariance: null, sigmaW2: null };
  }
  return {
    scheme: 'glorot_uniform',
    framework,
    distribution: 'uniform',
    mode: 'fan_avg',
    scale: 1,
    explicit: false,
    weightVariance: null,
    sigmaW2: null,
  };
}

/** Build a named variance-scaling spec (lecun_normal, he_uniform, ...) for a framework. */
export function namedInit(scheme: InitScheme, framework: Framework, explicit = true): InitSpec {
  const sm = schemeScaleAndMode(scheme);
  const uniform = scheme.endsWith('_uniform');
  const distribution: InitSpec['distribution'] = uniform
    ? 'uniform'
    : framework === 'pytorch' || scheme.startsWith('xavier') || scheme.startsWith('kaiming')
      ? 'normal'
      : 'truncated_normal';
  return {
    scheme,
    framework,
    distribution,
    mode: sm?.mode,
    scale: sm?.scale,
    explicit,
    weightVariance: null,
    sigmaW2: null,
  };
}

/** The framework default bias: PyTorch U(+-1/sqrt(fan_in)) (variance 1/(3 fan_in)); Keras / tfjs zeros. */
export function defaultBias(framework: Framework, fanIn: number | null, present = true): BiasSpec {
  if (!present) return { present: false, variance: 0, scheme: 'zeros' };
  if (framework === 'pytorch') {
    return { present: true, variance: fanIn ? 1 / (3 * fanIn) : null, scheme: 'pytorch_default' };
  }
  return { present: true, variance: 0, scheme: 'zeros' };
}

/**
 * A bias read from an explicit Keras / tfjs initializer (null: one the front end did not recognise). Constants have
 * no spread; normal and uniform carry their variance; a variance-scaling bias depends on the fans Keras computes for
 * a 1-D tensor, which theory does not model, so it stays unknown. Keras' own defaults: normal std 0.05, uniform
 * +-0.05.
 */
export function biasFromInitializer(spec: InitSpec | null): BiasSpec {
  switch (spec?.scheme) {
    case 'zeros':
      return { present: true, variance: 0, scheme: 'zeros' };
    case 'ones':
    case 'constant':
      return { present: true, variance: 0, scheme: 'constant' };
    case 'normal':
      return { present: true, variance: (spec.std ?? 0.05) ** 2, scheme: 'normal' };
    case 'uniform':
      return { present: true, variance: ((spec.high ?? 0.05) - (spec.low ?? -0.05)) ** 2 / 12, scheme: 'uniform' };
    default:
      return { present: true, variance: null, scheme: 'unknown' };
  }
}
