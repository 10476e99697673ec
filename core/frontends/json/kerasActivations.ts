import type { Node } from 'jsonc-parser';
import type { Activation, ActivationName } from '../../ir';
import { addPartial, type ReadContext } from './readContext';
import { isNullish, numberOf, prop, stringOf } from './jsonTree';

/**
 * Activation names as Keras 2, Keras 3 and tfjs-layers serialise them, keyed by the name lower-cased without
 * underscores: tfjs writes camelCase class names that its serialiser snake-cases ("hardSigmoid" -> "hard_sigmoid"),
 * Keras writes snake_case, so one key form covers both.
 */
const ACTIVATIONS: Record<string, ActivationName> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  leakyrelu: 'leaky_relu',
  elu: 'elu',
  selu: 'selu',
  gelu: 'gelu',
  gelunew: 'gelu',
  tanh: 'tanh',
  sigmoid: 'sigmoid',
  hardsigmoid: 'hard_sigmoid',
  softplus: 'softplus',
  softsign: 'softsign',
  swish: 'swish',
  silu: 'swish',
  mish: 'mish',
  softmax: 'softmax',
  logsoftmax: 'log_softmax',
};

/** Defaults of the parameterised activations when named by string (Keras 3 `leaky_relu` slope 0.2, `elu` 1.0). */
const STRING_PARAM: Partial<Record<ActivationName, number>> = { leaky_relu: 0.2, elu: 1 };

function key(name: string): string {
  return name.toLowerCase().replace(/[_\s-]/g, '');
}

/** Normalise an activation name as written in a Keras / tfjs file; null when NormLens does not model it. */
export function normaliseActivationName(name: string): ActivationName | null {
  return ACTIVATIONS[key(name)] ?? null;
}

/**
 * The `activation` argument of a layer config: a string ("selu"), null (Keras 1 / hand-written: linear), or a
 * Keras 3 serialised function {"class_name": "function", "config": "relu"}. Unknown names become a partial reason
 * rather than a guess, because the propagated statistics would be wrong.
 */
export function activationFromValue(ctx: ReadContext, node: Node | undefined, layerIndex: number): Activation | null {
  if (isNullish(node)) return node ? { name: 'linear', range: ctx.lines.rangeOf(node) } : null;
  let raw = stringOf(node);
  if (raw === null) {
    const inner = prop(node, 'config');
    raw = stringOf(inner) ?? stringOf(prop(inner, 'name')) ?? stringOf(prop(node, 'class_name'));
  }
  if (raw === null) {
    addPartial(ctx, 'activation is neither a name nor a serialised activation', node, 'activation', layerIndex);
    return null;
  }
  const name = normaliseActivationName(raw);
  if (name === null) {
    addPartial(ctx, `activation "${raw}" is not modelled by NormLens`, node, raw, layerIndex);
    return null;
  }
  const activation: Activation = { name, range: ctx.lines.rangeOf(node!) };
  const param = STRING_PARAM[name];
  if (param !== undefined) activation.param = param;
  return activation;
}

/**
 * Activation layers other than `Activation` itself (LeakyReLU, ELU, ReLU, PReLU, Softmax). Returns undefined when
 * `className` is not one of them. The range is the class name, which is where a quick fix would swap the layer.
 */
export function activationFromLayerClass(
  ctx: ReadContext,
  className: string,
  config: Node | undefined,
  classNode: Node | undefined,
): Activation | null | undefined {
  const range = classNode ? ctx.lines.rangeOf(classNode) : undefined;
  const withRange = (a: Activation): Activation => (range ? { ...a, range } : a);
  switch (className) {
    case 'LeakyReLU': {
      // Keras 3 renamed `alpha` to `negative_slope`; the layer default is 0.3 in Keras 2, Keras 3 and tfjs.
      const slope = numberOf(prop(config, 'negative_slope')) ?? numberOf(prop(config, 'alpha')) ?? 0.3;
      return withRange({ name: 'leaky_relu', param: slope });
    }
    case 'ELU':
      return withRange({ name: 'elu', param: numberOf(prop(config, 'alpha')) ?? 1 });
    case 'ReLU': {
      const slope = numberOf(prop(config, 'negative_slope')) ?? 0;
      if (slope > 0) return withRange({ name: 'leaky_relu', param: slope });
      return withRange({ name: numberOf(prop(config, 'max_value')) === 6 ? 'relu6' : 'relu' });
    }
    case 'PReLU':
      return withRange({ name: 'prelu' });
    case 'Softmax':
      return withRange({ name: 'softmax' });
    default:
      return undefined;
  }
}
