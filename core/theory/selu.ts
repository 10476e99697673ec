/**
 * Self-normalizing networks (Klambauer et al. 2017): SELU constants, the mean/variance map g, its Jacobian,
 * Theorem 1's domain, variance fixed points, other fixed points (getSELUparameters) and alpha dropout's affine.
 * Formulas and numbers: shared/docs/reference.md, pinned in test/unit/theorySelu.test.ts.
 */
import { erfc, expErfc } from './special';
import { normalExpectations } from './quadrature';
import { memoize } from './memo';

/** SELU alpha_01 (reference.md literal). */
export const SELU_ALPHA = 1.6732632423543772848170429916717;
/** SELU lambda_01 (reference.md literal). */
export const SELU_LAMBDA = 1.0507009873554804934193349852946;
/** Saturation value -lambda * alpha: where SELU tends for x -> -inf, and where alpha dropout sets dropped units. */
export const SELU_ALPHA_PRIME = -SELU_LAMBDA * SELU_ALPHA;

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** alpha_01 from its closed form (fixed point (0, 1) of g): -sqrt(2/pi) / (exp(1/2) erfc(1/sqrt 2) - 1). */
export function seluAlphaClosedForm(): number {
  return -SQRT_2_OVER_PI / (Math.exp(0.5) * erfc(Math.SQRT1_2) - 1);
}

/** lambda_01 from its closed form (reference.md). */
export function seluLambdaClosedForm(): number {
  const e = Math.E;
  const ec = erfc(Math.SQRT1_2);
  const se = Math.sqrt(e);
  const pi = Math.PI;
  const den = 2 + pi - 2 * se * (2 + pi) * ec + e * pi * ec * ec + 2 * e * e * erfc(Math.SQRT2);
  return (1 - se * ec) * Math.sqrt((2 * pi) / den);
}

/** selu(x) = lambda x (x > 0), lambda alpha (exp(x) - 1) otherwise. */
export function selu(x: number, alpha = SELU_ALPHA, lambda = SELU_LAMBDA): number {
  return x > 0 ? lambda * x : lambda * alpha * Math.expm1(x);
}

/** Mean, variance and second moment of a unit's output. */
export interface Moments {
  mean: number;
  variance: number;
  secondMoment: number;
}

/** Below this input variance the closed forms lose digits to cancellation (error ~ 1e-16 / t): use quadrature. */
const CLOSED_FORM_MIN_T = 1e-4;

/**
 * The reference.md closed forms split by their dependence on (alpha, lambda): mu~ = lambda (c0 + alpha c1),
 * xi~ = lambda^2 (x0 + alpha^2 x1). Every exp(a) erfc(b) goes through expErfc (finite for any t) and
 * 2 - erfc(x) is written erfc(-x).
 */
function seluCoefficients(m: number, t: number): { c0: number; c1: number; x0: number; x1: number } {
  const s = Math.sqrt(2 * t);
  const ec = erfc(m / s);
  const ecNeg = erfc(-m / s);
  const e1 = expErfc(m + t / 2, (m + t) / s);
  const e2 = expErfc(2 * (m + t), (m + 2 * t) / s);
  const g = SQRT_2_OVER_PI * Math.sqrt(t) * Math.exp((-m * m) / (2 * t));
  return { c0: (m * ecNeg + g) / 2, c1: (e1 - ec) / 2, x0: ((m * m + t) * ecNeg + m * g) / 2, x1: (-2 * e1 + e2 + ec) / 2 };
}

/** Moments of selu(z), z ~ N(m, t), in closed form (quadrature below t = 1e-4). */
export function seluGaussianMoments(m: number, t: number, alpha = SELU_ALPHA, lambda = SELU_LAMBDA): Moments {
  if (!(t > 0)) {
    const y = selu(m, alpha, lambda);
    return { mean: y, variance: 0, secondMoment: y * y };
  }
  if (t < CLOSED_FORM_MIN_T) {
    const [mean, secondMoment] = normalExpectations(2, (h, v) => {
      const y = selu(h, alpha, lambda);
      v[0] = y;
      v[1] = y * y;
    }, m, t, { breaks: [0] });
    return { mean, secondMoment, variance: Math.max(0, secondMoment - mean * mean) };
  }
  const { c0, c1, x0, x1 } = seluCoefficients(m, t);
  const mean = lambda * (c0 + alpha * c1);
  const secondMoment = lambda * lambda * (x0 + alpha * alpha * x1);
  return { mean, secondMoment, variance: Math.max(0, secondMoment - mean * mean) };
}

