import type { Layer, Model, SourceFormat, SourceRange } from '../ir';
import type { LayerPrediction, ModelPrediction } from '../theory/types';
import { seluVarianceFixedPoint } from '../theory/selu';
import { initEdits, mergeEdits, renameLayerClass, suggestionName, type InitTarget } from './fixes';
import { SourceText, fmt, pct } from './sourceText';
import type { Finding, FindingThresholds, Fix, TextEdit } from './types';

/** Everything the rules look at for one file. */
/** Where a finding about a layer's init points: the init as the file spells it (narrowed where marked), else the layer. */
function initMark(layer: Layer): SourceRange {
  const init = layer.init;
  return init?.explicit && init.range ? (init.markRange ?? init.range) : layer.range;
}

export interface RuleContext {
  format: SourceFormat;
  src: SourceText;
  models: Model[];
  predictions: ModelPrediction[];
  thresholds: FindingThresholds;
}

const LINEAR_KINDS = new Set(['dense', 'conv1d', 'conv2d']);
const NORM_KINDS = new Set(['batchnorm', 'batchrenorm', 'layernorm', 'groupnorm', 'instancenorm']);

/** The activation applied to a linear layer's output: inline, or the next separate activation layer. */
export function followingActivation(model: Model, i: number): { name: string; param?: number; layer: Layer } | null {
  const layer = model.layers[i];
  if (layer.activation) return { name: layer.activation.name, param: layer.activation.param, layer };
  for (let j = i + 1; j < model.layers.length; j++) {
    const next = model.layers[j];
    if (next.kind === 'activation' && next.activation) return { name: next.activation.name, param: next.activation.param, layer: next };
    if (LINEAR_KINDS.has(next.kind) || NORM_KINDS.has(next.kind) || next.kind === 'residual') return null;
  }
  return null;
}

/** A predicted number for a message: one that left the floating-point range says so instead of "Infinity" / "NaN". */
function fmtPredicted(x: number): string {
  if (Number.isFinite(x)) return fmt(x);
  return Number.isNaN(x) ? 'no finite value (after an overflow)' : `${x < 0 ? '-' : ''}more than 1.8e308 (overflow)`;
}

function describeInit(layer: Layer): string {
  const init = layer.init;
  if (!init) return 'unknown init';
  const name = init.scheme === 'pytorch_default' ? 'the PyTorch default init (kaiming_uniform, a=sqrt 5)' : init.scheme;
  const gain = init.nonlinearity ? ` (nonlinearity='${init.nonlinearity}')` : '';
  const fw = init.framework === 'tfjs' && init.distribution === 'truncated_normal' ? ' (tfjs: truncation not corrected)' : '';
  return `${name}${gain}${fw}`;
}

function initFix(ctx: Pick<RuleContext, 'format' | 'src'>, model: Model, layer: Layer, target: InitTarget, preferred: boolean): Fix | null {
  const edits = initEdits(ctx.src, ctx.format, model, layer, target);
  if (!edits) return null;
  return { title: `Initialize ${layer.name} with ${suggestionName(target)}`, edits, isPreferred: preferred };
}

function targetFor(p: LayerPrediction | undefined, act: { name: string; param?: number } | null): InitTarget | null {
  if (!p?.suggestion) return null;
  // A target no init can realise (no finite positive variance, a slope that is not a number) is no suggestion.
  const sigmaW2 = p.suggestion.criticalSigmaW2;
  if (!(Number.isFinite(sigmaW2) && sigmaW2 > 0) || (act?.param !== undefined && !Number.isFinite(act.param))) return null;
  return { sigmaW2, activation: act?.name ?? null, slope: act?.param };
}

/** One fix that applies every suggested initializer of a model (used by variance / gradient findings). */
export function modelInitFix(ctx: Pick<RuleContext, 'format' | 'src' | 'models' | 'predictions'>, mi: number): Fix | null {
  const model = ctx.models[mi];
  const pred = ctx.predictions[mi];
  const edits: TextEdit[] = [];
  model.layers.forEach((layer, i) => {
    if (!LINEAR_KINDS.has(layer.kind)) return;
    const target = targetFor(pred?.layers[i], followingActivation(model, i));
    const sigma = layer.init?.sigmaW2;
    if (!target || (sigma !== null && sigma !== undefined && Math.abs(sigma - target.sigmaW2) <= 0.02 * target.sigmaW2)) return;
    const e = initEdits(ctx.src, ctx.format, model, layer, target);
    if (e) edits.push(...e);
  });
  if (!edits.length) return null;
  return { title: `Apply suggested initializers to ${model.name}`, edits: mergeEdits(ctx.src, edits), isPreferred: true };
}

