import type { Node } from 'jsonc-parser';
import type { BiasSpec, FanMode, Framework, InitScheme, InitSpec } from '../../ir';
import { biasFromInitializer, defaultBias, defaultInit, namedInit } from '../../initializers';
import { numberOf, prop, stringOf } from './jsonTree';

/**
 * Keras / tfjs initializer objects -> InitSpec. Three spellings reach us:
 * - Keras 3 and tf.keras >= 2.13: {"module": "keras.initializers", "class_name": "LecunNormal", "config": {"seed": null}}
 * - tf.keras 2.x and tfjs: {"class_name": "VarianceScaling", "config": {"scale": 1, "mode": "fan_in", "distribution": ...}}
 *   (tfjs and Keras <= 2.2 write every named variance-scaling scheme this way; "normal" there means truncated)
 * - strings ("lecun_normal", tfjs "leCunNormal", Keras 1 "init": "glorot_uniform") in hand-written or old files.
 */

/** Result of reading an initializer: the spec, or a spec of scheme 'unknown' plus the name that was not understood. */
export interface InitRead {
  spec: InitSpec;
  unrecognised: string | null;
}

const NAMED: Record<string, InitScheme> = {
  lecunnormal: 'lecun_normal',
  lecununiform: 'lecun_uniform',
  henormal: 'he_normal',
  heuniform: 'he_uniform',
  glorotnormal: 'glorot_normal',
  glorotuniform: 'glorot_uniform',
  xaviernormal: 'glorot_normal',
  xavieruniform: 'glorot_uniform',
};

function key(name: string): string {
  // Keras 3 custom objects are registered as "package>Name"; Keras 1 used module paths.
  const last = name.split('>').pop() ?? name;
  return last.toLowerCase().replace(/[_\s]/g, '');
}

function fanMode(raw: string | null): FanMode | null {
  switch (raw === null ? 'fanin' : key(raw)) {
    case 'fanin':
      return 'fan_in';
    case 'fanout':
      return 'fan_out';
    case 'fanavg':
      return 'fan_avg';
    default:
      return null;
  }
}

/**
 * VarianceScaling, named back to lecun/he/glorot when scale and mode match so findings can say "lecun_normal".
 * Distribution "normal" is Keras 2.0-2.2's and tfjs's spelling of truncated normal; "untruncated_normal" is a true
 * normal (tf.keras >= 1.13).
 */
function varianceScaling(config: Node | undefined, framework: Framework): InitSpec | null {
  const scale = numberOf(prop(config, 'scale')) ?? 1;
  const mode = fanMode(stringOf(prop(config, 'mode')));
  const distRaw = key(stringOf(prop(config, 'distribution')) ?? (framework === 'tfjs' ? 'normal' : 'truncatednormal'));
  let distribution: InitSpec['distribution'];
  if (distRaw === 'normal' || distRaw === 'truncatednormal') distribution = 'truncated_normal';
  else if (distRaw === 'untruncatednormal') distribution = 'normal';
  else if (distRaw === 'uniform') distribution = 'uniform';
  else return null;
  if (mode === null || !(scale > 0)) return null;

  let scheme: InitScheme = 'variance_scaling';
  const uniform = distribution === 'uniform';
  if (distribution !== 'normal') {
    if (mode === 'fan_in' && scale === 1) scheme = uniform ? 'lecun_uniform' : 'lecun_normal';
    else if (mode === 'fan_in' && scale === 2) scheme = uniform ? 'he_uniform' : 'he_normal';
    else if (mode === 'fan_avg' && scale === 1) scheme = uniform ? 'glorot_uniform' : 'glorot_normal';
  }
  return { scheme, framework, distribution, mode, scale, explicit: true, weightVariance: null, sigmaW2: null };
}

function plain(scheme: InitScheme, framework: Framework, distribution: InitSpec['distribution']): InitSpec {
  return { scheme, framework, distribution, explicit: true, weightVariance: null, sigmaW2: null };
}

/** Map one class name + config; null when the class is not one NormLens knows. */
function fromClass(className: string, config: Node | undefined, framework: Framework): InitSpec | null {
  const k = key(className);
  const named = NAMED[k];
  if (named) return namedInit(named, framework, true);
  switch (k) {
    case 'variancescaling':
      return varianceScaling(config, framework);
    case 'randomnormal':
    case 'normal': {
      const spec = plain('normal', framework, 'normal');
      spec.std = numberOf(prop(config, 'stddev')) ?? 0.05;
      spec.mean = numberOf(prop(config, 'mean')) ?? 0;
      return spec;
    }
    case 'truncatednormal': {
      const spec = plain('truncated_normal', framework, 'truncated_normal');
      spec.std = numberOf(prop(config, 'stddev')) ?? 0.05;
      spec.mean = numberOf(prop(config, 'mean')) ?? 0;
      return spec;
    }
    case 'randomuniform':
    case 'uniform': {
      const spec = plain('uniform', framework, 'uniform');
      spec.low = numberOf(prop(config, 'minval')) ?? -0.05;
      spec.high = numberOf(prop(config, 'maxval')) ?? 0.05;
      return spec;
    }
    case 'orthogonal': {
      const spec = plain('orthogonal', framework, 'orthogonal');
      spec.gain = numberOf(prop(config, 'gain')) ?? 1;
      return spec;
    }
    case 'identity': {
      const spec = plain('identity', framework, 'constant');
      spec.gain = numberOf(prop(config, 'gain')) ?? 1;
      return spec;
    }
    case 'zeros':
    case 'zero':
      return { ...plain('zeros', framework, 'constant'), value: 0 };
    case 'ones':
    case 'one':
      return { ...plain('ones', framework, 'constant'), value: 1 };
    case 'constant':
      return { ...plain('constant', framework, 'constant'), value: numberOf(prop(config, 'value')) ?? 0 };
    default:
      return null;
  }
}

/** The default kernel init when the file has none: Keras glorot_uniform; tfjs-layers glorotNormal (its Dense/Conv default). */
export function defaultKernelInit(framework: Framework): InitSpec {
  return framework === 'tfjs' ? namedInit('glorot_normal', 'tfjs', false) : defaultInit(framework);
}

/**
 * Read a `kernel_initializer` (or Keras 1 `init`) value node. `range` on the result is the value node's range, which
 * quick fixes replace wholesale. Absent -> the framework default with explicit false.
 */
export function readInitializer(node: Node | undefined, framework: Framework, rangeOf: (n: Node) => InitSpec['range']): InitRead {
  if (!node || node.type === 'null') return { spec: defaultKernelInit(framework), unrecognised: null };
  const asString = stringOf(node);
  const className = asString ?? stringOf(prop(node, 'class_name'));
  const spec = className === null ? null : fromClass(className, asString === null ? prop(node, 'config') : undefined, framework);
  const result: InitSpec = spec ?? plain('unknown', framework, 'normal');
  result.range = rangeOf(node);
  const classNode = asString === null ? prop(node, 'class_name') : undefined;
  if (classNode) result.markRange = rangeOf(classNode);
  return { spec: result, unrecognised: spec ? null : (className ?? 'initializer') };
}

/** Bias from `use_bias` and `bias_initializer`: Keras / tfjs zeros unless the file names another initializer. */
export function readBias(useBias: boolean, node: Node | undefined, framework: Framework): BiasSpec {
  if (!useBias) return defaultBias(framework, null, false);
  if (!node || node.type === 'null') return defaultBias(framework, null, true);
  const className = stringOf(node) ?? stringOf(prop(node, 'class_name'));
  return biasFromInitializer(className ? fromClass(className, prop(node, 'config'), framework) : null);
}