/**
 * The SNN map g(mu, omega, nu, tau): statistics of a SELU unit whose inputs have mean mu and variance nu and
 * whose weights have sum omega and sum of squares tau, so z ~ N(mu omega, nu tau).
 */
export function seluMap(mu: number, omega: number, nu: number, tau: number, alpha = SELU_ALPHA, lambda = SELU_LAMBDA): Moments {
  return seluGaussianMoments(mu * omega, nu * tau, alpha, lambda);
}

/** Partial derivatives of E[selu(z)] and E[selu(z)^2] with respect to m and t (z ~ N(m, t)). */
interface SeluPartials {
  meanDm: number;
  meanDt: number;
  secondDm: number;
  secondDt: number;
}

/**
 * Analytic partials: d/dm E[f(z)] = E[f'(z)] and d/dt E[f(z)] = E[f''(z)]/2 (heat equation), where SELU's f''
 * carries a delta of weight lambda (1 - alpha) at 0 and selu^2 is C^1 (no delta).
 */
function seluPartials(m: number, t: number, alpha: number, lambda: number): SeluPartials {
  const s = Math.sqrt(2 * t);
  const pPos = erfc(-m / s) / 2;
  const pdfAt0 = Math.exp((-m * m) / (2 * t)) / Math.sqrt(2 * Math.PI * t);
  const ezPos = m * pPos + t * pdfAt0;
  // E[exp(k z); z < 0] = exp(k m + k^2 t / 2) Phi(-(m + k t) / sqrt t).
  const ek = (k: number) => expErfc(k * m + (k * k * t) / 2, (m + k * t) / s) / 2;
  const e1 = ek(1);
  const e2 = ek(2);
  const l2 = lambda * lambda;
  const a2 = alpha * alpha;
  return {
    meanDm: lambda * (pPos + alpha * e1),
    meanDt: (lambda / 2) * (alpha * e1 + (1 - alpha) * pdfAt0),
    secondDm: 2 * l2 * (ezPos + a2 * (e2 - e1)),
    secondDt: l2 * (pPos + a2 * (2 * e2 - e1)),
  };
}

/** 2x2 matrix [[a, b], [c, d]]. */
export type Matrix2 = [[number, number], [number, number]];

/**
 * Jacobian of (mu~, nu~) = g(mu, omega, nu, tau) with respect to (mu, nu), analytic. At (0, 0, 1, 1):
 * [[0, 0.0888348], [0, 0.7826479]].
 */
export function seluJacobian(mu: number, omega: number, nu: number, tau: number, alpha = SELU_ALPHA, lambda = SELU_LAMBDA): Matrix2 {
  const m = mu * omega;
  const t = nu * tau;
  const p = seluPartials(m, t, alpha, lambda);
  const meanOut = seluGaussianMoments(m, t, alpha, lambda).mean;
  return [
    [omega * p.meanDm, tau * p.meanDt],
    [omega * (p.secondDm - 2 * meanOut * p.meanDm), tau * (p.secondDt - 2 * meanOut * p.meanDt)],
  ];
}

/** Largest singular value of a 2x2 matrix, in closed form. */
export function spectralNorm2(j: Matrix2): number {
  const [[a, b], [c, d]] = j;
  const f = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  return Math.sqrt((f + Math.sqrt(Math.max(0, f * f - 4 * det * det))) / 2);
}

/** Theorem 1's domain (reference.md). */
export const THEOREM1_DOMAIN = {
  mu: [-0.1, 0.1],
  omega: [-0.1, 0.1],
  nu: [0.8, 1.5],
  tau: [0.95, 1.1],
} as const;

/** Largest singular value of g's Jacobian over Theorem 1's domain (attained at mu = omega = -0.1, nu 0.8, tau 1.1). */
export const THEOREM1_MAX_SINGULAR_VALUE = 0.8976083584089181;

