/**
 * Activations resolved for the probe, with the same parameters and the same saturation set as the theory
 * (core/theory/activations.ts and saturation.ts), so measured and predicted saturation mean one thing.
 * No tfjs here: the plan and the cost estimate use this without loading tfjs.
 */
import type { Activation, ActivationName, Framework } from '../ir';
import { activationModel } from '../theory/activations';
import { saturationSet, type Interval } from '../theory/saturation';

/** An activation resolved for the probe: framework defaults applied, saturation set precomputed. */
export interface ProbeActivation {
  name: ActivationName;
  /** leaky / prelu slope, elu alpha, hard_sigmoid slope; null when the activation has none. */
  param: number | null;
  /** h-intervals where |phi'(h)| < 0.0707 max|phi'| (the theory's definition); empty for linear/softmax. */
  saturation: Interval[];
  /** phi' = 0 for h <= 0 (relu, relu6, prelu with slope 0): the dead-unit statistic applies. */
  deadBelowZero: boolean;
}

/** Resolve an IR activation with the source framework's defaults (leaky slope 0.01 vs 0.3, hard_sigmoid slope). */
export function resolveActivation(act: Activation | ActivationName | null, framework: Framework): ProbeActivation {
  const model = activationModel(act ?? 'linear', framework);
  return {
    name: model.name,
    param: model.param,
    saturation: saturationSet(model).intervals.map(([a, b]) => [a, b] as Interval),
    deadBelowZero: model.deadBelowZero,
  };
}

/** True when phi is the identity (no separate pre/post statistics, nothing to fuse). */
export function isIdentity(act: ProbeActivation | null): boolean {
  return act === null || act.name === 'linear';
}

