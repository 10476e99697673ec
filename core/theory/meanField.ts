/**
 * Mean-field propagation through one activation (Poole et al. 2016, Schoenholz et al. 2017): moments of phi(h)
 * and phi'(h) for h ~ N(m, q), the gradient gain chi_1, the q* fixed point and the edge of chaos.
 *
 *   q_{l+1} = sigma_w^2 E[phi(h_l)^2] + sigma_b^2,   chi_1 = sigma_w^2 E[phi'(h)^2],   h ~ N(0, q).
 */
import { normalExpectations } from './quadrature';
import { seluGaussianMoments } from './selu';
import { type ActivationModel } from './activations';
import { inactiveProbability, saturationProbability } from './saturation';
import { memoize } from './memo';

/** Statistics of phi(h), h ~ N(m, q). */
export interface ActivationStatistics {
  mean: number;
  variance: number;
  secondMoment: number;
  /** E[phi'(h)^2]: times sigma_w^2 it is chi_1, the backward gradient-variance multiplier. */
  derivSecondMoment: number;
  /** Probability that |phi'(h)| < 0.0707 max|phi'| (see saturation.ts). */
  saturation: number;
  /** P(h <= 0) for relu / relu6 (dead side), null otherwise. */
  inactive: number | null;
}

/** Moments of phi(h), phi(h)^2 and phi'(h)^2 for h ~ N(m, q), one quadrature pass. */
export function activationStatistics(act: ActivationModel, m: number, q: number): ActivationStatistics {
  const variance = Math.max(0, q);
  let mean: number;
  let second: number;
  let deriv: number;
  if (act.passThrough) {
    // Output layers (softmax over units): the per-unit map is not elementwise; statistics pass through.
    return { mean: m, variance, secondMoment: variance + m * m, derivSecondMoment: 1, saturation: 0, inactive: null };
  }
  const [e1, e2, d2] = normalExpectations(3, (h, v) => {
    const y = act.phi(h);
    const d = act.dphi(h);
    v[0] = y;
    v[1] = y * y;
    v[2] = d * d;
  }, m, variance, { breaks: act.kinks, smooth: act.smooth });
  mean = e1;
  second = e2;
  deriv = d2;
  if (act.name === 'selu') {
    // The closed form is exact (and the tests check the quadrature against it); prefer it for mean and xi.
    const s = seluGaussianMoments(m, variance);
    mean = s.mean;
    second = s.secondMoment;
  }
  return {
    mean,
    secondMoment: second,
    variance: Math.max(0, second - mean * mean),
    derivSecondMoment: deriv,
    saturation: saturationProbability(act, m, variance),
    inactive: inactiveProbability(act, m, variance),
  };
}

/** chi_1 = sigma_w^2 E[phi'(h)^2], h ~ N(m, q). */
export function chi1(act: ActivationModel, sigmaW2: number, q: number, m = 0): number {
  return sigmaW2 * activationStatistics(act, m, q).derivSecondMoment;
}

/** Result of iterating the q-map. */
export interface QFixedPoint {
  q: number;
  iterations: number;
  converged: boolean;
  /** q grew past 1e12: no finite fixed point from this start. */
  diverged: boolean;
}

/** Iterates q <- sigma_w^2 E[phi(sqrt(q) z)^2] + sigma_b^2 from q0 to its fixed point q*. */
export function meanFieldFixedPoint(
  act: ActivationModel,
  sigmaW2: number,
  sigmaB2: number,
  options: { q0?: number; tolerance?: number; maxIterations?: number } = {},
): QFixedPoint {
  const tol = options.tolerance ?? 1e-13;
  const maxIterations = options.maxIterations ?? 10000;
  let q = options.q0 ?? 1;
  for (let i = 1; i <= maxIterations; i++) {
    const next = sigmaW2 * activationStatistics(act, 0, q).secondMoment + sigmaB2;
    const done = Math.abs(next - q) <= tol * Math.max(next, 1e-300);
    q = next;
    if (!Number.isFinite(q) || q > 1e12) return { q, iterations: i, converged: false, diverged: true };
    if (done || q < 1e-300) return { q, iterations: i, converged: true, diverged: false };
  }
  return { q, iterations: maxIterations, converged: false, diverged: false };
}

/** A point on the edge of chaos: chi_1(q*) = 1 with q* the fixed point of the q-map. */
export interface CriticalPoint {
  sigmaW2: number;
  sigmaB2: number;
  /** q* there; null for homogeneous activations, whose chi_1 does not depend on q (q* = 0 or grows without bound). */
  qStar: number | null;
}

/**
 * The critical line parametrised by q*: chi_1 = 1 fixes sigma_w^2(q) = 1 / E[phi'(sqrt(q) z)^2], and the fixed
 * point equation then fixes sigma_b^2(q) = q - sigma_w^2(q) E[phi(sqrt(q) z)^2]. Solving sigma_b^2(q) = target
 * is one root in q, with no nested fixed-point iteration.
 */
function criticalLine(act: ActivationModel, q: number): { sigmaW2: number; sigmaB2: number } {
  const s = activationStatistics(act, 0, q);
  const sigmaW2 = 1 / s.derivSecondMoment;
  return { sigmaW2, sigmaB2: q - sigmaW2 * s.secondMoment };
}

