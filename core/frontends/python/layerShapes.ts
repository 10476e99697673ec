import type { Dim, Framework, Layer } from '../../ir';
import { defaultBias, defaultInit, resolveInitVariances } from '../../initializers';
import { convOutputSpatial, describeBadWidth, isWidth, kernelVolume, poolOutputSpatial } from '../../shapes';
import { rangeOf } from './syntax';
import { asNumber } from './values';
import type { Emitted, LayerSpec, Value } from './values';

/** Per-sample activation shape while walking a model: channels / features and spatial size (null = flat). */
export interface RunningShape {
  ch: Dim;
  spatial: (number | null)[] | null;
}

/** Names and quick-fix targets for layers that have a module path. */
export interface LayerNaming {
  name: string;
  initTarget?: string;
}

/** Symbol used when a width depends on a spatial size nobody stated. */
const SPATIAL_SYMBOL = 'input_size';

/** Widths the file states that are not widths (0, negative, fractional, 10^300, None), with their layer. */
export interface BadWidth {
  /** How the value reads in a message: "-3", "infinite", "None", "a string". */
  shown: string;
  /** Index of the layer whose argument it is. */
  layer: number;
  /** Which argument: 'in' or 'out'. */
  side: 'in' | 'out';
}

/** A value that is known but is no width, as a message shows it. */
function shownValue(v: Value): string {
  switch (v.t) {
    case 'none':
      return 'None';
    case 'str':
      return 'a string';
    case 'list':
      return v.tuple ? 'a tuple' : 'a list';
    case 'dict':
      return 'a dict';
    default:
      return `a ${v.t === 'mod' || v.t === 'inst' ? 'module' : 'value that is not a number'}`;
  }
}

function dimOf(v: Value | undefined, running: Dim | null, bad?: (shown: string) => void): Dim {
  if (v === undefined) return running ?? { value: null, symbol: null };
  const n = asNumber(v);
  if (v.t !== 'unknown') {
    if (n !== null && isWidth(n)) return { value: n, symbol: null };
    // Not a width (the model would not build): reported by the caller and never fed to the theory; like an
    // unresolved argument it takes the width flowing in, if any.
    bad?.(n !== null ? describeBadWidth(n) : shownValue(v));
    return { value: running?.value ?? null, symbol: null };
  }
  const symbol = v.t === 'unknown' ? v.symbol : null;
  // An unresolved argument still takes the width flowing into it: the model would not run otherwise.
  if (running?.value != null) return { value: running.value, symbol };
  return { value: null, symbol: symbol ?? running?.symbol ?? null };
}

function product(ch: Dim, spatial: (number | null)[], bad: (shown: string) => void): Dim {
  if (ch.value === null) return { value: null, symbol: ch.symbol };
  let p = ch.value;
  for (const s of spatial) {
    if (s === null) return { value: null, symbol: SPATIAL_SYMBOL };
    p *= s;
  }
  if (!isWidth(p)) {
    bad(describeBadWidth(p));
    return { value: null, symbol: null };
  }
  return { value: p, symbol: null };
}

function known(spatial: (number | null)[] | null): number[] | null {
  return spatial && spatial.every((s): s is number => s !== null) ? spatial : null;
}