/**
 * Backward gain between the first and the last weight layer: the ratio of the first layer's weight-gradient
 * variance to the last's. Product of the layers' gains after the first weight layer up to the last one: the first
 * layer's own weight scale does not act on its gradient, the last layer's does (through W^T of the backward pass).
 */
export function weightGradientRatio(model: Model, pred: ModelPrediction): { ratio: number; perLayer: number; weightLayers: number } {
  const linear = model.layers.map((l, i) => (LINEAR_KINDS.has(l.kind) ? i : -1)).filter((i) => i >= 0);
  if (linear.length < 2) return { ratio: 1, perLayer: 1, weightLayers: linear.length };
  // Summed in logs: the plain product of a few hundred gains overflows (or underflows to 0) long before the
  // per-layer gain does. A gain that is not finite (after an overflow) counts as an explosion.
  let logRatio = 0;
  for (let i = linear[0] + 1; i <= linear[linear.length - 1]; i++) {
    const g = pred.layers[i]?.gradGain ?? 1;
    logRatio += Number.isNaN(g) ? Infinity : Math.log(g);
  }
  if (Number.isNaN(logRatio)) logRatio = Infinity; // an infinite gain next to a zero one: the overflow wins
  return { ratio: Math.exp(logRatio), perLayer: Math.exp(logRatio / (linear.length - 1)), weightLayers: linear.length };
}

function seluRules(ctx: RuleContext, mi: number, out: Finding[]): void {
  const model = ctx.models[mi];
  const pred = ctx.predictions[mi];
  const isSelu = model.layers.some((l) => l.activation?.name === 'selu');
  model.layers.forEach((layer, i) => {
    if (!LINEAR_KINDS.has(layer.kind) || !layer.init) return;
    const act = followingActivation(model, i);
    if (act?.name !== 'selu') return;
    const tau = layer.init.sigmaW2;
    if (tau === null || Math.abs(tau - 1) <= ctx.thresholds.seluTauTolerance) return;
    const nuStar = seluVarianceFixedPoint(tau);
    const collapse = nuStar < 1e-3;
    const explode = nuStar === Infinity;
    const outcome = collapse
      ? 'the variance fixed point is 0: activations collapse with depth'
      : explode
        ? 'there is no variance fixed point: activations explode with depth'
        : `the variance fixed point moves to nu* = ${fmt(nuStar)} instead of 1 (${fmt(Math.abs(1 - nuStar) * 100, 2)}% off)`;
    const domain = pred?.layers[i]?.selu && !pred.layers[i].selu!.inDomain ? ` Outside Theorem 1's domain: ${pred.layers[i].selu!.violations.join(', ')}.` : '';
    const fix = initFix(ctx, model, layer, { sigmaW2: 1, activation: 'selu' }, true);
    out.push({
      code: 'selu-init',
      severity: collapse || explode ? 'error' : 'warning',
      range: initMark(layer),
      message:
        `SELU layer ${layer.name} uses ${describeInit(layer)}: sigma_w^2 = fan_in*Var(w) = ${fmt(tau)} (self-normalization needs 1), so ` +
        `${outcome}.${domain} Use lecun_normal (PyTorch: kaiming_normal_(w, mode='fan_in', nonlinearity='linear')).`,
      modelIndex: mi,
      layerIndex: i,
      related: act.layer !== layer ? [{ range: act.layer.range, message: 'the SELU activation it feeds' }] : [],
      fixes: fix ? [fix] : [],
    });
  });
  if (!isSelu) return;
  model.layers.forEach((layer, i) => {
    if (layer.kind === 'dropout') {
      const from = layer.sourceType.split('.').pop() ?? 'Dropout';
      const edits = renameLayerClass(ctx.src, layer, from === 'Dropout' ? 'Dropout' : from, 'AlphaDropout');
      out.push({
        code: 'selu-dropout',
        severity: 'warning',
        range: layer.range,
        message:
          `Plain dropout${layer.rate !== null && Number.isFinite(layer.rate) ? ` (rate ${layer.rate})` : ''} in a SELU network shifts the mean and variance away from the ` +
          `fixed point (0, 1): dropped units sit at 0, not at SELU's saturation value -1.758. Use AlphaDropout, which keeps (0, 1).`,
        modelIndex: mi,
        layerIndex: i,
        related: [],
        fixes: edits ? [{ title: 'Replace with AlphaDropout', edits, isPreferred: true }] : [],
      });
    }
    if (NORM_KINDS.has(layer.kind) && (layer.kind === 'batchnorm' || layer.kind === 'batchrenorm')) {
      const prev = model.layers[i - 1];
      const prevSelu = prev && (prev.activation?.name === 'selu');
      if (prevSelu) {
        out.push({
          code: 'bn-after-selu',
          severity: 'info',
          range: layer.range,
          message: `BatchNorm ${layer.name} right after a SELU: SELU with lecun_normal already keeps activations at (0, 1); the normalization is redundant and adds batch dependence.`,
          modelIndex: mi,
          layerIndex: i,
          related: [{ range: prev.range, message: 'the SELU before it' }],
          fixes: [],
        });
      }
    }
  });
}

