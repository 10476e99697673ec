import type { Framework, ModelInput } from '../../ir';
import type { Candidate, Interp } from './interpreter';
import { INPUT_UNRESOLVED } from './kerasModels';
import type { RunningShape } from './layerShapes';
import type { Emitted, Graph, Issue } from './values';
import { describeBadWidth, isWidth } from '../../shapes';

/** Directive keys that give an image model's spatial side length. */
const SPATIAL_KEYS = ['input_size', 'image_size', 'img_size', 'resolution'];
/** Directive keys that give a flat model input width when the file states none. */
const INPUT_KEYS = ['input_shape', 'input', 'input_dim', 'in_dim', 'in_features', 'n_features'];

function firstKey(d: Record<string, number>, keys: string[]): number | null {
  for (const k of keys) if (d[k] !== undefined) return d[k];
  return null;
}

/**
 * A stated input shape with a size that is no size (`Input(shape=(-1, 32, 3))`, `torch.randn(1, 0)`, a pin of
 * 1e400): the model could not be built with it, so it is reported and the input treated as unknown rather than
 * fed to the shape arithmetic (a zero-sized pooling window makes the statistics infinite).
 */
function badShapeIssue(shape: number[], c: Candidate): Issue | null {
  if (shape.every(isWidth)) return null;
  return { symbol: null, reason: `input shape [${shape.map(describeBadWidth).join(', ')}] has a size that is not a positive integer: the input is treated as unknown`, node: c.node };
}

/** A directive or setting used as a size, when it is one. */
function sizeOrNull(n: number | null | undefined): number | null {
  return n !== null && n !== undefined && isWidth(n) ? n : null;
}

/** Keras shapes are channels-last: [..., C]. */
function fromChannelsLast(shape: number[]): RunningShape {
  return { ch: { value: shape[shape.length - 1], symbol: null }, spatial: shape.length > 1 ? shape.slice(0, -1) : null };
}

/**
 * The model input: stated by the file (keras.Input, input_shape=, a dummy tensor fed to the model), pinned by a
 * directive, or inferred from the first layer (then `assumed: true`).
 */
export function inputShapeFor(
  ip: Interp,
  c: Candidate,
  graph: Graph,
  emitted: Emitted[],
  framework: Framework,
  defaults: { inputSize?: number },
): { running: RunningShape; input: ModelInput; issues: Issue[] } {
  const d = ip.directives;
  const first = emitted.find((e) => e.spec.inArg !== undefined || e.spec.kind === 'dense' || e.spec.kind.startsWith('conv'))?.spec;
  if (framework === 'keras') {
    const v = c.value;
    const seqShape = v.t === 'mod' && v.mk === 'kseq' ? v.inputShape : null;
    const stated = graph.inputShape ?? seqShape ?? emitted[0]?.spec.inputShape ?? null;
    const bad = stated ? badShapeIssue(stated, c) : null;
    if (bad) return { running: { ch: { value: null, symbol: null }, spatial: stated!.length > 1 ? stated!.slice(0, -1).map(() => null) : null }, input: { shape: null, assumed: false }, issues: [bad] };
    if (stated) return { running: fromChannelsLast(stated), input: { shape: stated, assumed: false, ...(stated.length > 1 ? { layout: 'channels_last' } : {}) }, issues: [] };
    const pinned = sizeOrNull(firstKey(d, INPUT_KEYS));
    if (pinned !== null) return { running: { ch: { value: pinned, symbol: 'input_shape' }, spatial: null }, input: { shape: [pinned], assumed: false }, issues: [] };
    const spatial = first?.kind === 'conv2d' ? [null, null] : first?.kind === 'conv1d' ? [null] : null;
    const unread = graph.issues.find((i) => i.reason === INPUT_UNRESOLVED);
    if (unread) return { running: { ch: { value: null, symbol: unread.symbol }, spatial }, input: { shape: null, assumed: false }, issues: [] };
    return {
      running: { ch: { value: null, symbol: 'input_shape' }, spatial },
      input: { shape: null, assumed: false },
      issues: [{ symbol: 'input_shape', reason: 'model input shape is not stated (input_shape=, keras.Input or `# normlens: input_shape=N`)', node: c.node }],
    };
  }
  const badDummy = graph.inputShape ? badShapeIssue(graph.inputShape, c) : null;
  if (graph.inputShape && !badDummy) {
    const s = graph.inputShape;
    return { running: { ch: { value: s[0], symbol: null }, spatial: s.length > 1 ? s.slice(1) : null }, input: { shape: s, assumed: false, ...(s.length > 1 ? { layout: 'channels_first' } : {}) }, issues: [] };
  }
  const inArg = first?.inArg;
  // A first-layer width that is no width is reported by buildLayers; here it only leaves the input unknown.
  const ch = inArg?.t === 'num' ? { value: sizeOrNull(inArg.v), symbol: null } : { value: null, symbol: inArg?.t === 'unknown' ? inArg.symbol : null };
  const issues = badDummy ? [badDummy] : [];
  if (first && first.kind.startsWith('conv')) {
    const dims = first.kind === 'conv1d' ? 1 : 2;
    const pinned = sizeOrNull(firstKey(d, SPATIAL_KEYS));
    const side = pinned ?? sizeOrNull(defaults.inputSize);
    const spatial = Array(dims).fill(side);
    const shape = ch.value !== null && side !== null ? [ch.value, ...spatial] : null;
    return { running: { ch, spatial }, input: { shape, assumed: pinned === null, layout: 'channels_first' }, issues };
  }
  return { running: { ch, spatial: null }, input: { shape: ch.value !== null ? [ch.value] : null, assumed: true }, issues };
}