/** Auto names in the frameworks' style: "dense", "dense_1", ...; PyTorch functional ops by op name. */
function autoName(spec: LayerSpec, counters: Map<string, number>): string {
  const cls = spec.sourceType.split('.').pop() ?? spec.kind;
  const base =
    spec.kind === 'residual'
      ? 'add'
      : spec.framework === 'keras'
        ? cls.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase()
        : (spec.activation?.name ?? cls.toLowerCase());
  const n = counters.get(base) ?? 0;
  counters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/**
 * Turn emitted layer applications into IR layers: propagate widths and spatial sizes along the data flow, fill
 * framework-default inits and resolve every dense / conv init's variance at its fans.
 */
export function buildLayers(
  emitted: Emitted[],
  input: RunningShape,
  framework: Framework,
  naming: Map<LayerSpec, LayerNaming>,
  badWidths: BadWidth[] = [],
): Layer[] {
  const shapes: RunningShape[] = [];
  const counters = new Map<string, number>();
  return emitted.map((e, index) => {
    const s = e.spec;
    const badIn = (shown: string) => badWidths.push({ shown, layer: index, side: 'in' });
    const badOut = (shown: string) => badWidths.push({ shown, layer: index, side: 'out' });
    const inShape = e.inputAt < 0 ? input : (shapes[e.inputAt] ?? input);
    const layer: Layer = {
      index,
      name: naming.get(s)?.name ?? s.name ?? autoName(s, counters),
      kind: s.kind,
      sourceType: s.sourceType,
      in: inShape.ch,
      out: inShape.ch,
      activation: s.activation ? { ...s.activation } : null,
      init: null,
      bias: null,
      norm: s.norm ? { ...s.norm } : null,
      rate: s.rate,
      range: rangeOf(s.node),
    };
    let out: RunningShape = inShape;
    let fanIn: number | null = null;
    let fanOut: number | null = null;
    switch (s.kind) {
      case 'dense': {
        layer.in = s.framework === 'pytorch' ? dimOf(s.inArg, inShape.ch, badIn) : inShape.ch;
        layer.out = dimOf(s.outArg, null, badOut);
        fanIn = layer.in.value;
        fanOut = layer.out.value;
        out = { ch: layer.out, spatial: inShape.spatial };
        break;
      }
      case 'conv1d':
      case 'conv2d': {
        layer.in = s.framework === 'pytorch' ? dimOf(s.inArg, inShape.ch, badIn) : inShape.ch;
        layer.out = dimOf(s.outArg, null, badOut);
        const dims = s.kind === 'conv1d' ? 1 : 2;
        const spatial = s.conv ? convOutputSpatial(inShape.spatial, s.conv) : null;
        if (s.conv) {
          layer.conv = { ...s.conv };
          const rf = kernelVolume(s.conv, dims);
          const groups = s.conv.groups ?? 1;
          fanIn = layer.in.value === null ? null : (layer.in.value / groups) * rf;
          fanOut = layer.out.value === null ? null : layer.out.value * rf;
        }
        layer.spatial = known(spatial);
        out = { ch: layer.out, spatial: spatial ?? (inShape.spatial ? inShape.spatial.map(() => null) : Array(dims).fill(null)) };
        break;
      }
      case 'pool': {
        if (s.pool) layer.pool = { ...s.pool };
        const global = s.pool?.op === 'global_avg' || s.pool?.op === 'global_max';
        const spatial = s.pool ? poolOutputSpatial(inShape.spatial, s.pool) : null;
        layer.spatial = global ? null : known(spatial);
        out = global ? { ch: inShape.ch, spatial: null } : { ch: inShape.ch, spatial: spatial ?? inShape.spatial?.map(() => null) ?? null };
        break;
      }
      case 'flatten': {
        const features = inShape.spatial ? product(inShape.ch, inShape.spatial, badOut) : inShape.ch;
        layer.out = features;
        out = { ch: features, spatial: null };
        break;
      }
      case 'batchnorm':
      case 'batchrenorm':
      case 'instancenorm':
      case 'groupnorm':
      case 'layernorm': {
        layer.in = layer.out = s.framework === 'pytorch' && s.inArg !== undefined ? dimOf(s.inArg, inShape.ch, badIn) : inShape.ch;
        out = { ch: layer.in, spatial: inShape.spatial };
        break;
      }
      case 'other': {
        layer.out = s.outArg !== undefined ? dimOf(s.outArg, null, badOut) : { value: null, symbol: null };
        out = { ch: layer.out, spatial: s.outArg !== undefined ? inShape.spatial : null };
        break;
      }
      default:
        // activation, dropout, alphadropout, residual: shape-preserving.
        break;
    }
    if (s.kind === 'residual' && e.residualFrom !== undefined) layer.residual = { from: e.residualFrom };
    if (s.weightNorm) layer.weightNorm = true;
    if (e.useNode) layer.useRange = rangeOf(e.useNode);
    const target = naming.get(s)?.initTarget;
    if (target) layer.initTarget = target;
    if (s.hasWeight && (s.kind === 'dense' || s.kind === 'conv1d' || s.kind === 'conv2d')) {
      const init = s.init ? { ...s.init } : defaultInit(framework);
      layer.init = resolveInitVariances(init, fanIn, fanOut);
      layer.bias = s.hasBias ? (s.biasInit ? { ...s.biasInit } : defaultBias(framework, fanIn)) : defaultBias(framework, fanIn, false);
    }
    shapes.push(out);
    return layer;
  });
}
