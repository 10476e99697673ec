/**
 * Every activation NormLens knows, as plain functions phi and phi' plus the facts the integrator and the
 * findings need: where phi is not smooth, whether the negative side is dead, and the saturation set.
 * Parameter defaults follow each framework where they differ (table in core/theory/README.md).
 */
import type { Activation, ActivationName, Framework } from '../ir';
import { normalCdf, normalPdf } from './special';
import { SELU_ALPHA, SELU_LAMBDA } from './selu';

/** An activation ready for the mean-field engine. */
export interface ActivationModel {
  name: ActivationName;
  /** The parameter in force (leaky / prelu slope, elu alpha, hard_sigmoid slope), null when there is none. */
  param: number | null;
  phi: (h: number) => number;
  dphi: (h: number) => number;
  /** Points where phi or phi' (or phi'') jumps: the quadrature splits there. */
  kinks: number[];
  /** Analytic everywhere (Gauss-Hermite is then allowed at small variance). */
  smooth: boolean;
  /** softmax / log_softmax: normalise across units, so per-unit mean-field does not apply. Stats pass through. */
  passThrough: boolean;
  /** phi' is exactly 0 for h < 0 (relu, relu6, prelu with slope 0): the unit is `inactive` there. */
  deadBelowZero: boolean;
  /** phi(c h) = c phi(h) for c > 0 (linear, relu, leaky_relu, prelu): critical sigma_w^2 is independent of q. */
  homogeneous: boolean;
  /** Non-decreasing: max pool commutes with phi. */
  monotone: boolean;
}

/**
 * Ratio |phi'| / max|phi'| below which a unit counts as saturated: sech^2(2) = 0.0707, chosen so that tanh is
 * saturated exactly for |h| > 2 (and sigmoid, a rescaled tanh, for |h| > 4).
 */
export const SATURATION_RATIO = 1 / Math.cosh(2) ** 2;

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** sech^2, not 1 - tanh^2: the latter is 0 past |x| ~ 19 where sech^2 is still 1e-16. */
function sech2(x: number): number {
  const c = Math.cosh(x);
  return 1 / (c * c);
}

/** Default leaky_relu slope when the front end did not resolve one. */
function defaultLeakySlope(framework: Framework): number {
  return framework === 'pytorch' ? 0.01 : 0.3;
}

/** Builds the model of an activation; `framework` decides defaults that differ between frameworks. */
export function activationModel(act: Activation | ActivationName, framework: Framework = 'pytorch'): ActivationModel {
  const name = typeof act === 'string' ? act : act.name;
  const given = typeof act === 'string' ? undefined : act.param;
  const base = {
    name,
    param: null as number | null,
    kinks: [] as number[],
    smooth: true,
    passThrough: false,
    deadBelowZero: false,
    homogeneous: false,
    monotone: true,
  };
  switch (name) {
    case 'linear':
    case 'softmax':
    case 'log_softmax':
      return { ...base, phi: (h) => h, dphi: () => 1, homogeneous: name === 'linear', passThrough: name !== 'linear' };
    case 'relu':
      return { ...base, phi: (h) => (h > 0 ? h : 0), dphi: (h) => (h > 0 ? 1 : 0), kinks: [0], smooth: false, deadBelowZero: true, homogeneous: true };
    case 'relu6':
      return {
        ...base,
        phi: (h) => Math.min(Math.max(h, 0), 6),
        dphi: (h) => (h > 0 && h < 6 ? 1 : 0),
        kinks: [0, 6],
        smooth: false,
        deadBelowZero: true,
      };
    case 'leaky_relu':
    case 'prelu': {
      // PReLU's learnable slope starts at 0.25 in PyTorch, at 0 (alpha_initializer zeros) in Keras / tfjs.
      const slope = given ?? (name === 'prelu' ? (framework === 'pytorch' ? 0.25 : 0) : defaultLeakySlope(framework));
      return {
        ...base,
        param: slope,
        phi: (h) => (h > 0 ? h : slope * h),
        dphi: (h) => (h > 0 ? 1 : slope),
        kinks: [0],
        smooth: false,
        deadBelowZero: slope === 0,
        homogeneous: true,
        monotone: slope >= 0,
      };
    }
    case 'elu': {
      const a = given ?? 1;
      return {
        ...base,
        param: a,
        phi: (h) => (h > 0 ? h : a * Math.expm1(h)),
        dphi: (h) => (h > 0 ? 1 : a * Math.exp(h)),
        kinks: [0],
        smooth: false,
        monotone: a >= 0,
      };
    }
    case 'selu':
      return {
        ...base,
        phi: (h) => (h > 0 ? SELU_LAMBDA * h : SELU_LAMBDA * SELU_ALPHA * Math.expm1(h)),
        dphi: (h) => (h > 0 ? SELU_LAMBDA : SELU_LAMBDA * SELU_ALPHA * Math.exp(h)),
        kinks: [0],
        smooth: false,
      };
    case 'gelu':
      // Exact (erf) form, PyTorch's default (approximate='none') and Keras' (approximate=False).
      return { ...base, phi: (h) => h * normalCdf(h), dphi: (h) => normalCdf(h) + h * normalPdf(h), monotone: false };
    case 'tanh':
      return { ...base, phi: Math.tanh, dphi: sech2 };
    case 'sigmoid':
      return { ...base, phi: sigmoid, dphi: (h) => sigmoid(h) * sigmoid(-h) };
    case 'hard_sigmoid': {
      // PyTorch Hardsigmoid: relu6(x + 3) / 6 (slope 1/6); Keras 2 / tfjs: clip(0.2 x + 0.5, 0, 1).
      const slope = given ?? (framework === 'pytorch' ? 1 / 6 : 0.2);
      const edge = 0.5 / slope;
      return {
        ...base,
        param: slope,
        phi: (h) => Math.min(Math.max(slope * h + 0.5, 0), 1),
        dphi: (h) => (h > -edge && h < edge ? slope : 0),
        kinks: [-edge, edge],
        smooth: false,
      };
    }
    case 'softplus':
      return { ...base, phi: softplus, dphi: sigmoid };
    case 'softsign':
      // phi'' jumps from +2 to -2 at 0.
      return { ...base, phi: (h) => h / (1 + Math.abs(h)), dphi: (h) => 1 / (1 + Math.abs(h)) ** 2, kinks: [0], smooth: false };
    case 'swish':
      return { ...base, phi: (h) => h * sigmoid(h), dphi: (h) => sigmoid(h) + h * sigmoid(h) * sigmoid(-h), monotone: false };
    case 'mish':
      return {
        ...base,
        phi: (h) => h * Math.tanh(softplus(h)),
        dphi: (h) => {
          const sp = softplus(h);
          return Math.tanh(sp) + h * sech2(sp) * sigmoid(h);
        },
        monotone: false,
      };
  }
}
