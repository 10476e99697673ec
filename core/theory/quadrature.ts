/**
 * Gaussian quadrature for expectations over h ~ N(mean, variance): the mean-field engine's only integrator.
 *
 * Two rules, chosen per call:
 * - Gauss-Hermite (64 nodes by default) when the integrand is analytic and the standard deviation is small
 *   (<= GAUSS_HERMITE_MAX_STD). There it is exact to rounding (1e-16 for tanh^2 at variance 0.1).
 * - Composite Gauss-Legendre otherwise. Gauss-Hermite converges only algebraically for integrands with a kink
 *   (ReLU, SELU: error 1e-3 to 5e-2 at 64 nodes) and misses the transition of tanh(sqrt(q) z) when q is large
 *   (error 3.5e-2 in E[tanh^2] at q = 500, the tanh + N(0, 1) case). The composite rule splits the range at the
 *   activation's kinks, on a z-grid of step 1/2 and on a geometric h-grid (+-2^k) so that the activation's own
 *   scale (~1 in h) is resolved at any variance. See core/theory/README.md for the measured errors.
 */

/** Nodes z_i and weights w_i with sum_i w_i f(z_i) ~ E[f(z)], z ~ N(0, 1) (weights sum to 1). */
export interface QuadratureRule {
  nodes: Float64Array;
  weights: Float64Array;
}

/** Largest standard deviation at which analytic integrands use Gauss-Hermite. */
export const GAUSS_HERMITE_MAX_STD = 0.5;
/** Nodes of the default Gauss-Hermite rule. */
export const GAUSS_HERMITE_DEFAULT_NODES = 64;

const PI_MINUS_QUARTER = Math.pow(Math.PI, -0.25);
const hermiteCache = new Map<number, QuadratureRule>();
const legendreCache = new Map<number, QuadratureRule>();

/**
 * Orthonormal physicists' Hermite polynomial p_n(x) and p_{n-1}(x) by the three-term recurrence (normalised so
 * the values stay O(1) for n in the hundreds, unlike H_n itself).
 */
function hermitePair(n: number, x: number): [number, number] {
  let p1 = PI_MINUS_QUARTER;
  let p2 = 0;
  for (let j = 1; j <= n; j++) {
    const p3 = p2;
    p2 = p1;
    p1 = x * Math.sqrt(2 / j) * p2 - Math.sqrt((j - 1) / j) * p3;
  }
  return [p1, p2];
}

/**
 * Gauss-Hermite rule for the standard normal, computed by Newton's method on the orthonormal Hermite polynomial
 * (roots from the largest down, started from asymptotic estimates of the extreme zeros and extrapolation from
 * the previous two). Nodes are returned ascending.
 */
export function gaussHermite(n = GAUSS_HERMITE_DEFAULT_NODES): QuadratureRule {
  const cached = hermiteCache.get(n);
  if (cached) return cached;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gaussHermite: n must be a positive integer, got ${n}`);
  const x = new Float64Array(n);
  const w = new Float64Array(n);
  const half = Math.floor((n + 1) / 2);
  let z = 0;
  for (let i = 0; i < half; i++) {
    if (i === 0) z = Math.sqrt(2 * n + 1) - 1.85575 * Math.pow(2 * n + 1, -1 / 6);
    else if (i === 1) z -= (1.14 * Math.pow(n, 0.426)) / z;
    else if (i === 2) z = 1.86 * z - 0.86 * x[0];
    else if (i === 3) z = 1.91 * z - 0.91 * x[1];
    else z = 2 * z - x[i - 2];
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      const [p, pm1] = hermitePair(n, z);
      dp = Math.sqrt(2 * n) * pm1;
      const step = p / dp;
      z -= step;
      if (Math.abs(step) <= 1e-15 * Math.max(1, Math.abs(z))) break;
    }
    const [, pm1] = hermitePair(n, z);
    dp = Math.sqrt(2 * n) * pm1;
    x[i] = z;
    // Weight for exp(-x^2) is 2 / p_n'(x)^2; divided by sqrt(pi) for the normal density.
    w[i] = 2 / (dp * dp) / Math.sqrt(Math.PI);
  }
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < half; i++) {
    // Physicists' x -> standard normal z = sqrt(2) x; the rule is symmetric.
    nodes[n - 1 - i] = Math.SQRT2 * x[i];
    nodes[i] = -Math.SQRT2 * x[i];
    weights[n - 1 - i] = w[i];
    weights[i] = w[i];
  }
  if (n % 2 === 1) nodes[half - 1] = 0;
  const rule = { nodes, weights };
  hermiteCache.set(n, rule);
  return rule;
}

/** Gauss-Legendre rule on [-1, 1] (weights sum to 2), by Newton's method on P_n. Nodes ascending. */
export function gaussLegendre(n: number): QuadratureRule {
  const cached = legendreCache.get(n);
  if (cached) return cached;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gaussLegendre: n must be a positive integer, got ${n}`);
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.floor((n + 1) / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 1;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let j = 1; j < n; j++) {
        const p2 = ((2 * j + 1) * x * p1 - j * p0) / (j + 1);
        p0 = p1;
        p1 = p2;
      }
      // p1 = P_n(x), p0 = P_{n-1}(x); P_n' from the derivative identity.
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const step = p1 / dp;
      x -= step;
      if (Math.abs(step) <= 1e-16) break;
    }
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    const wi = 2 / ((1 - x * x) * dp * dp);
    weights[i] = wi;
    weights[n - 1 - i] = wi;
  }
  const rule = { nodes, weights };
  legendreCache.set(n, rule);
  return rule;
}