function depthRules(ctx: RuleContext, mi: number, out: Finding[]): void {
  const model = ctx.models[mi];
  const pred = ctx.predictions[mi];
  const t = ctx.thresholds;
  if (!pred || !pred.layers.length) return;
  const linearCount = model.layers.filter((l) => LINEAR_KINDS.has(l.kind)).length;
  if (linearCount < 3) return;
  const fix = modelInitFix(ctx, mi);
  const ratio = pred.varianceRatio;
  const firstBelow = pred.layers.findIndex((p) => p.variance / pred.input.variance < t.vanishingVariance);
  const firstAbove = pred.layers.findIndex((p) => p.variance / pred.input.variance > t.explodingVariance);
  const lastVariance = pred.layers[pred.layers.length - 1].variance;
  if (ratio < t.vanishingVariance && firstBelow >= 0) {
    const l = model.layers[firstBelow];
    out.push({
      code: 'vanishing-variance',
      severity: 'warning',
      range: model.range,
      message: `Activation variance vanishes over depth: predicted ${fmtPredicted(lastVariance)} at the last layer for input variance ${fmt(pred.input.variance)} (ratio ${fmt(ratio)} < ${fmt(t.vanishingVariance)}); it drops below the threshold at layer ${firstBelow} (${l.name}).`,
      modelIndex: mi,
      layerIndex: null,
      related: [{ range: l.range, message: `variance ${fmt(pred.layers[firstBelow].variance)} here` }],
      fixes: fix ? [fix] : [],
    });
  } else if ((ratio > t.explodingVariance || !Number.isFinite(ratio)) && firstAbove >= 0) {
    // A non-finite ratio means the variance overflowed (or went NaN after overflowing): explosion, said in words.
    const l = model.layers[firstAbove];
    const ratioText = Number.isFinite(ratio) ? `ratio ${fmt(ratio)} > ${fmt(t.explodingVariance)}` : 'the ratio overflows the floating-point range';
    out.push({
      code: 'exploding-variance',
      severity: 'warning',
      range: model.range,
      message: `Activation variance explodes over depth: predicted ${fmtPredicted(lastVariance)} at the last layer for input variance ${fmt(pred.input.variance)} (${ratioText}); it passes the threshold at layer ${firstAbove} (${l.name}).`,
      modelIndex: mi,
      layerIndex: null,
      related: [{ range: l.range, message: `variance ${fmtPredicted(pred.layers[firstAbove].variance)} here` }],
      fixes: fix ? [fix] : [],
    });
  }
  const { ratio: g, perLayer } = weightGradientRatio(model, pred);
  if (g < t.vanishingGradient || g > t.explodingGradient) {
    const vanishing = g < t.vanishingGradient;
    out.push({
      code: vanishing ? 'vanishing-gradient' : 'exploding-gradient',
      severity: 'warning',
      range: model.range,
      message: Number.isFinite(g)
        ? `Gradients ${vanishing ? 'vanish' : 'explode'} at initialization: the first weight layer's gradients are ${fmt(g)}x the last one's (backward gain over ${linearCount} weight layers, chi ~ ${fmt(perLayer)} per layer; 1 is the edge of chaos; threshold ${fmt(vanishing ? t.vanishingGradient : t.explodingGradient)}).`
        : `Gradients explode at initialization: the backward gain over ${linearCount} weight layers overflows the floating-point range (beyond 1.8e308)${Number.isFinite(perLayer) ? `, chi ~ ${fmt(perLayer)} per layer` : ''}; 1 is the edge of chaos.`,
      modelIndex: mi,
      layerIndex: null,
      related: [],
      fixes: fix ? [fix] : [],
    });
  }
}

