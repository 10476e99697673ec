/**
 * Pooling under the mean-field engine's independence assumption, generalised to equicorrelated windows:
 * the k values in a window are modelled as h_i = m + s (sqrt(rho) Z0 + sqrt(1 - rho) Z_i) (post-activation:
 * phi(h_i)). rho = 0 (the default, PredictOptions.poolCorrelation) is the i.i.d. case and the largest change
 * pooling can make; rho = 1 (identical neighbours) makes pooling the identity. Real feature maps lie between
 * (neighbouring receptive fields overlap, images are smooth), so the i.i.d. numbers are a bound; see README.md.
 */
import type { ActivationModel } from './activations';
import { normalCdf, normalSf } from './special';
import { normalExpectations } from './quadrature';

/** What the engine knows about a signal: its moments and, when exact, how it was made. */
export interface SignalStats {
  mean: number;
  variance: number;
  secondMoment: number;
  /** Gaussian with these moments (a pre-activation, or a normalised pre-activation). */
  gaussian: boolean;
  /** The signal is exactly a * act(h) + b with h ~ N(m, q) (post-activation, possibly rescaled). */
  source: { act: ActivationModel; m: number; q: number; a: number; b: number } | null;
}

/** Moments after a pooling window of k values, and the backward gradient-norm multiplier. */
export interface PoolResult {
  mean: number;
  variance: number;
  secondMoment: number;
  gradGain: number;
  /** Set when the input had to be treated as Gaussian although it is not. */
  approximation: string | null;
}

/** log of the density factor k Phi(u)^(k-1) of the maximum of k standard normals. */
function logMaxFactor(u: number, k: number): number {
  const logPhi = u > 0 ? Math.log1p(-normalSf(u)) : Math.log(normalCdf(u));
  return Math.log(k) + (k - 1) * logPhi;
}

/** Average pool: the mean is kept, the variance shrinks to nu (rho + (1 - rho) / k); gradients split k ways. */
export function avgPoolMoments(input: SignalStats, k: number, rho = 0): PoolResult {
  const variance = input.variance * (rho + (1 - rho) / k);
  return { mean: input.mean, variance, secondMoment: variance + input.mean ** 2, gradGain: 1 / k, approximation: null };
}

/**
 * Max pool: moments of max_i psi(h_i). Exact when the input is a non-decreasing activation of a Gaussian
 * (max commutes with it) or Gaussian itself; otherwise the input is treated as Gaussian with its moments.
 * Gradients go to one input per window (gain 1).
 */
export function maxPoolMoments(input: SignalStats, k: number, rho = 0): PoolResult {
  if (k <= 1 || rho >= 1) {
    return { mean: input.mean, variance: input.variance, secondMoment: input.secondMoment, gradGain: 1, approximation: null };
  }
  let m = input.mean;
  let q = input.variance;
  let psi = (h: number) => h;
  let breaks: number[] = [];
  let approximation: string | null = null;
  const src = input.source;
  if (src && src.act.monotone && src.a >= 0) {
    m = src.m;
    q = src.q;
    psi = (h) => src.a * src.act.phi(h) + src.b;
    breaks = src.act.kinks;
  } else if (!input.gaussian) {
    approximation = 'max pool: input treated as Gaussian with its mean and variance';
  }
  const s = Math.sqrt(Math.max(0, q));
  const spread = s * Math.sqrt(1 - rho);
  const inner = s * s * rho;
  const fillInner = (h: number, v: Float64Array) => {
    const y = psi(h);
    v[0] = y;
    v[1] = y * y;
  };
  const scratch = new Float64Array(2);
  const [e1, e2] = normalExpectations(2, (u, v) => {
    const w = Math.exp(logMaxFactor(u, k));
    if (w === 0) {
      v[0] = 0;
      v[1] = 0;
      return;
    }
    const centre = m + spread * u;
    if (inner > 0) {
      const r = normalExpectations(2, fillInner, centre, inner, { breaks });
      v[0] = w * r[0];
      v[1] = w * r[1];
    } else {
      fillInner(centre, scratch);
      v[0] = w * scratch[0];
      v[1] = w * scratch[1];
    }
  }, 0, 1, { breaks: spread > 0 && inner === 0 ? breaks.map((b) => (b - m) / spread) : [] });
  return { mean: e1, secondMoment: e2, variance: Math.max(0, e2 - e1 * e1), gradGain: 1, approximation };
}