/** How to integrate one family of integrands. */
export interface ExpectationOptions {
  /** Points (in h) where the integrand or a low derivative is not smooth: the composite rule splits there. */
  breaks?: readonly number[];
  /** Integrand analytic everywhere: allows Gauss-Hermite at small variance. */
  smooth?: boolean;
}

/** Half-width of the integration range in standard deviations: the mass outside is 1.5e-23. */
const Z_MAX = 10;
const Z_STEP = 0.5;
const PANEL_NODES = 16;
/** h-grid that resolves an activation's own scale (features near |h| ~ 1, tails up to |h| ~ 64). */
const GEOMETRIC_BREAKS = [0, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64].flatMap((b) => (b === 0 ? [0] : [-b, b]));

/**
 * k expectations at once: out[j] = E[f_j(h)], h ~ N(mean, variance), where fill(h, values) writes f_0(h) ..
 * f_{k-1}(h) into values. One pass over the nodes, so phi and phi' are evaluated together.
 */
export function normalExpectations(
  k: number,
  fill: (h: number, values: Float64Array) => void,
  mean: number,
  variance: number,
  options: ExpectationOptions = {},
): Float64Array {
  const out = new Float64Array(k);
  const values = new Float64Array(k);
  const s = Math.sqrt(Math.max(0, variance));
  if (s === 0) {
    fill(mean, values);
    out.set(values);
    return out;
  }
  if (options.smooth && s <= GAUSS_HERMITE_MAX_STD) {
    const { nodes, weights } = gaussHermite();
    for (let i = 0; i < nodes.length; i++) {
      fill(mean + s * nodes[i], values);
      for (let j = 0; j < k; j++) out[j] += weights[i] * values[j];
    }
    return out;
  }
  const lo = mean - Z_MAX * s;
  const hi = mean + Z_MAX * s;
  const cuts: number[] = [];
  for (let z = -Z_MAX; z <= Z_MAX + 1e-12; z += Z_STEP) cuts.push(mean + z * s);
  for (const b of GEOMETRIC_BREAKS) if (b > lo && b < hi) cuts.push(b);
  for (const b of options.breaks ?? []) if (b > lo && b < hi) cuts.push(b);
  cuts.sort((a, b) => a - b);
  const { nodes, weights } = gaussLegendre(PANEL_NODES);
  const norm = 1 / (s * Math.sqrt(2 * Math.PI));
  for (let c = 0; c + 1 < cuts.length; c++) {
    const a = cuts[c];
    const b = cuts[c + 1];
    if (b - a <= 1e-13 * s) continue;
    const half = 0.5 * (b - a);
    const mid = 0.5 * (a + b);
    for (let i = 0; i < PANEL_NODES; i++) {
      const h = mid + half * nodes[i];
      const u = (h - mean) / s;
      const density = norm * Math.exp(-0.5 * u * u);
      fill(h, values);
      const wd = weights[i] * half * density;
      for (let j = 0; j < k; j++) out[j] += wd * values[j];
    }
  }
  return out;
}

/** E[f(h)], h ~ N(mean, variance). */
export function normalExpectation(
  f: (h: number) => number,
  mean: number,
  variance: number,
  options: ExpectationOptions = {},
): number {
  return normalExpectations(1, (h, v) => { v[0] = f(h); }, mean, variance, options)[0];
}