/** Where a layer stands with respect to Theorem 1. */
export interface Theorem1Result {
  inDomain: boolean;
  /** One entry per coordinate outside the domain, e.g. "tau=0.333 < 0.95". */
  violations: string[];
}

/** Checks (mu, omega, nu, tau) against Theorem 1's domain; inside it g is a contraction onto (0, 1). */
export function theorem1Check(mu: number, omega: number, nu: number, tau: number): Theorem1Result {
  const values = { mu, omega, nu, tau };
  const violations: string[] = [];
  for (const key of ['mu', 'omega', 'nu', 'tau'] as const) {
    const [lo, hi] = THEOREM1_DOMAIN[key];
    const v = values[key];
    const shown = Number(v.toPrecision(3));
    if (!(v >= lo)) violations.push(`${key}=${shown} < ${lo}`);
    else if (v > hi) violations.push(`${key}=${shown} > ${hi}`);
  }
  return { inDomain: violations.length === 0, violations };
}

/**
 * How the variance is carried from layer to layer when omega = 0.
 * - 'variance': t = tau * Var(x), the paper's idealisation (per-unit weight sums exactly 0). Reproduces the
 *   reference.md fixed-point table (tau 0.7737 -> 0.351, 0.5625 -> 0.027).
 * - 'secondMoment': t = tau * E[x^2], mean-field over random zero-mean weights, what a sampled network does
 *   (each unit's weight sum is ~N(0, tau), so the input mean leaks into the variance). Gives 0.3646 / 0.0398.
 */
export type SeluPropagation = 'variance' | 'secondMoment';

/** Result of iterating g at omega = 0. */
export interface SeluFixedPoint extends Moments {
  tau: number;
  iterations: number;
  converged: boolean;
  /** The variance went to 0 (below collapseThreshold): no positive fixed point attracts from nu = 1. */
  collapsed: boolean;
  /** The variance grew past 1e100 (SELU is linear above 0, so tau beyond ~2 to ~3 has no fixed point): it explodes. */
  diverged: boolean;
}

/** Options of the omega = 0 variance iteration. */
export interface SeluIterationOptions {
  convention?: SeluPropagation;
  /** Starting variance (default 1: standardized inputs). */
  start?: number;
  tolerance?: number;
  maxIterations?: number;
  /** Variance below which the stack counts as collapsed (default 1e-12). */
  collapseThreshold?: number;
}

/**
 * Iterates the variance of a deep SELU stack with weight scale tau (omega = 0), starting from unit variance.
 * Memoised: near the collapse the iteration takes thousands of steps, and every layer of a model asks for its tau.
 */
export function seluFixedPointIteration(tau: number, options: SeluIterationOptions = {}): SeluFixedPoint {
  return { ...memoFixedPoint(tau, options) };
}

const memoFixedPoint = memoize(iterateFixedPoint, (tau, o) => `${tau}|${o.convention}|${o.start}|${o.tolerance}|${o.maxIterations}|${o.collapseThreshold}`);

/**
 * Variance past which the iteration has diverged. Fixed points grow continuously as tau nears the critical value,
 * but none this large is a fixed point in any useful sense; stopping here also stops before the moments overflow
 * to Infinity / NaN, whose next step (selu of N(0, NaN)) would read as variance 0, a collapse.
 */
const DIVERGED_VARIANCE = 1e100;

function iterateFixedPoint(tau: number, options: SeluIterationOptions): SeluFixedPoint {
  const convention = options.convention ?? 'variance';
  const tol = options.tolerance ?? 1e-14;
  const maxIterations = options.maxIterations ?? 100000;
  const collapseThreshold = options.collapseThreshold ?? 1e-12;
  let x = options.start ?? 1;
  let out = seluGaussianMoments(0, tau * x);
  for (let i = 1; i <= maxIterations; i++) {
    out = seluGaussianMoments(0, tau * x);
    const next = convention === 'variance' ? out.variance : out.secondMoment;
    const done = Math.abs(next - x) <= tol * Math.max(next, 1e-300);
    x = next;
    if (!(x <= DIVERGED_VARIANCE)) return { ...out, tau, iterations: i, converged: false, collapsed: false, diverged: true };
    if (x < collapseThreshold) return { ...out, tau, iterations: i, converged: true, collapsed: true, diverged: false };
    if (done) return { ...out, tau, iterations: i, converged: true, collapsed: false, diverged: false };
  }
  return { ...out, tau, iterations: maxIterations, converged: false, collapsed: false, diverged: false };
}

