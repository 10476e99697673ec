/**
 * Moments after dropout and alpha dropout in training mode (at evaluation both are the identity).
 */
import { alphaDropoutAffine, SELU_ALPHA_PRIME } from './selu';

/** Mean / variance / second moment of a layer's output and its backward gradient-variance multiplier. */
export interface DropoutMoments {
  mean: number;
  variance: number;
  secondMoment: number;
  /** E[(dy/dx)^2]: 1/q for inverted dropout, a^2 q for alpha dropout. */
  gradGain: number;
}

function checkRate(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  return 1 - rate;
}

/**
 * Inverted dropout (PyTorch, Keras, tfjs): y = x m / q with m ~ Bernoulli(q), q = 1 - rate. The mean is kept,
 * the second moment is divided by q, so the variance grows to E[x^2]/q - mean^2.
 */
export function dropoutMoments(rate: number, mean: number, variance: number): DropoutMoments {
  const q = checkRate(rate);
  const secondMoment = (variance + mean * mean) / q;
  return { mean, secondMoment, variance: secondMoment - mean * mean, gradGain: 1 / q };
}

/**
 * Alpha dropout: x' = x with probability q, alpha' otherwise, then y = a x' + b (a, b from alphaDropoutAffine
 * for the target (mu*, nu*)). For inputs at (mu*, nu*) the output is again (mu*, nu*):
 *   E[x'] = q mu + (1-q) alpha',  Var[x'] = q nu + q (1-q) (mu - alpha')^2.
 */
export function alphaDropoutMoments(
  rate: number,
  mean: number,
  variance: number,
  muStar = 0,
  nuStar = 1,
  alphaPrime = SELU_ALPHA_PRIME,
): DropoutMoments {
  const q = checkRate(rate);
  const { a, b } = alphaDropoutAffine(rate, muStar, nuStar, alphaPrime);
  const meanDropped = q * mean + (1 - q) * alphaPrime;
  const varDropped = q * variance + q * (1 - q) * (mean - alphaPrime) ** 2;
  const outMean = a * meanDropped + b;
  const outVar = a * a * varDropped;
  return { mean: outMean, variance: outVar, secondMoment: outVar + outMean * outMean, gradGain: a * a * q };
}
