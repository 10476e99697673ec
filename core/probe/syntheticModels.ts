/**
 * Model IR built in code rather than read from a file: the MLPs the probe benchmark and the physics tests
 * use (depth x width, SELU / ReLU+BatchNorm / tanh), and a layer factory for hand-written test models.
 * Produces exactly what a front end would: resolved widths, InitSpec with variances filled in.
 */
import type { ActivationName, Framework, InitScheme, InitSpec, Layer, LayerKind, Model } from '../ir';
import { defaultBias, defaultInit, namedInit, resolveInitVariances } from '../initializers';
import { emptyRange, knownDim } from '../ir';

/** A layer with sensible empty defaults; `fields` override anything. Widths are resolved dims. */
export function irLayer(index: number, kind: LayerKind, inWidth: number, outWidth: number, fields: Partial<Layer> = {}): Layer {
  return {
    index,
    name: `${kind}_${index}`,
    kind,
    sourceType: kind,
    in: knownDim(inWidth),
    out: knownDim(outWidth),
    activation: null,
    init: null,
    bias: null,
    norm: null,
    rate: null,
    range: { ...emptyRange(), startLine: index, endLine: index },
    ...fields,
  };
}

/** An initializer spec by scheme for a framework, with its variances resolved for the fans. */
export function initFor(scheme: InitScheme, framework: Framework, fanIn: number, fanOut: number, extra: Partial<InitSpec> = {}): InitSpec {
  const base = scheme === 'pytorch_default' ? defaultInit('pytorch') : namedInit(scheme, framework);
  const spec: InitSpec = { ...base, scheme, ...extra };
  return resolveInitVariances(spec, fanIn, fanOut);
}

export interface MlpSpec {
  name?: string;
  framework?: Framework;
  input: number;
  width: number;
  /** Hidden layers (each dense [+ norm] + activation). */
  depth: number;
  /** Output units (default 10) and the output layer's activation (default none: logits). */
  output?: number;
  outputActivation?: ActivationName | null;
  activation: ActivationName;
  /** Hidden and output layer init (default: the framework default). */
  init?: InitScheme | ((fanIn: number, fanOut: number, framework: Framework) => InitSpec);
  /** 'zeros' or the framework default bias. */
  bias?: 'default' | 'zeros';
  /** BatchNorm between each hidden dense and its activation. */
  batchNorm?: boolean;
  /** Alpha dropout rate after each hidden activation (SNN style). */
  alphaDropout?: number;
  /** Keras style: activation inside the dense layer instead of a separate activation layer. */
  inlineActivation?: boolean;
  batchSize?: number | null;
}

/** An MLP as the IR would describe it. */
export function mlpModel(spec: MlpSpec): Model {
  const framework = spec.framework ?? 'pytorch';
  const layers: Layer[] = [];
  const dense = (fanIn: number, fanOut: number, activation: ActivationName | null): Layer => {
    const init = typeof spec.init === 'function' ? spec.init(fanIn, fanOut, framework) : initFor(spec.init ?? (framework === 'pytorch' ? 'pytorch_default' : 'glorot_uniform'), framework, fanIn, fanOut);
    const bias = spec.bias === 'zeros' ? { present: true, variance: 0, scheme: 'zeros' as const } : defaultBias(framework, fanIn);
    return irLayer(layers.length, 'dense', fanIn, fanOut, { init, bias, activation: activation ? { name: activation } : null, sourceType: framework === 'pytorch' ? 'nn.Linear' : 'Dense' });
  };
  let width = spec.input;
  for (let i = 0; i < spec.depth; i++) {
    const inline = spec.inlineActivation && !spec.batchNorm;
    layers.push(dense(width, spec.width, inline ? spec.activation : null));
    width = spec.width;
    if (spec.batchNorm) {
      layers.push(irLayer(layers.length, 'batchnorm', width, width, { norm: { convention: framework, momentum: null, eps: null, affine: true } }));
    }
    if (!inline) layers.push(irLayer(layers.length, 'activation', width, width, { activation: { name: spec.activation } }));
    if (spec.alphaDropout) layers.push(irLayer(layers.length, 'alphadropout', width, width, { rate: spec.alphaDropout }));
  }
  layers.push(dense(width, spec.output ?? 10, spec.outputActivation ?? null));
  return {
    name: spec.name ?? `mlp_${spec.activation}_${spec.depth}x${spec.width}`,
    framework,
    range: emptyRange(),
    input: { shape: [spec.input], assumed: false },
    batchSize: spec.batchSize ?? null,
    layers,
    partial: [],
  };
}