/**
 * The variance nu* a deep SELU stack settles at for weight scale tau (omega = 0): 0 when it collapses, Infinity
 * when it grows without bound. Default convention 'variance' reproduces reference.md (1 -> 1, 0.7737 -> 0.351,
 * 0.5625 -> 0.027, 1/3 -> 0).
 */
export function seluVarianceFixedPoint(tau: number, options: SeluIterationOptions = {}): number {
  const fp = seluFixedPointIteration(tau, options);
  return fp.collapsed ? 0 : fp.diverged ? Infinity : fp.variance;
}

/** (alpha, lambda) making (mu*, nu*) the fixed point of g at omega = tau = 1. */
export interface SeluParameters {
  alpha: number;
  lambda: number;
  iterations: number;
  converged: boolean;
}

/**
 * The paper's getSELUparameters: solve mu~ = mu*, nu~ = nu* for (alpha, lambda) with omega = tau = 1 and input
 * (mu*, nu*), by Newton's method in 2D with analytic derivatives (mu~ is linear in lambda and in alpha; xi~ is
 * lambda^2 times a quadratic in alpha). (-0.1, 2.0) -> alpha 1.9769021954242014, lambda 1.073851239616046.
 */
export function getSELUparameters(muStar: number, nuStar: number, start = { alpha: SELU_ALPHA, lambda: SELU_LAMBDA }): SeluParameters {
  const { c0, c1, x0, x1 } = seluCoefficients(muStar, nuStar);
  let { alpha, lambda } = start;
  for (let i = 1; i <= 100; i++) {
    const mu = lambda * (c0 + alpha * c1);
    const xi = lambda * lambda * (x0 + alpha * alpha * x1);
    const f1 = mu - muStar;
    const f2 = xi - mu * mu - nuStar;
    const dMuA = lambda * c1;
    const dMuL = c0 + alpha * c1;
    const dNuA = 2 * lambda * lambda * alpha * x1 - 2 * mu * dMuA;
    const dNuL = 2 * lambda * (x0 + alpha * alpha * x1) - 2 * mu * dMuL;
    const det = dMuA * dNuL - dMuL * dNuA;
    const da = (f1 * dNuL - dMuL * f2) / det;
    const dl = (dMuA * f2 - dNuA * f1) / det;
    alpha -= da;
    lambda -= dl;
    // Quadratic convergence: once a step is 1e-13 the remaining error is at rounding level.
    if (Math.abs(da) <= 1e-13 * Math.abs(alpha) && Math.abs(dl) <= 1e-13 * Math.abs(lambda)) {
      return { alpha, lambda, iterations: i, converged: true };
    }
    if (!Number.isFinite(alpha) || !Number.isFinite(lambda)) break;
  }
  return { alpha, lambda, iterations: 100, converged: false };
}

/** Alpha dropout's parameters for one rate. */
export interface AlphaDropoutAffine {
  /** Keep probability q = 1 - rate. */
  keep: number;
  /** Value dropped units are set to before the affine map (negative: -lambda alpha). */
  alphaPrime: number;
  a: number;
  b: number;
}

/**
 * Alpha dropout (reference.md): dropped units are set to alpha' = -lambda alpha, then y = a x + b restores
 * (mu*, nu*): a = sqrt(nu* / (q ((1-q)(alpha' - mu*)^2 + nu*))), b = mu* - a (q mu* + (1-q) alpha').
 * PyTorch and Keras use (0, 1). tfjs-layers' sign error (+1.758) is deliberately not reproduced.
 */
export function alphaDropoutAffine(rate: number, muStar = 0, nuStar = 1, alphaPrime = SELU_ALPHA_PRIME): AlphaDropoutAffine {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`alphaDropoutAffine: rate must be in [0, 1), got ${rate}`);
  const q = 1 - rate;
  const a = Math.sqrt(nuStar / (q * ((1 - q) * (alphaPrime - muStar) ** 2 + nuStar)));
  const b = muStar - a * (q * muStar + (1 - q) * alphaPrime);
  return { keep: q, alphaPrime, a, b };
}
