/**
 * Checks for the plain data the protocol carries: the model IR and its prediction, probe settings and records,
 * stored runs. Data the webview produces (records) is checked strictly: exactly the protocol's fields. Data the
 * host produces from its own analysis (the IR, predictions, runs) is checked for the fields the other side
 * reads, and may carry more, so a field added to the IR later does not blank the dashboard.
 */
import { ACTIVATION_NAMES, type Framework, type LayerKind, type SourceFormat } from './ir';
import { array, boolean, finite, integer, nullable, object, oneOf, optional, string, wireNumber, type Check } from './protocolChecks';

const LAYER_KINDS = [
  'dense', 'conv1d', 'conv2d', 'pool', 'flatten', 'batchnorm', 'batchrenorm', 'layernorm', 'groupnorm', 'instancenorm',
  'dropout', 'alphadropout', 'activation', 'residual', 'other',
] as const satisfies readonly LayerKind[];
const FRAMEWORKS = ['pytorch', 'keras', 'tfjs'] as const satisfies readonly Framework[];
const FORMATS = ['pytorch', 'keras', 'keras-json', 'tfjs-json', 'unknown'] as const satisfies readonly SourceFormat[];
// Fails to compile when the IR gains a layer kind, framework or format these lists lack.
type Missing<T, L extends readonly unknown[]> = Exclude<T, L[number]>;
const exhaustive: [Missing<LayerKind, typeof LAYER_KINDS>, Missing<Framework, typeof FRAMEWORKS>, Missing<SourceFormat, typeof FORMATS>] extends [never, never, never] ? true : false = true;
void exhaustive;

const loose = { strict: false };
const count = integer(0, 1_000_000_000);
const text = string(4000);

export const rangeCheck: Check = object({ startLine: count, startColumn: count, endLine: count, endColumn: count });

const dimCheck = object({ value: nullable(count), symbol: nullable(text) }, loose);

const layerCheck = object(
  {
    index: count,
    name: text,
    kind: oneOf(LAYER_KINDS),
    sourceType: text,
    in: dimCheck,
    out: dimCheck,
    activation: nullable(object({ name: oneOf(ACTIVATION_NAMES), param: optional(wireNumber) }, loose)),
    init: nullable(object({ scheme: string(64), framework: oneOf(FRAMEWORKS), explicit: boolean, weightVariance: nullable(wireNumber), sigmaW2: nullable(wireNumber) }, loose)),
    rate: nullable(wireNumber),
    range: rangeCheck,
  },
  loose,
);

/** Model IR (core/ir.ts) as the host sends it. */
export const modelCheck: Check = object(
  {
    name: text,
    framework: oneOf(FRAMEWORKS),
    range: rangeCheck,
    input: object({ shape: nullable(array(count, 8)), assumed: boolean }, loose),
    batchSize: nullable(count),
    layers: array(layerCheck, 10_000),
    partial: array(object({ reason: text }, loose), 10_000),
  },
  loose,
);

/** ModelPrediction (core/theory/types.ts) as the host sends it. */
export const predictionCheck: Check = object(
  {
    layers: array(
      object(
        {
          index: count,
          mean: wireNumber,
          variance: wireNumber,
          saturation: wireNumber,
          inactive: nullable(wireNumber),
          gradGain: wireNumber,
          cumulativeGradGain: wireNumber,
          unknown: nullable(text),
        },
        loose,
      ),
      10_000,
    ),
    totalGradGain: wireNumber,
    varianceRatio: wireNumber,
    input: object({ mean: wireNumber, variance: wireNumber }, loose),
  },
  loose,
);

/** A resolved ProbeConfig (core/probe/config.ts). */
export const probeConfigCheck: Check = object(
  {
    steps: integer(0, 1_000_000),
    sampleEvery: integer(1, 1_000_000),
    batchSize: integer(1, 65_536),
    optimizer: oneOf(['sgd', 'adam']),
    learningRate: finite,
    momentum: finite,
    seed: integer(0, 2 ** 32),
    inputNormalization: oneOf(['standardized', 'unit', 'symmetric']),
    task: oneOf(['auto', 'classification', 'regression']),
    renormRelaxSteps: count,
    percentileSample: integer(0, 1_000_000),
    inputShape: nullable(array(integer(1, 1_000_000), 8)),
    cosineLayers: array(count, 10_000),
  },
  loose,
);

const percentiles = array(wireNumber, 64);
const layerSampleCheck = object({
  index: count,
  mean: wireNumber,
  variance: wireNumber,
  preMean: wireNumber,
  preVariance: wireNumber,
  percentilesPre: percentiles,
  percentilesPost: percentiles,
  saturation: wireNumber,
  dead: wireNumber,
  gradNorm: nullable(wireNumber),
  updateRatio: nullable(wireNumber),
});

export const divergenceCheck: Check = object({ step: count, layer: nullable(count) });

/** One streamed ProbeRecord (from the webview: exactly these fields). */
export const recordCheck: Check = object({
  step: count,
  loss: wireNumber,
  elapsedMs: wireNumber,
  layers: array(layerSampleCheck, 10_000),
  diverged: nullable(divergenceCheck),
});

const statusCheck = oneOf(['queued', 'running', 'interrupted', 'done', 'failed', 'diverged', 'cancelled']);
const nullableText = nullable(text);

/** A stored ProbeRun (protocol.ts), as the host sends it or reads it back from workspace storage. */
export const probeRunCheck: Check = object(
  {
    id: string(64, /^[A-Za-z0-9_-]+$/),
    uri: string(8192),
    fileName: string(8192),
    version: count,
    contentHash: string(128),
    modelIndex: count,
    modelName: text,
    model: modelCheck,
    prediction: nullable(predictionCheck),
    config: probeConfigCheck,
    backendPreference: oneOf(['auto', 'webgl', 'cpu']),
    status: statusCheck,
    backend: nullableText,
    renderer: nullableText,
    ops: nullableText,
    records: array(recordCheck, 1_000_000),
    stepsRun: count,
    diverged: nullable(divergenceCheck),
    notes: array(text, 1000),
    error: nullableText,
    history: array(object({ status: statusCheck, at: finite, note: nullableText }), 10_000),
    createdAt: finite,
    updatedAt: finite,
    firstRecordMs: nullable(finite),
    group: optional(object({ id: string(64, /^[A-Za-z0-9_-]+$/), variant: string(64, /^[a-z][a-z-]*$/), label: text }, loose)),
    attempts: optional(
      array(object({ backend: nullableText, renderer: nullableText, ops: nullableText, records: array(recordCheck, 1_000_000), note: nullableText }, loose), 100),
    ),
  },
  loose,
);

/** AnalysisView (protocol.ts). */
export const analysisViewCheck: Check = object(
  {
    uri: string(8192),
    fileName: string(8192),
    version: count,
    contentHash: string(128),
    format: oneOf(FORMATS),
    error: nullableText,
    models: array(modelCheck, 1000),
    predictions: array(predictionCheck, 1000),
  },
  loose,
);
