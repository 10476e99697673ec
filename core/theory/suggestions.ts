/**
 * The initializer that puts a linear layer at the fixed point / edge of chaos of the activation that follows it.
 * SELU: the SNN fixed point (0, 1), tau = 1. Homogeneous activations (relu, leaky, linear): 2 / (1 + slope^2),
 * independent of q. Everything else: the critical line of meanField.ts at the layer's sigma_b^2.
 */
import type { Framework, InitScheme } from '../ir';
import type { InitSuggestion } from './types';
import type { ActivationModel } from './activations';
import { asymptoticCriticalSigmaW2, criticalSigmaW2 } from './meanField';
import { saturationProbability } from './saturation';
import { seluFixedPointIteration } from './selu';


/** Within this relative distance a named scheme (lecun 1, he 2) is suggested instead of a bespoke scale. */
const NAMED_TOLERANCE = 0.01;

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

/** Named scheme for a critical sigma_w^2, or variance_scaling with the exact scale. */
function schemeFor(critical: number, framework: Framework): Pick<InitSuggestion, 'scheme' | 'sigmaW2' | 'scale' | 'gain'> {
  const named: [number, InitScheme][] = [[1, 'lecun_normal'], [2, framework === 'pytorch' ? 'kaiming_normal' : 'he_normal']];
  for (const [value, scheme] of named) {
    if (Math.abs(critical - value) <= NAMED_TOLERANCE * value) return { scheme, sigmaW2: value, gain: Math.sqrt(value) };
  }
  return { scheme: 'variance_scaling', sigmaW2: critical, scale: critical, gain: Math.sqrt(critical) };
}

/** How to write the scheme in the user's framework, for the reason text. */
function howTo(s: Pick<InitSuggestion, 'scheme' | 'sigmaW2'>, framework: Framework): string {
  if (framework === 'pytorch') {
    if (s.scheme === 'lecun_normal') return "kaiming_normal_(mode='fan_in', nonlinearity='linear')";
    if (s.scheme === 'kaiming_normal') return "kaiming_normal_(mode='fan_in', nonlinearity='relu')";
    return `normal_(std=sqrt(${fmt(s.sigmaW2)} / fan_in))`;
  }
  if (s.scheme === 'variance_scaling') return `VarianceScaling(scale=${fmt(s.sigmaW2)}, mode='fan_in', distribution='truncated_normal')`;
  return s.scheme;
}

/**
 * Suggestion for a linear layer followed by `act` (null: no activation, a linear output). `sigmaB2` is the
 * layer's bias variance; `current` its present sigma_w^2 (for the reason text), null when unknown.
 */
export function suggestInit(
  act: ActivationModel | null,
  sigmaB2: number,
  framework: Framework,
  current: number | null,
): InitSuggestion | null {
  const now = current === null ? '' : ` (now ${fmt(current)})`;
  if (act === null || act.name === 'linear' || act.passThrough) {
    const s = schemeFor(1, framework);
    const what = act?.passThrough ? `logits of ${act.name}` : 'a linear output';
    return { ...s, criticalSigmaW2: 1, reason: `${what}: fan_in Var(w) = 1${now} keeps the variance; ${howTo(s, framework)}` };
  }
  if (act.name === 'selu') {
    const s = schemeFor(1, framework);
    let effect = '';
    if (current !== null && current > 0 && Math.abs(current - 1) > 1e-12) {
      const fp = seluFixedPointIteration(current, { convention: 'secondMoment' });
      effect = fp.collapsed
        ? `; with tau = ${fmt(current)} the variance collapses to 0 with depth`
        : fp.diverged
          ? `; with tau = ${fmt(current)} the variance grows without bound with depth`
          : fp.converged
          ? `; with tau = ${fmt(current)} the variance settles at ${fmt(fp.variance)}, not 1`
          : '';
    }
    return {
      ...s,
      criticalSigmaW2: 1,
      reason: `SELU's fixed point (0, 1) needs tau = fan_in Var(w) = 1${now}: ${howTo(s, framework)}${effect}`,
    };
  }
  if (act.homogeneous) {
    const slope = act.param ?? 0;
    const critical = 2 / (1 + slope * slope);
    const s = schemeFor(critical, framework);
    return {
      ...s,
      criticalSigmaW2: critical,
      reason: `${act.name}: chi_1 = sigma_w^2 (1 + slope^2) / 2 = 1 at sigma_w^2 = ${fmt(critical)}${now}; ${howTo(s, framework)}`,
    };
  }
  const cp = criticalSigmaW2(act, sigmaB2);
  if (cp) {
    const s = schemeFor(cp.sigmaW2, framework);
    const q = cp.qStar ?? 0;
    const sat = q > 0 ? `, ${fmt(100 * saturationProbability(act, 0, q))}% saturated there` : '';
    return {
      ...s,
      criticalSigmaW2: cp.sigmaW2,
      reason:
        `${act.name} edge of chaos (chi_1 = 1) at sigma_b^2 = ${fmt(sigmaB2)}: sigma_w^2 = ${fmt(cp.sigmaW2)}${now}, ` +
        `q* = ${fmt(q)}${sat}; ${howTo(s, framework)}`,
    };
  }
  const asym = asymptoticCriticalSigmaW2(act);
  if (!Number.isFinite(asym)) return null;
  const s = schemeFor(asym, framework);
  return {
    ...s,
    criticalSigmaW2: asym,
    reason:
      `${act.name}: no finite q* has chi_1 = 1 at sigma_b^2 = ${fmt(sigmaB2)}; like ReLU it approaches the edge as ` +
      `q* grows, at sigma_w^2 = ${fmt(asym)}${now}; ${howTo(s, framework)}`,
  };
}
