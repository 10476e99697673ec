/**
 * Normalization variants of a model, for the dashboard's comparison: pure IR -> IR transforms that put the same
 * architecture under BatchNorm, LayerNorm, GroupNorm, Batch Renorm, weight normalization, or make it a
 * self-normalizing network (SELU + lecun_normal + AlphaDropout, Klambauer et al. 2017), with the conventions of the
 * framework the model is written in (PyTorch momentum 0.1 / eps 1e-5, Keras and tfjs 0.99 / 1e-3).
 *
 * A norm layer goes after each hidden dense / conv layer and before its activation: a layer with an inline
 * activation (Keras `Dense(512, activation="selu")`) becomes linear, followed by the norm and an activation layer,
 * which is how the source edit writes it (core/findings/variantEdits.ts). The output layer stays as written.
 * A variant the model already is (BatchNorm after every hidden layer) is skipped with the reason, not re-run.
 */
import type { Activation, Framework, InitSpec, Layer, LayerKind, Model, NormSpec } from '../ir';
import { knownDim } from '../ir';
import { namedInit, resolveInitVariances, TRUNCATED_NORMAL_STD } from '../initializers';
import { kernelVolume } from '../shapes';

export type VariantId = 'as-written' | 'batchnorm' | 'layernorm' | 'groupnorm' | 'batchrenorm' | 'weightnorm' | 'snn';

export const VARIANT_IDS: readonly VariantId[] = ['as-written', 'batchnorm', 'layernorm', 'groupnorm', 'batchrenorm', 'weightnorm', 'snn'];

export const VARIANT_LABELS: Readonly<Record<VariantId, string>> = {
  'as-written': 'as written',
  batchnorm: 'BatchNorm',
  layernorm: 'LayerNorm',
  groupnorm: 'GroupNorm',
  batchrenorm: 'Batch Renorm',
  weightnorm: 'weight norm',
  snn: 'SNN (SELU)',
};

/** One variant: the transformed model, or why it was skipped. */
export type ModelVariant =
  | { id: VariantId; label: string; model: Model; skipped: null; changes: string }
  | { id: VariantId; label: string; model: null; skipped: string; changes: null };

type NormKind = 'batchnorm' | 'layernorm' | 'groupnorm' | 'batchrenorm';
const NORM_KINDS: readonly LayerKind[] = ['batchnorm', 'batchrenorm', 'layernorm', 'groupnorm', 'instancenorm'];
const WEIGHT_KINDS: readonly LayerKind[] = ['dense', 'conv1d', 'conv2d'];
/** Batch Renorm limits at the end of the relaxation schedule (Ioffe 2017's rmax 3, dmax 5). */
export const RENORM_LIMITS = Object.freeze({ rmax: 3, dmax: 5 });

const isWeight = (l: Layer) => WEIGHT_KINDS.includes(l.kind);
const isNorm = (l: Layer) => NORM_KINDS.includes(l.kind);
const hasActivation = (a: Activation | null): a is Activation => !!a && a.name !== 'linear';

/** GroupNorm group count for `channels`: the largest of 32, 16, 8, 4, 2 dividing it (1 when odd). */
export function groupCount(channels: number): number {
  for (const g of [32, 16, 8, 4, 2]) if (channels % g === 0 && g < channels) return g;
  return 1;
}

/** Positions of the hidden weight layers: every dense / conv layer but the last (the output layer). */
export function hiddenWeightLayers(model: Model): number[] {
  const weights = model.layers.map((l, i) => (isWeight(l) ? i : -1)).filter((i) => i >= 0);
  return weights.slice(0, -1);
}

/** The norm settings a framework gives a new layer of `kind` by default. */
export function defaultNormSpec(kind: NormKind, framework: Framework, channels: number): NormSpec {
  const pytorch = framework === 'pytorch';
  const spec: NormSpec = {
    convention: framework,
    momentum: kind === 'batchnorm' || kind === 'batchrenorm' ? (pytorch ? 0.1 : 0.99) : null,
    eps: pytorch ? 1e-5 : 1e-3,
    affine: true,
  };
  if (!pytorch) spec.axis = -1;
  if (kind === 'groupnorm') spec.groups = groupCount(channels);
  if (kind === 'batchrenorm') spec.renorm = { ...RENORM_LIMITS };
  return spec;
}

/** The class a framework names a norm layer by (for the IR's sourceType and the edits). */
export function normClassName(kind: NormKind, framework: Framework, after: Layer): string {
  if (framework === 'pytorch') {
    if (kind === 'layernorm') return 'nn.LayerNorm';
    if (kind === 'groupnorm') return 'nn.GroupNorm';
    return after.kind === 'conv2d' ? 'nn.BatchNorm2d' : 'nn.BatchNorm1d';
  }
  return kind === 'layernorm' ? 'LayerNormalization' : kind === 'groupnorm' ? 'GroupNormalization' : 'BatchNormalization';
}

