/**
 * Saturation: a unit is saturated when |phi'(h)| < SATURATION_RATIO * sup|phi'| (0.0707 of its steepest slope),
 * so that almost no gradient passes. The set of such h is found numerically per activation (a scan at step
 * 1/64 on [-64, 64] refined by bisection) and cached; README.md tabulates the result and the tests pin the
 * closed forms (tanh |h| > 2, sigmoid |h| > 4, elu/selu h < ln 0.0707, softplus h < logit 0.0707, ...).
 *
 * ReLU-family negative sides are not saturation: relu/relu6's dead side is reported as `inactive`, and
 * leaky_relu/prelu leak by design (their slope, 0.01 in PyTorch, would otherwise count as saturated).
 */
import { normalCdf, normalIntervalProbability } from './special';
import { SATURATION_RATIO, type ActivationModel } from './activations';

/** A closed-open interval of h (bounds may be +-Infinity). */
export type Interval = [number, number];

const SCAN_LIMIT = 64;
const SCAN_STEP = 1 / 64;
const cache = new Map<string, { maxSlope: number; intervals: Interval[] }>();

function cacheKey(act: ActivationModel): string {
  return `${act.name}:${act.param ?? ''}`;
}

/** sup over h of |phi'(h)|: scan, kinks from both sides, then golden-section refinement around the best. */
function maxSlope(act: ActivationModel, lo: number): number {
  const g = (h: number) => Math.abs(act.dphi(h));
  let best = -Infinity;
  let arg = 0;
  const consider = (h: number) => {
    const v = g(h);
    if (v > best) {
      best = v;
      arg = h;
    }
  };
  for (let h = lo; h <= SCAN_LIMIT; h += SCAN_STEP) consider(h);
  for (const k of act.kinks) for (const d of [0, -1e-12, 1e-12]) if (k + d >= lo) consider(k + d);
  let a = Math.max(lo, arg - SCAN_STEP);
  let b = Math.min(SCAN_LIMIT, arg + SCAN_STEP);
  const r = (Math.sqrt(5) - 1) / 2;
  for (let i = 0; i < 80 && b - a > 1e-13; i++) {
    const c = b - r * (b - a);
    const d = a + r * (b - a);
    if (g(c) >= g(d)) b = d;
    else a = c;
  }
  consider((a + b) / 2);
  return best;
}

/** Bisection for the boundary between a saturated and an unsaturated point. */
function boundary(isSat: (h: number) => boolean, a: number, b: number): number {
  const satA = isSat(a);
  for (let i = 0; i < 200 && b - a > 1e-15 * Math.max(1, Math.abs(a)); i++) {
    const m = 0.5 * (a + b);
    if (isSat(m) === satA) a = m;
    else b = m;
  }
  return 0.5 * (a + b);
}

/** sup|phi'| and the saturated h-intervals of an activation (cached per name and parameter). */
export function saturationSet(act: ActivationModel): { maxSlope: number; intervals: Interval[] } {
  const key = cacheKey(act);
  const hit = cache.get(key);
  if (hit) return hit;
  let result: { maxSlope: number; intervals: Interval[] };
  const reluFamily = act.name === 'relu' || act.name === 'relu6' || act.name === 'leaky_relu' || act.name === 'prelu';
  if (act.passThrough || act.name === 'linear') {
    result = { maxSlope: 1, intervals: [] };
  } else {
    const lo = reluFamily ? 0 : -SCAN_LIMIT;
    const top = maxSlope(act, lo);
    const threshold = SATURATION_RATIO * top;
    const isSat = (h: number) => Math.abs(act.dphi(h)) < threshold;
    const intervals: Interval[] = [];
    // A saturated start extends to -infinity (or to 0 for the ReLU family, whose negative side is excluded).
    let prev = lo === 0 ? 1e-300 : lo;
    let prevSat = isSat(prev);
    let start: number | null = prevSat ? (lo === 0 ? 0 : -Infinity) : null;
    for (let h = prev + SCAN_STEP; h <= SCAN_LIMIT + 1e-9; h += SCAN_STEP) {
      const sat = isSat(h);
      if (sat !== prevSat) {
        const x = boundary(isSat, prev, h);
        if (sat) start = x;
        else if (start !== null) {
          intervals.push([start, x]);
          start = null;
        }
      }
      prev = h;
      prevSat = sat;
    }
    if (start !== null) intervals.push([start, Infinity]);
    result = { maxSlope: top, intervals };
  }
  cache.set(key, result);
  return result;
}

/** Probability that a unit with pre-activation N(mean, variance) is saturated. */
export function saturationProbability(act: ActivationModel, mean: number, variance: number): number {
  let p = 0;
  for (const [a, b] of saturationSet(act).intervals) p += normalIntervalProbability(mean, variance, a, b);
  return Math.min(1, p);
}

/** P(h <= 0) for activations whose negative side is dead; null for the others. */
export function inactiveProbability(act: ActivationModel, mean: number, variance: number): number | null {
  if (!act.deadBelowZero) return null;
  const s = Math.sqrt(Math.max(0, variance));
  if (s === 0) return mean <= 0 ? 1 : 0;
  return normalCdf(-mean / s);
}
