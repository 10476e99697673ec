/**
 * Normalization settings resolved from a NormSpec with the conventions of the framework the layer came from
 * (reference.md):
 * - PyTorch: momentum 0.1 weights the batch, running = (1-m) running + m batch, the running variance stores the
 *   UNBIASED batch variance, eps 1e-5 everywhere, InstanceNorm affine=False by default.
 * - Keras / tfjs: momentum 0.99 weights the old value, moving = m moving + (1-m) batch, biased variance (tf.moments /
 *   ops.moments), eps 1e-3, GroupNormalization 32 groups.
 * Both are reduced to one number, `batchWeight`, the weight of the batch statistic in the running update.
 */
import type { Framework, Layer } from '../ir';
import { ProbePlanError } from './config';

export type NormKind = 'batchnorm' | 'batchrenorm' | 'layernorm' | 'groupnorm' | 'instancenorm';

export interface ResolvedNorm {
  kind: NormKind;
  convention: Framework;
  /** Weight of the batch statistic in the running-statistics update (PyTorch m, Keras 1 - m). */
  batchWeight: number;
  eps: number;
  affine: boolean;
  /** Running variance stores the unbiased batch variance n/(n-1) (PyTorch). */
  unbiasedRunningVariance: boolean;
  /** GroupNorm groups (1 for the others). */
  groups: number;
  /** Batch Renormalization clipping limits reached at the end of the relaxation schedule. */
  renorm: { rmax: number; dmax: number } | null;
  /** LayerNorm over every non-batch axis (PyTorch LayerNorm([C, H, W]), Keras axis=[1, 2, 3]) instead of the last. */
  wholeSample: boolean;
}

/** Resolve the norm settings of a normalization layer receiving per-sample shape `inShape` (channels last). */
export function resolveNorm(l: Layer, framework: Framework, inShape: number[]): ResolvedNorm {
  const kind = l.kind as NormKind;
  const spec = l.norm;
  const convention = spec?.convention ?? framework;
  const pytorch = convention === 'pytorch';
  const momentum = spec?.momentum ?? (pytorch ? 0.1 : 0.99);
  const channels = inShape[inShape.length - 1];
  let groups = 1;
  if (kind === 'groupnorm') {
    const g = spec?.groups ?? (pytorch ? null : 32);
    if (g === null || g === undefined) {
      throw new ProbePlanError(`layer ${l.index} (${l.name}): GroupNorm group count unresolved (${spec?.groupsSymbol ?? '?'})`, l.index);
    }
    if (channels % g) throw new ProbePlanError(`layer ${l.index} (${l.name}): ${g} groups do not divide ${channels} channels`, l.index);
    groups = g;
  }
  const axis = spec?.axis;
  return {
    kind,
    convention,
    batchWeight: pytorch ? momentum : 1 - momentum,
    eps: spec?.eps ?? (pytorch ? 1e-5 : 1e-3),
    affine: spec?.affine ?? !(kind === 'instancenorm' && pytorch),
    unbiasedRunningVariance: pytorch,
    groups,
    renorm: kind === 'batchrenorm' ? (spec?.renorm ?? { rmax: 3, dmax: 5 }) : null,
    wholeSample: kind === 'layernorm' && inShape.length > 1 && (pytorch || (Array.isArray(axis) && axis.length > 1)),
  };
}