function normLayer(kind: NormKind, model: Model, after: Layer): Layer {
  const channels = after.out.value as number;
  return {
    index: -1,
    name: `${after.name}_${kind === 'batchrenorm' ? 'brn' : kind === 'batchnorm' ? 'bn' : kind === 'layernorm' ? 'ln' : 'gn'}`,
    kind,
    sourceType: normClassName(kind, model.framework, after),
    in: knownDim(channels),
    out: knownDim(channels),
    spatial: after.spatial ?? null,
    activation: null,
    init: null,
    bias: null,
    norm: defaultNormSpec(kind, model.framework, channels),
    rate: null,
    range: after.range,
  };
}

function activationLayer(after: Layer, activation: Activation): Layer {
  return {
    index: -1,
    name: `${after.name}_act`,
    kind: 'activation',
    sourceType: 'Activation',
    in: knownDim(after.out.value as number),
    out: knownDim(after.out.value as number),
    spatial: after.spatial ?? null,
    activation: { ...activation },
    init: null,
    bias: null,
    norm: null,
    rate: null,
    range: after.range,
  };
}

const clone = (l: Layer): Layer => structuredClone(l);

/** Renumber layers 0..n-1 and point residual sources at the layer that now produces what they read. */
function renumber(model: Model, groups: { from: number; layers: Layer[] }[]): Model {
  const newIndexOfOutput = new Map<number, number>();
  const layers: Layer[] = [];
  for (const g of groups) {
    for (const l of g.layers) {
      l.index = layers.length;
      layers.push(l);
    }
    if (g.from >= 0 && g.layers.length) newIndexOfOutput.set(g.from, layers.length - 1);
  }
  for (const l of layers) {
    if (l.residual && l.residual.from >= 0) {
      // A removed source (SNN drops norms) hands its output to the closest earlier layer kept.
      let from = l.residual.from;
      while (from >= 0 && !newIndexOfOutput.has(from)) from--;
      l.residual = { from: from >= 0 ? (newIndexOfOutput.get(from) as number) : -1 };
    }
  }
  return { ...structuredClone({ ...model, layers: [] }), layers };
}

/** Insert (or swap in) a norm of `kind` after each hidden weight layer, before its activation. */
function withNorms(model: Model, kind: NormKind): Model | string {
  const hidden = new Set(hiddenWeightLayers(model));
  if (!hidden.size) return 'the model has no hidden dense or conv layer to normalize';
  for (const i of hidden) {
    const l = model.layers[i];
    if (l.out.value === null) return `layer ${l.name}: its width is unresolved (${l.out.symbol ?? '?'})`;
  }
  let changed = 0;
  const groups: { from: number; layers: Layer[] }[] = [];
  for (let i = 0; i < model.layers.length; i++) {
    const l = model.layers[i];
    const prev = model.layers[i - 1];
    // A norm already right after a hidden layer is swapped for this kind (kept when it is this kind).
    if (isNorm(l) && prev && hidden.has(i - 1) && !hasActivation(prev.activation)) {
      if (l.kind === kind) groups.push({ from: i, layers: [clone(l)] });
      else {
        changed++;
        groups.push({ from: i, layers: [{ ...normLayer(kind, model, prev), name: l.name, range: l.range }] });
      }
      continue;
    }
    if (!hidden.has(i)) {
      groups.push({ from: i, layers: [clone(l)] });
      continue;
    }
    const next = model.layers[i + 1];
    const inline = hasActivation(l.activation);
    if (!inline && next && isNorm(next)) {
      groups.push({ from: i, layers: [clone(l)] });
      continue;
    }
    changed++;
    const weight = clone(l);
    const inserted = [weight, normLayer(kind, model, l)];
    if (inline) {
      weight.activation = null;
      inserted.push(activationLayer(l, l.activation as Activation));
    }
    groups.push({ from: i, layers: inserted });
  }
  if (!changed) return `as written: it already has ${VARIANT_LABELS[kind]} after every hidden layer`;
  return renumber(model, groups);
}

function withWeightNorm(model: Model): Model | string {
  const weights = model.layers.filter(isWeight);
  if (!weights.length) return 'the model has no dense or conv layer';
  if (weights.every((l) => l.weightNorm)) return 'as written: every dense and conv layer is weight-normalized';
  return renumber(
    model,
    model.layers.map((l, i) => ({ from: i, layers: [isWeight(l) ? { ...clone(l), weightNorm: true } : clone(l)] })),
  );
}