/**
 * "pre-activation variance q; " for a saturation message, or nothing when there is no finite q: a separate
 * activation layer has none of its own; it is the preVariance of the linear layer feeding it, else its input's.
 */
function preVarianceText(pred: ModelPrediction, i: number, linearIndex: number): string {
  const q = pred.layers[i].preVariance ?? pred.layers[linearIndex]?.preVariance ?? (i > 0 ? pred.layers[i - 1].variance : pred.input.variance);
  return Number.isFinite(q) ? `pre-activation variance ${fmt(q)}; ` : '';
}

function activationRules(ctx: RuleContext, mi: number, out: Finding[]): void {
  const model = ctx.models[mi];
  const pred = ctx.predictions[mi];
  const t = ctx.thresholds;
  let sigmoidHidden = 0;
  const hasNorm = model.layers.some((l) => NORM_KINDS.has(l.kind));
  // Layers built in a loop share one source range: report them once, with the range of layers and the worst one.
  const bySource = new Map<string, number[]>();
  model.layers.forEach((layer, i) => {
    const act = layer.activation?.name;
    if (act !== 'tanh' && act !== 'sigmoid') return;
    if (i < model.layers.length - 1) sigmoidHidden++;
    const p = pred?.layers[i];
    if (!p || !(p.saturation > t.saturation)) return; // NaN (a layer past an overflow) is no evidence
    const key = `${layer.range.startLine}:${layer.range.startColumn}`;
    bySource.set(key, [...(bySource.get(key) ?? []), i]);
  });
  for (const indices of bySource.values()) {
    const worst = indices.reduce((a, b) => (pred.layers[b].saturation > pred.layers[a].saturation ? b : a));
    const layer = model.layers[worst];
    const act = layer.activation!.name;
    const p = pred.layers[worst];
    const linearIndex = layer.kind === 'activation' ? worst - 1 : worst;
    const linear = model.layers[linearIndex];
    const target = linear && LINEAR_KINDS.has(linear.kind) ? targetFor(pred.layers[linearIndex], { name: act }) : null;
    const fix = linear && target ? initFix(ctx, model, linear, target, true) : null;
    const which = indices.length > 1 ? `${act} layers ${indices[0]}-${indices[indices.length - 1]} (${indices.length} built here) are up to` : `${act} layer ${layer.name} is`;
    out.push({
      code: 'saturation',
      severity: 'warning',
      range: layer.range,
      message: `${which} ${pct(p.saturation)} saturated at initialization (${preVarianceText(pred, worst, linearIndex)}threshold ${pct(t.saturation)}): ${indices.length > 1 ? 'their' : 'its'} gradients are nearly zero.${target ? ` A weight variance of ${fmt(target.sigmaW2)}/fan_in puts ${indices.length > 1 ? 'them' : 'it'} at the edge of chaos.` : ''}`,
      modelIndex: mi,
      layerIndex: worst,
      related: linear && linear !== layer ? [{ range: linear.range, message: `the layer feeding it (${describeInit(linear)})` }] : [],
      fixes: fix ? [fix] : [],
    });
  }
  if (sigmoidHidden > t.deepSigmoidLayers && !hasNorm) {
    out.push({
      code: 'deep-sigmoid-no-norm',
      severity: 'warning',
      range: model.range,
      message: `${sigmoidHidden} hidden sigmoid/tanh layers without any normalization (more than ${t.deepSigmoidLayers}): saturating activations stacked this deep train slowly or not at all. Add BatchNorm/LayerNorm between layers, or use SELU with lecun_normal.`,
      modelIndex: mi,
      layerIndex: null,
      related: [],
      fixes: [],
    });
  }
}

