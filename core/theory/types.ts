import type { InitScheme } from '../ir';

/** SELU-specific facts for a layer followed by SELU (Klambauer et al. 2017, Theorem 1). */
export interface SeluLayerCheck {
  /** Per-unit sum of weights (expected value: 0 for zero-mean inits) and sum of squares (= sigma_w^2). */
  omega: number;
  tau: number;
  /** Incoming (mean, variance) of the layer's inputs. */
  muIn: number;
  nuIn: number;
  /** Whether (mu, omega, nu, tau) lies in Theorem 1's domain. */
  inDomain: boolean;
  /** Which coordinates are out of the domain, e.g. ["tau=0.333 < 0.95"]. Empty when inDomain. */
  violations: string[];
  /** Spectral norm of the Jacobian of g at the incoming (mu, nu). */
  jacobianNorm: number;
  /**
   * Variance a deep stack of such layers settles at (mean-field, t = tau E[x^2]; 0 when it collapses), null
   * when the iteration did not converge. 1 for tau = 1.
   */
  varianceFixedPoint?: number | null;
}

/** What a suggested initializer would do for this layer. */
export interface InitSuggestion {
  scheme: InitScheme;
  /** sigma_w^2 (= fan_in * Var(w)) the suggestion realises. */
  sigmaW2: number;
  /** sigma_w^2 that puts the layer exactly at the fixed point / edge of chaos. */
  criticalSigmaW2: number;
  reason: string;
  /** For scheme 'variance_scaling': the scale (mode fan_in, normal distribution) that realises sigmaW2. */
  scale?: number;
  /** PyTorch gain with kaiming_normal_(mode='fan_in') / variance scaling: sqrt(sigmaW2). */
  gain?: number;
}

/** Predicted statistics at initialization for one layer's output. */
export interface LayerPrediction {
  index: number;
  /** Mean and variance of the layer's output units (post-activation when the layer has an activation). */
  mean: number;
  variance: number;
  /** E[x^2] of the output: what mean-field theory propagates. */
  secondMoment: number;
  /** Pre-activation variance q of a linear layer (sigma_w^2 E[x^2] + sigma_b^2); null for layers without one. */
  preVariance: number | null;
  /** Probability that a unit is saturated (definition per activation in core/theory/README.md), in [0, 1]. */
  saturation: number;
  /** ReLU family: probability that a unit is inactive (pre-activation <= 0); null otherwise. */
  inactive: number | null;
  /** Gradient gain chi of this layer (backward variance multiplier); 1 for layers that do not change it. */
  gradGain: number;
  /** Product of gradGain from the first layer to this one. */
  cumulativeGradGain: number;
  selu: SeluLayerCheck | null;
  suggestion: InitSuggestion | null;
  /** Set when the layer could not be predicted (unresolved width, unknown init); the numbers are then carried over. */
  unknown: string | null;
  /** Assumptions and approximations made for this layer (Gaussian approximation, pooling model, weight norm). */
  notes?: string[];
}

export interface ModelPrediction {
  layers: LayerPrediction[];
  /** Product of all layers' gradient gains (first-to-last backward variance ratio). */
  totalGradGain: number;
  /** Ratio of the last layer's output variance to the input variance. */
  varianceRatio: number;
  /** Input statistics the prediction started from. */
  input: { mean: number; variance: number };
}

export interface PredictOptions {
  /** Statistics of the input features (default standardized: mean 0, variance 1). */
  inputMean?: number;
  inputVariance?: number;
  /**
   * Correlation assumed between the values of one pooling window (0 = independent, the default: the largest
   * change pooling can make; 1 = identical neighbours: pooling is the identity). See core/theory/pooling.ts.
   */
  poolCorrelation?: number;
}
