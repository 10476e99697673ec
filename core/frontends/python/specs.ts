import type { Node } from 'web-tree-sitter';
import type { Activation, ActivationName, Framework, LayerKind } from '../../ir';
import { rangeOf } from './syntax';
import type { LayerSpec } from './values';

/** A fresh layer spec with every optional part empty. */
export function makeSpec(
  kind: LayerKind,
  framework: Framework,
  classPath: string,
  sourceType: string,
  node: Node,
): LayerSpec {
  return {
    kind,
    framework,
    classPath,
    sourceType,
    node,
    activation: null,
    init: null,
    biasInit: null,
    hasBias: false,
    hasWeight: false,
    norm: null,
    rate: null,
    issues: [],
  };
}

/**
 * Activation names as the frameworks spell them (module classes, functional names, Keras strings) mapped to the
 * IR's normalised names, with their default parameter where there is one.
 */
const ACTIVATIONS: Record<string, { name: ActivationName; param?: number }> = {
  relu: { name: 'relu' },
  relu6: { name: 'relu6' },
  leakyrelu: { name: 'leaky_relu' },
  leaky_relu: { name: 'leaky_relu' },
  elu: { name: 'elu', param: 1 },
  selu: { name: 'selu' },
  gelu: { name: 'gelu' },
  tanh: { name: 'tanh' },
  sigmoid: { name: 'sigmoid' },
  hardsigmoid: { name: 'hard_sigmoid' },
  hard_sigmoid: { name: 'hard_sigmoid' },
  softplus: { name: 'softplus' },
  softsign: { name: 'softsign' },
  silu: { name: 'swish' },
  swish: { name: 'swish' },
  mish: { name: 'mish' },
  softmax: { name: 'softmax' },
  logsoftmax: { name: 'log_softmax' },
  log_softmax: { name: 'log_softmax' },
  prelu: { name: 'prelu' },
  identity: { name: 'linear' },
  linear: { name: 'linear' },
};

/** Look an activation up by any framework spelling ("SELU", "F.selu", "selu", "LeakyReLU"). */
export function activationByName(raw: string): { name: ActivationName; param?: number } | null {
  const key = raw.split('.').pop()?.replace(/_$/, '').toLowerCase() ?? '';
  return ACTIVATIONS[key] ?? null;
}

/** An Activation for the IR with its source range. */
export function activationAt(name: ActivationName, node: Node | null, param?: number): Activation {
  const a: Activation = { name };
  if (param !== undefined) a.param = param;
  if (node) a.range = rangeOf(node);
  return a;
}
