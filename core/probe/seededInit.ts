/**
 * Initial parameter values drawn exactly as the source framework draws them, from our seeded Rng, so the probe
 * measures the user's real model:
 * - the variance always comes from `initWeightVariance` (core/initializers.ts), the one place that knows every
 *   scheme, including tfjs' missing truncation correction (variance 0.7737x nominal) versus Keras' corrected one;
 * - the shape of the law comes from `InitSpec.distribution`. A truncated normal is cut at +-2 of its *parameter*
 *   std, so the parameter is sqrt(Var)/0.8796 where Var is the realised variance: Keras lecun_normal then draws
 *   with std sqrt(1/n)/0.8796 and tfjs leCunNormal with sqrt(1/n), which is what the real libraries do.
 * Never tfjs' own initializers: their normal variants miss the correction even for Keras-sourced models.
 */
import type { BiasSpec, Framework, InitSpec } from '../ir';
import { TRUNCATED_NORMAL_STD, defaultInit, initWeightVariance } from '../initializers';
import type { Rng } from './rng';

/** Initial values plus a note when the file's init could not be honoured and the framework default was used. */
export interface InitDraw {
  values: Float32Array;
  note: string | null;
}

/**
 * Weights of a dense kernel [in, out] or a conv filter [...kernel, in/groups, out] (both "fan-in axes first, output
 * units last", the tfjs layout; the draws are i.i.d. or orthogonal per output unit, so the layout changes nothing).
 */
export function drawWeights(
  spec: InitSpec | null,
  framework: Framework,
  shape: number[],
  fanIn: number,
  fanOut: number,
  rng: Rng,
): InitDraw {
  const n = shape.reduce((a, b) => a * b, 1);
  let use = spec ?? defaultInit(framework);
  let note: string | null = null;
  if (!drawable(use, fanIn, fanOut)) {
    note = `initializer ${use.scheme} cannot be reproduced: the ${framework} default was used`;
    use = defaultInit(framework);
  }
  switch (use.scheme) {
    case 'zeros':
      return { values: new Float32Array(n), note };
    case 'ones':
      return { values: new Float32Array(n).fill(1), note };
    case 'constant':
      return { values: new Float32Array(n).fill(use.value ?? 0), note };
    case 'identity':
      return { values: identity(shape, use.gain ?? 1), note };
    case 'orthogonal':
      return { values: orthogonal(shape, use.gain ?? 1, rng), note };
    default:
      break;
  }
  const variance = initWeightVariance(use, fanIn, fanOut) as number;
  const std = Math.sqrt(variance);
  switch (use.distribution) {
    case 'uniform': {
      if (use.scheme === 'uniform') {
        const lo = use.low ?? (use.framework === 'pytorch' ? 0 : -0.05);
        const hi = use.high ?? (use.framework === 'pytorch' ? 1 : 0.05);
        return { values: rng.fillUniform(n, lo, hi), note };
      }
      const limit = Math.sqrt(3) * std;
      return { values: rng.fillUniform(n, -limit, limit), note };
    }
    case 'truncated_normal':
      return { values: truncated(use, n, std, rng), note };
    case 'orthogonal':
      return { values: orthogonal(shape, use.gain ?? 1, rng), note };
    case 'constant':
      return { values: new Float32Array(n).fill(use.value ?? 0), note };
    case 'normal':
    default:
      return { values: rng.fillNormal(n, use.scheme === 'normal' ? (use.mean ?? 0) : 0, std), note };
  }
}

function drawable(spec: InitSpec, fanIn: number, fanOut: number): boolean {
  if (['zeros', 'ones', 'constant', 'identity', 'orthogonal'].includes(spec.scheme)) return true;
  if (spec.scheme === 'unknown') return false;
  const v = initWeightVariance(spec, fanIn, fanOut);
  return v !== null && Number.isFinite(v) && v >= 0;
}

function truncated(spec: InitSpec, n: number, realisedStd: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  if (spec.scheme === 'truncated_normal') {
    const mean = spec.mean ?? 0;
    const std = spec.std ?? 1;
    // PyTorch trunc_normal_(mean, std, a, b): absolute bounds; Keras / tfjs TruncatedNormal: mean +- 2 std.
    const [a, b] = spec.framework === 'pytorch' ? [spec.low ?? -2, spec.high ?? 2] : [mean - 2 * std, mean + 2 * std];
    const lo = (a - mean) / std;
    const hi = (b - mean) / std;
    for (let i = 0; i < n; i++) out[i] = mean + std * rng.truncatedNormal(lo, hi);
    return out;
  }
  // Variance-scaling schemes: the parameter std that realises `realisedStd` after cutting at +-2 parameter stds.
  const param = realisedStd / TRUNCATED_NORMAL_STD;
  for (let i = 0; i < n; i++) out[i] = param * rng.truncatedNormal(-2, 2);
  return out;
}

/** Keras Identity / PyTorch eye_: ones on the diagonal of the [rows, cols] flattening. */
function identity(shape: number[], gain: number): Float32Array {
  const cols = shape[shape.length - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) out[i * cols + i] = gain;
  return out;
}

/**
 * Orthogonal init of the [rows, cols] flattening (rows = fan-in axes, cols = output units): QR of a Gaussian matrix by
 * modified Gram-Schmidt in float64 with the sign of R's diagonal folded in (as Keras and PyTorch do), so that
 * the result is Haar-distributed. The shorter side gets orthonormal vectors.
 */
export function orthogonal(shape: number[], gain: number, rng: Rng): Float32Array {
  const cols = shape[shape.length - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / cols;
  const tall = rows >= cols;
  const m = tall ? rows : cols; // length of each vector
  const k = tall ? cols : rows; // number of orthonormal vectors
  const vecs: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = rng.normal();
    for (const q of vecs) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += q[i] * v[i];
      for (let i = 0; i < m; i++) v[i] -= dot * q[i];
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < m; i++) v[i] /= norm;
    vecs.push(v);
  }
  const out = new Float32Array(rows * cols);
  for (let j = 0; j < k; j++) {
    for (let i = 0; i < m; i++) {
      const [r, c] = tall ? [i, j] : [j, i];
      out[r * cols + c] = gain * vecs[j][i];
    }
  }
  return out;
}

/** Bias values: PyTorch default U(+-1/sqrt(fan_in)), Keras / tfjs zeros, or the spec's law with its variance. */
export function drawBias(spec: BiasSpec | null, framework: Framework, fanIn: number, size: number, rng: Rng): Float32Array {
  const scheme = spec?.scheme ?? (framework === 'pytorch' ? 'pytorch_default' : 'zeros');
  switch (scheme) {
    case 'pytorch_default': {
      const bound = 1 / Math.sqrt(fanIn);
      return rng.fillUniform(size, -bound, bound);
    }
    case 'normal':
      return rng.fillNormal(size, 0, Math.sqrt(spec?.variance ?? 0));
    case 'uniform': {
      const limit = Math.sqrt(3 * (spec?.variance ?? 0));
      return rng.fillUniform(size, -limit, limit);
    }
    case 'unknown':
      return framework === 'pytorch' ? drawBias(null, framework, fanIn, size, rng) : new Float32Array(size);
    case 'constant':
    case 'zeros':
    default:
      // BiasSpec carries no constant value, only its variance (0): zeros is exactly right in distribution.
      return new Float32Array(size);
  }
}