function normalizationRules(ctx: RuleContext, mi: number, out: Finding[]): void {
  const model = ctx.models[mi];
  model.layers.forEach((layer, i) => {
    if (layer.kind === 'batchnorm' && model.batchSize !== null && model.batchSize < ctx.thresholds.smallBatch) {
      out.push({
        code: 'batchnorm-small-batch',
        severity: 'warning',
        range: layer.range,
        message: `BatchNorm ${layer.name} with batch size ${model.batchSize} (< ${ctx.thresholds.smallBatch}): batch statistics are noisy and differ from the running statistics used at eval. Prefer GroupNorm or LayerNorm (batch-independent) or Batch Renormalization.`,
        modelIndex: mi,
        layerIndex: i,
        related: [],
        fixes: [],
      });
    }
    if ((layer.kind === 'batchnorm' || layer.kind === 'batchrenorm') && model.layers[i - 1]?.kind === 'dropout') {
      const prev = model.layers[i - 1];
      out.push({
        code: 'dropout-before-bn',
        severity: 'info',
        range: prev.range,
        message: `Dropout ${prev.name} right before BatchNorm ${layer.name}: dropout changes the variance between training and eval, so BatchNorm's running variance is wrong at inference ("variance shift"). Put dropout after the normalization.`,
        modelIndex: mi,
        layerIndex: i - 1,
        related: [{ range: layer.range, message: 'the BatchNorm it feeds' }],
        fixes: [],
      });
    }
  });
}

function initSuggestionRules(ctx: RuleContext, mi: number, out: Finding[], flagged: Set<number>): void {
  const model = ctx.models[mi];
  const pred = ctx.predictions[mi];
  model.layers.forEach((layer, i) => {
    if (!LINEAR_KINDS.has(layer.kind) || flagged.has(i) || !layer.init || layer.init.sigmaW2 === null) return;
    const act = followingActivation(model, i);
    if (!act || act.name === 'selu' || act.name === 'softmax' || act.name === 'log_softmax') return;
    const target = targetFor(pred?.layers[i], act);
    if (!target) return;
    const ratio = layer.init.sigmaW2 / target.sigmaW2;
    if (ratio < ctx.thresholds.initSuggestionFactor && ratio > 1 / ctx.thresholds.initSuggestionFactor) return;
    const fix = initFix(ctx, model, layer, target, true);
    out.push({
      code: 'init-suggestion',
      severity: 'info',
      range: initMark(layer),
      message: `${layer.name} (${act.name}) uses ${describeInit(layer)}: sigma_w^2 = ${fmt(layer.init.sigmaW2)}, ${fmt(ratio)}x the critical ${fmt(target.sigmaW2)} that keeps signal and gradients stable with depth. Suggested: ${suggestionName(target)}.`,
      modelIndex: mi,
      layerIndex: i,
      related: [],
      fixes: fix ? [fix] : [],
    });
  });
}

function partialRules(ctx: RuleContext, mi: number, out: Finding[]): void {
  const model = ctx.models[mi];
  for (const p of model.partial) {
    const layer = p.layer !== undefined ? model.layers[p.layer] : undefined;
    out.push({
      code: 'unresolved-width',
      severity: 'info',
      range: p.range ?? layer?.range ?? model.range,
      message: `${p.reason}${p.symbol ? `. Pin it with a comment: # normlens: ${p.symbol}=<value>` : ''}`,
      modelIndex: mi,
      layerIndex: p.layer ?? null,
      related: [],
      fixes: [],
    });
  }
}

/** Every rule over every model of the file, in source order. */
export function computeFindings(ctx: RuleContext): Finding[] {
  const out: Finding[] = [];
  ctx.models.forEach((_, mi) => {
    const before = out.length;
    seluRules(ctx, mi, out);
    const flagged = new Set(out.slice(before).map((f) => f.layerIndex).filter((x): x is number => x !== null));
    activationRules(ctx, mi, out);
    for (const f of out.slice(before)) {
      if (f.code !== 'saturation' || f.layerIndex === null) continue;
      // Every layer built at the reported source location is covered by that finding.
      const at = ctx.models[mi].layers[f.layerIndex].range;
      ctx.models[mi].layers.forEach((l, i) => {
        if (l.range.startLine === at.startLine && l.range.startColumn === at.startColumn) flagged.add(i).add(i - 1);
      });
    }
    depthRules(ctx, mi, out);
    normalizationRules(ctx, mi, out);
    initSuggestionRules(ctx, mi, out, flagged);
    partialRules(ctx, mi, out);
  });
  return out.sort((a, b) => a.range.startLine - b.range.startLine || a.range.startColumn - b.range.startColumn);
}
