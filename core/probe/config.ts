/**
 * Probe settings, their defaults, and the plain-data records a probe streams. Everything here is JSON-safe so
 * it can cross the host <-> webview boundary and be written by the CLI unchanged.
 */
import type { Model } from '../ir';

/** What the synthetic data look like to the first layer (the task is generated standardized underneath). */
export type InputNormalization = 'standardized' | 'unit' | 'symmetric';

export interface ProbeConfig {
  /** Training steps (parameter updates). 0 measures the initialized network only. */
  steps: number;
  /** Statistics every this many steps, plus step 0 and the last step. */
  sampleEvery: number;
  batchSize: number;
  optimizer: 'sgd' | 'adam';
  learningRate: number;
  /** SGD momentum (0 = plain SGD). Ignored by Adam. */
  momentum: number;
  seed: number;
  /**
   * 'standardized': features with mean 0, variance 1; 'unit': in [0, 1] like raw pixels / 255 (mean 0.5,
   * variance 1/12); 'symmetric': in [-1, 1] (mean 0, variance 1/3). Obtained as Phi(z) / 2 Phi(z) - 1 of the
   * standardized features, so the task is the same and only the scale and offset the network sees change.
   */
  inputNormalization: InputNormalization;
  /** 'auto' picks by the last layer: softmax / log_softmax, or more than one output and no activation -> classification. */
  task: 'auto' | 'classification' | 'regression';
  /** Steps over which Batch Renorm relaxes linearly from (rmax 1, dmax 0) to the layer's (rmax, dmax). */
  renormRelaxSteps: number;
  /** Elements per layer (pre and post each) sampled for the inner percentiles; 0 and 100 are exact. */
  percentileSample: number;
  /** Input shape without the batch dimension, overriding the model's (in the model's own layout). */
  inputShape: number[] | null;
  /** Layer indices of dense layers to run as cosine normalization (the IR has no flag for it). */
  cosineLayers: number[];
}

/**
 * Defaults. Adam at 1e-3 (PyTorch's and Keras' own Adam default, so the probe shows what a typical training run
 * does): its per-parameter step is bounded by the learning rate whatever the gradient's scale, so neither the loss
 * scale nor exploding gradients can blow the probe up in a few steps, which plain SGD at 0.01 can
 * (performance-notes.md). Measured on the CPU backend with this engine's tasks (mean-reduced losses, standardized
 * input, lecun-normal SELU MLPs, no run diverged): depth 32 x width 128, 200 steps, Adam 1e-3 loss 2.87 -> 2.22
 * with the last layer's variance 0.97 -> ~1.9 and saturation 0.5% -> ~16%; SGD 0.01 loss 2.87 -> 1.93, variance
 * stays ~1.05; depth 32 x 256 regression, 16 steps: Adam moves the middle layer to variance 9.7 / saturation 26%,
 * SGD 0.01 keeps it at 1.03. Adam's drift is real behaviour of these models under Adam, not an engine artefact.
 * 200 steps x batch 64 run in seconds on the CPU backend for MLPs of moderate width; statistics every 10 steps
 * keep their cost (reductions plus one readback) a few percent of the run.
 */
export const DEFAULT_PROBE_CONFIG: Readonly<ProbeConfig> = Object.freeze({
  steps: 200,
  sampleEvery: 10,
  batchSize: 64,
  optimizer: 'adam',
  learningRate: 1e-3,
  momentum: 0.9,
  seed: 0,
  inputNormalization: 'standardized',
  task: 'auto',
  renormRelaxSteps: 100,
  percentileSample: 1024,
  inputShape: null,
  cosineLayers: [],
}) as Readonly<ProbeConfig>;

/** Fill in defaults; the batch size comes from the model file when it says one (BatchNorm noise depends on it). */
export function resolveProbeConfig(model: Model | null, config: Partial<ProbeConfig> = {}): ProbeConfig {
  const c: ProbeConfig = { ...DEFAULT_PROBE_CONFIG, batchSize: model?.batchSize ?? DEFAULT_PROBE_CONFIG.batchSize, cosineLayers: [] };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  const positiveInt = (name: keyof ProbeConfig, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`probe: ${name} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt('steps', c.steps, 0);
  positiveInt('sampleEvery', c.sampleEvery, 1);
  positiveInt('batchSize', c.batchSize, 1);
  positiveInt('percentileSample', c.percentileSample, 0);
  positiveInt('renormRelaxSteps', c.renormRelaxSteps, 0);
  if (!(c.learningRate > 0) || !Number.isFinite(c.learningRate)) throw new RangeError(`probe: learningRate must be > 0, got ${c.learningRate}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) throw new RangeError(`probe: momentum must be in [0, 1), got ${c.momentum}`);
  return c;
}

/** Sample points: step 0, every `sampleEvery` steps, and the last step. */
export function isSamplePoint(step: number, config: Pick<ProbeConfig, 'steps' | 'sampleEvery'>): boolean {
  return step === 0 || step === config.steps || step % config.sampleEvery === 0;
}

/** A model the probe cannot build (unresolved width, shape mismatch, unsupported layer configuration). */
export class ProbePlanError extends Error {
  constructor(message: string, readonly layer: number | null = null) {
    super(message);
    this.name = 'ProbePlanError';
  }
}

/** TensorBoard's distribution percentiles (reference.md). */
export const TENSORBOARD_PERCENTILES: readonly number[] = [0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100];

/** One layer at one sample point. Mean / variance are of the layer's output, pooled over batch and units. */
export interface LayerSample {
  /** The IR's Layer.index. */
  index: number;
  mean: number;
  variance: number;
  preMean: number;
  preVariance: number;
  /** At TENSORBOARD_PERCENTILES, of the pre-activation and of the output. */
  percentilesPre: number[];
  percentilesPost: number[];
  /** Fraction of pre-activations where |phi'| < 0.0707 max|phi'| (the theory's definition); 0 without activation. */
  saturation: number;
  /** ReLU family: fraction of units (conv: channels, all positions) with pre-activation <= 0 over the whole batch; else 0. */
  dead: number;
  /** ||dL/dW|| of the layer's main weight (kernel, weight-norm V, norm gamma); null without one. */
  gradNorm: number | null;
  /** learningRate * ||g|| / ||W||; null without a weight. */
  updateRatio: number | null;
}

/** Where a probe first produced NaN / Inf. `layer` is null when only the loss was non-finite. */
export interface Divergence {
  step: number;
  layer: number | null;
}

/** One sample point, streamed as soon as it is measured. */
export interface ProbeRecord {
  /** Parameter updates applied before this measurement (0 = at initialization). */
  step: number;
  loss: number;
  /** Milliseconds since the probe started. */
  elapsedMs: number;
  layers: LayerSample[];
  /** Set on the record where NaN / Inf was first seen; the probe stops there. */
  diverged: Divergence | null;
}

export type ProbeStatus = 'completed' | 'diverged' | 'cancelled';

/** The whole run, returned when the stream ends. */
export interface ProbeResult {
  status: ProbeStatus;
  config: ProbeConfig;
  /** tfjs backend name and the ops implementation used. */
  backend: string;
  ops: string;
  task: { kind: 'classification' | 'regression'; classes: number | null; inputShape: number[] };
  records: ProbeRecord[];
  diverged: Divergence | null;
  /** Updates actually applied. */
  stepsRun: number;
  elapsedMs: number;
  /** What the engine had to assume or approximate (unknown initializers, unsupported layers). */
  notes: string[];
}