/** lecun_normal as the framework writes it (PyTorch: kaiming_normal_ with nonlinearity='linear'). */
export function lecunInit(framework: Framework, range?: InitSpec['range']): InitSpec {
  let spec: InitSpec;
  if (framework === 'pytorch') {
    spec = { scheme: 'kaiming_normal', framework, distribution: 'normal', mode: 'fan_in', scale: 1, gain: 1, nonlinearity: 'linear', explicit: true, weightVariance: null, sigmaW2: null };
  } else if (framework === 'tfjs') {
    // tfjs draws truncated normals without the 1/0.8796 correction: the edit writes a VarianceScaling that compensates.
    const scale = Number((1 / (TRUNCATED_NORMAL_STD * TRUNCATED_NORMAL_STD)).toPrecision(4));
    spec = { scheme: 'variance_scaling', framework, distribution: 'truncated_normal', mode: 'fan_in', scale, explicit: true, weightVariance: null, sigmaW2: null };
  } else {
    spec = namedInit('lecun_normal', framework);
  }
  if (range) spec.range = range;
  return spec;
}

function fanIn(l: Layer): number | null {
  if (l.in.value === null) return null;
  if (l.kind === 'dense' || !l.conv) return l.in.value;
  const dims = l.kind === 'conv1d' ? 1 : 2;
  return (l.in.value / (l.conv.groups ?? 1)) * kernelVolume(l.conv, dims);
}

function fanOut(l: Layer): number | null {
  if (l.out.value === null) return null;
  if (l.kind === 'dense' || !l.conv) return l.out.value;
  return l.out.value * kernelVolume(l.conv, l.kind === 'conv1d' ? 1 : 2);
}

const OUTPUT_ACTIVATIONS = ['softmax', 'log_softmax', 'linear'];

/** SELU everywhere hidden, lecun_normal everywhere, AlphaDropout for Dropout, no normalization layers. */
function selfNormalizing(model: Model): Model | string {
  const weights = model.layers.map((l, i) => (isWeight(l) ? i : -1)).filter((i) => i >= 0);
  if (!weights.length) return 'the model has no dense or conv layer';
  const lastWeight = weights[weights.length - 1];
  let changed = 0;
  const groups: { from: number; layers: Layer[] }[] = [];
  for (let i = 0; i < model.layers.length; i++) {
    const l = clone(model.layers[i]);
    if (isNorm(l)) {
      changed++;
      groups.push({ from: i, layers: [] });
      continue;
    }
    // Hidden activations (before the output layer's own) become SELU; the output's activation stays.
    if (i < lastWeight && l.activation && !OUTPUT_ACTIVATIONS.includes(l.activation.name) && l.activation.name !== 'selu') {
      l.activation = { name: 'selu', ...(l.activation.range ? { range: l.activation.range } : {}) };
      changed++;
    }
    if (isWeight(l)) {
      const lecun = Math.abs((l.init?.sigmaW2 ?? 0) - 1) < 0.02 && l.init?.distribution !== 'uniform';
      if (!lecun) {
        l.init = resolveInitVariances(lecunInit(model.framework, l.init?.range), fanIn(l), fanOut(l));
        changed++;
      }
    }
    if (l.kind === 'dropout') {
      l.kind = 'alphadropout';
      l.sourceType = l.sourceType.replace(/Dropout$/, 'AlphaDropout');
      changed++;
    }
    groups.push({ from: i, layers: [l] });
  }
  if (!changed) return 'as written: already SELU with lecun_normal and no Dropout or normalization layers';
  return renumber(model, groups);
}

/** One variant of `model` (which it never modifies). */
export function modelVariant(model: Model, id: VariantId): ModelVariant {
  const label = VARIANT_LABELS[id];
  let out: Model | string;
  switch (id) {
    case 'as-written':
      out = structuredClone(model);
      break;
    case 'weightnorm':
      out = withWeightNorm(model);
      break;
    case 'snn':
      out = selfNormalizing(model);
      break;
    default:
      out = withNorms(model, id);
  }
  if (typeof out === 'string') return { id, label, model: null, skipped: out, changes: null };
  return { id, label, model: out, skipped: null, changes: describeChanges(model, out, id) };
}

/** Every variant, as written first. */
export function modelVariants(model: Model): ModelVariant[] {
  return VARIANT_IDS.map((id) => modelVariant(model, id));
}

function describeChanges(before: Model, after: Model, id: VariantId): string {
  if (id === 'as-written') return 'the model as the file writes it';
  if (id === 'weightnorm') return `weight normalization on ${after.layers.filter((l) => l.weightNorm).length} dense / conv layers`;
  if (id === 'snn') return 'SELU activations, lecun_normal init, AlphaDropout instead of Dropout, no normalization layers';
  const added = after.layers.filter((l) => l.kind === id).length;
  return `${VARIANT_LABELS[id]} after ${added} hidden layer${added === 1 ? '' : 's'} of ${before.layers.filter(isWeight).length - 1}, before the activation`;
}