/**
 * d q_{l+1} / d q_l of the q-map at q (central difference of E[phi^2]): the fixed point q* attracts when < 1.
 * An edge-of-chaos point whose q* repels is never reached from a generic start and is not reported.
 */
export function qMapSlope(act: ActivationModel, sigmaW2: number, q: number): number {
  const h = 1e-4 * q;
  const up = activationStatistics(act, 0, q + h).secondMoment;
  const down = activationStatistics(act, 0, q - h).secondMoment;
  return (sigmaW2 * (up - down)) / (2 * h);
}

/**
 * Critical sigma_w^2 for a given sigma_b^2 (tanh: 0 -> 1, 0.01 -> 1.424, 0.05 -> 1.761, 0.1 -> 1.986,
 * 0.3 -> 2.505, 1 -> 3.443; ReLU: 2). Scans q on a log grid from 1e-10 to 1e6 for sigma_b^2(q) = target,
 * refines by bisection and returns the smallest root whose q* attracts (qMapSlope < 1); null when there is
 * none (GELU / swish / mish at sigma_b^2 = 0, softplus: see asymptoticCriticalSigmaW2).
 */
export function criticalSigmaW2(act: ActivationModel, sigmaB2: number): CriticalPoint | null {
  const hit = criticalSearch(act, sigmaB2);
  return hit && { ...hit };
}

// Memoised (bounded): a model's layers usually share activation and bias variance, and the search costs ~10-30 ms.
const criticalSearch = memoize(
  (act: ActivationModel, sigmaB2: number) => searchCritical(act, sigmaB2),
  (act, sigmaB2) => `${act.name}:${act.param ?? ''}:${sigmaB2}`,
);

function searchCritical(act: ActivationModel, sigmaB2: number): CriticalPoint | null {
  if (act.passThrough) return null;
  if (act.homogeneous) {
    // E[phi'^2] = (1 + slope^2) / 2 at any q (h symmetric about 0): relu 2, leaky 2 / (1 + slope^2), linear 1.
    const slope = act.name === 'linear' ? 1 : (act.param ?? 0);
    return { sigmaW2: 2 / (1 + slope * slope), sigmaB2, qStar: sigmaB2 === 0 ? 0 : null };
  }
  // q* -> 0 (only with sigma_b^2 = 0 and phi(0) = 0): E[phi'^2] -> the mean of the one-sided phi'(0+-)^2 (a
  // kink at 0, as in elu / selu, is seen from both sides with probability 1/2). The q-map then has slope 1 at
  // 0, so whether q = 0 attracts is decided at second order: q' <= q for a small q.
  const d0 = (act.dphi(1e-300) ** 2 + act.dphi(-1e-300) ** 2) / 2;
  if (d0 > 0 && act.phi(0) === 0 && sigmaB2 === 0) {
    const q0 = 1e-3;
    // The tolerance admits the exactly linear case (relu6 near 0), where rounding decides the last bit.
    if (activationStatistics(act, 0, q0).secondMoment / d0 <= q0 * (1 + 1e-12)) return { sigmaW2: 1 / d0, sigmaB2, qStar: 0 };
  }
  const f = (q: number) => criticalLine(act, q).sigmaB2 - sigmaB2;
  const refine = (a: number, b: number, fa: number): number => {
    for (let i = 0; i < 200 && b - a > 1e-15 * b; i++) {
      const mid = 0.5 * (a + b);
      const fm = f(mid);
      if (Math.sign(fm) === Math.sign(fa)) {
        a = mid;
        fa = fm;
      } else b = mid;
    }
    return 0.5 * (a + b);
  };
  let qPrev = 1e-10;
  let fPrev = f(qPrev);
  for (let e = -10 + 1 / 8; e <= 6 + 1e-9; e += 1 / 8) {
    const q = Math.pow(10, e);
    const fq = f(q);
    if (fPrev !== 0 && Math.sign(fq) !== Math.sign(fPrev)) {
      const qStar = fq === 0 ? q : refine(qPrev, q, fPrev);
      const sigmaW2 = criticalLine(act, qStar).sigmaW2;
      if (qMapSlope(act, sigmaW2, qStar) < 1) return { sigmaW2, sigmaB2, qStar };
    }
    qPrev = q;
    fPrev = fq;
  }
  return null;
}

/**
 * The q* -> infinity end of the critical line, 2 / (phi'(+inf)^2 + phi'(-inf)^2): where ReLU-like activations
 * (softplus; gelu / swish / mish at small sigma_b^2, whose finite critical q* repel) approach the edge of chaos
 * when no attracting finite q* reaches it. Infinity for bounded activations (tanh, sigmoid, softsign).
 */
export function asymptoticCriticalSigmaW2(act: ActivationModel): number {
  const d = (act.dphi(1e8) ** 2 + act.dphi(-1e8) ** 2) / 2;
  // Bounded activations have phi' -> 0 (softsign only algebraically, 1e-16 at 1e8).
  return d > 1e-12 ? 1 / d : Infinity;
}
