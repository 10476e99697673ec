/**
 * Special functions the theory engine needs in double precision: the error function family, the normal density
 * and distribution, and Gaussian quadrature rules.
 *
 * erf / erfc / erfcx follow W. J. Cody, "Rational Chebyshev approximations for the error function",
 * Math. Comp. 23 (1969), with the coefficient sets of his SPECFUN routine CALERF (three argument ranges:
 * |x| <= 0.46875, <= 4, > 4). Relative error is a few ulp over the whole range (pinned in theorySpecial.test.ts
 * against 30-digit values). The low-precision erfc formerly in core/initializers.ts (1.2e-7) was not good enough
 * for the SELU map, whose terms cancel to 1e-8.
 */

/** 1 / sqrt(pi). */
const INV_SQRT_PI = 0.56418958354775628695;
/** 1 / sqrt(2 pi). */
const INV_SQRT_2PI = 0.3989422804014326779399461;

// Cody's coefficients, range |x| <= 0.46875: erf(x) = x P(x^2) / Q(x^2).
const A = [3.1611237438705656, 113.864154151050156, 377.485237685302021, 3209.37758913846947, 0.185777706184603153];
const B = [23.6012909523441209, 244.024637934444173, 1282.61652607737228, 2844.23683343917062];
// Range 0.46875 < |x| <= 4: erfcx(x) = P(x) / Q(x).
const C = [
  0.564188496988670089, 8.88314979438837594, 66.1191906371416295, 298.635138197400131, 881.95222124176909,
  1712.04761263407058, 2051.07837782607147, 1230.33935479799725, 2.15311535474403846e-8,
];
const D = [
  15.7449261107098347, 117.693950891312499, 537.181101862009858, 1621.38957456669019, 3290.79923573345963,
  4362.61909014324716, 3439.36767414372164, 1230.33935480374942,
];
// Range |x| > 4: erfcx(x) = (1/sqrt(pi) + R(1/x^2) / x^2) / x.
const P = [
  0.305326634961232344, 0.360344899949804439, 0.125781726111229246, 0.0160837851487422766,
  0.000658749161529837803, 0.0163153871373020978,
];
const Q = [2.56852019228982242, 1.87295284992346725, 0.527905102951428412, 0.0605183413124413191, 0.00233520497626869185];

const THRESH = 0.46875;

/** x * P(x^2)/Q(x^2): erf on the central range. */
function erfCentral(x: number): number {
  const y = x * x;
  let num = A[4] * y;
  let den = y;
  for (let i = 0; i < 3; i++) {
    num = (num + A[i]) * y;
    den = (den + B[i]) * y;
  }
  return (x * (num + A[3])) / (den + B[3]);
}

/** exp(y^2) erfc(y) for y > THRESH. */
function erfcxTail(y: number): number {
  if (y <= 4) {
    let num = C[8] * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + C[i]) * y;
      den = (den + D[i]) * y;
    }
    return (num + C[7]) / (den + D[7]);
  }
  const z = 1 / (y * y);
  let num = P[5] * z;
  let den = z;
  for (let i = 0; i < 4; i++) {
    num = (num + P[i]) * z;
    den = (den + Q[i]) * z;
  }
  const r = (z * (num + P[4])) / (den + Q[4]);
  return (INV_SQRT_PI - r) / y;
}

/**
 * exp(-y^2) with y^2 split into an exactly representable part, as Cody does: the rounding error of y*y would
 * otherwise be multiplied by y^2 in the exponent (relative error ~ y^2 * 1e-16, 1e-13 at y = 26).
 */
function expMinusSquare(y: number): number {
  const hi = Math.trunc(y * 16) / 16;
  const lo = (y - hi) * (y + hi);
  return Math.exp(-hi * hi) * Math.exp(-lo);
}

/** exp(y^2) with the same splitting. */
function expSquare(y: number): number {
  const hi = Math.trunc(y * 16) / 16;
  const lo = (y - hi) * (y + hi);
  return Math.exp(hi * hi) * Math.exp(lo);
}

/** Complementary error function erfc(x) = 1 - erf(x), relative error a few ulp for all x. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return 1 - erfCentral(x);
  // Beyond 26.55 erfc underflows to 0 in double precision.
  const r = y >= 26.6 ? 0 : expMinusSquare(y) * erfcxTail(y);
  return x < 0 ? 2 - r : r;
}

/** Error function, relative error a few ulp for all x. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return erfCentral(x);
  const r = y >= 6 ? 0 : expMinusSquare(y) * erfcxTail(y);
  // (0.5 - r) + 0.5 keeps the last bits when r is small.
  const e = 0.5 - r + 0.5;
  return x < 0 ? -e : e;
}

/**
 * Scaled complementary error function erfcx(x) = exp(x^2) erfc(x). Finite and accurate for large positive x
 * (~ 1/(x sqrt pi)) where exp and erfc separately overflow / underflow; overflows to Infinity below x ~ -26.6.
 */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const y = Math.abs(x);
  if (y <= THRESH) return Math.exp(x * x) * (1 - erfCentral(x));
  const r = erfcxTail(y);
  if (x > 0) return r;
  if (x < -26.6) return Infinity;
  // erfc(-y) = 2 - erfc(y)  =>  erfcx(-y) = 2 exp(y^2) - erfcx(y).
  return 2 * expSquare(y) - r;
}

/**
 * exp(a) * erfc(b) without overflow or underflow in the intermediate factors: for b > 0 it is evaluated as
 * exp(a - b^2) * erfcx(b). The SELU moment formulas have a - b^2 = -m^2/(2t) bounded while a and b^2 grow with t.
 */
export function expErfc(a: number, b: number): number {
  if (b <= 0) return Math.exp(a) * erfc(b);
  return Math.exp(a - b * b) * erfcx(b);
}

/** Standard normal density. */
export function normalPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/** Standard normal distribution function Phi(x), accurate in relative terms in the lower tail. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x * Math.SQRT1_2);
}

/** Upper tail 1 - Phi(x), accurate in relative terms for large x. */
export function normalSf(x: number): number {
  return 0.5 * erfc(x * Math.SQRT1_2);
}

/**
 * Probability that N(mean, variance) falls in [lo, hi] (bounds may be infinite). Chooses the tail form so that
 * small masses far out keep their relative accuracy.
 */
export function normalIntervalProbability(mean: number, variance: number, lo: number, hi: number): number {
  if (!(hi > lo)) return 0;
  const s = Math.sqrt(variance);
  if (s === 0) return mean >= lo && mean <= hi ? 1 : 0;
  const a = (lo - mean) / s;
  const b = (hi - mean) / s;
  if (a >= 0) return Math.max(0, normalSf(a) - normalSf(b));
  if (b <= 0) return Math.max(0, normalCdf(b) - normalCdf(a));
  return Math.max(0, 1 - normalCdf(a) - normalSf(b));
}
