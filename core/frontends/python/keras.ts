import { emit } from './forward';
import type { Args, Interp } from './interpreter';
import { kerasInitializerObject } from './kerasInit';
import { buildKerasLayer } from './kerasLayers';
import { kerasFunctionalModel, kerasInput, kerasMerge, kerasSequential } from './kerasModels';
import { activationAt, activationByName, makeSpec } from './specs';
import type { Value } from './values';

/**
 * Everything under `keras.` (tf.keras, keras 3, tensorflow.keras spellings are canonicalised before this):
 * models, Input, layers, initializers, and activation functions applied to tensors.
 */
export function callKeras(ip: Interp, path: string, args: Args, calleeText: string): Value | undefined {
  if (path === 'keras.Sequential') return kerasSequential(ip, args, calleeText);
  if (path === 'keras.Model') return kerasFunctionalModel(ip, args);
  if (path === 'keras.Input' || path === 'keras.layers.Input' || path === 'keras.layers.InputLayer') return kerasInput(args);
  const merge = /^keras\.layers\.(add|concatenate|multiply|average|subtract)$/.exec(path);
  if (merge) return kerasMerge(ip, merge[1], args, calleeText);
  if (path.startsWith('keras.initializers.')) return kerasInitializerObject(path, args);
  const layer = /^keras\.layers\.([A-Za-z0-9_]+)$/.exec(path);
  if (layer) return buildKerasLayer(layer[1], args, calleeText);
  // tf.nn.selu(x), keras.activations.relu(x), keras.ops.tanh(x) on a functional tensor.
  const fn = /^(tensorflow\.nn|tensorflow\.math|keras\.activations|keras\.ops)\.(\w+)$/.exec(path);
  const x = args.pos[0];
  if (fn && x?.t === 'tensor') {
    const a = activationByName(fn[2]);
    if (!a) return x;
    const spec = makeSpec('activation', 'keras', path, calleeText, args.node);
    spec.activation = activationAt(a.name, args.node, a.param);
    return emit(ip, x.graph, spec, x.at, null);
  }
  return undefined;
}
