import type { Framework, ModelInput } from '../../ir';
import type { Candidate, Interp } from './interpreter';
import { INPUT_UNRESOLVED } from './kerasModels';
import type { RunningShape } from './layerShapes';
import type { Emitted, Graph, Issue } from './values';

/** Directive keys that give an image model's spatial side length. */
const SPATIAL_KEYS = ['input_size', 'image_size', 'img_size', 'resolution'];
/** Directive keys that give a flat model input width when the file states none. */
const INPUT_KEYS = ['input_shape', 'input', 'input_dim', 'in_dim', 'in_features', 'n_features'];

function firstKey(d: Record<string, number>, keys: string[]): number | null {
  for (const k of keys) if (d[k] !== undefined) return d[k];
  return null;
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
    if (stated) return { running: fromChannelsLast(stated), input: { shape: stated, assumed: false, ...(stated.length > 1 ? { layout: 'channels_last' } : {}) }, issues: [] };
    const pinned = firstKey(d, INPUT_KEYS);
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
  if (graph.inputShape) {
    const s = graph.inputShape;
    return { running: { ch: { value: s[0], symbol: null }, spatial: s.length > 1 ? s.slice(1) : null }, input: { shape: s, assumed: false, ...(s.length > 1 ? { layout: 'channels_first' } : {}) }, issues: [] };
  }
  const inArg = first?.inArg;
  const ch = inArg?.t === 'num' ? { value: inArg.v, symbol: null } : { value: null, symbol: inArg?.t === 'unknown' ? inArg.symbol : null };
  if (first && first.kind.startsWith('conv')) {
    const dims = first.kind === 'conv1d' ? 1 : 2;
    const pinned = firstKey(d, SPATIAL_KEYS);
    const side = pinned ?? defaults.inputSize ?? null;
    const spatial = Array(dims).fill(side);
    const shape = ch.value !== null && side !== null ? [ch.value, ...spatial] : null;
    return { running: { ch, spatial }, input: { shape, assumed: pinned === null, layout: 'channels_first' }, issues: [] };
  }
  return { running: { ch, spatial: null }, input: { shape: ch.value !== null ? [ch.value] : null, assumed: true }, issues: [] };
}
