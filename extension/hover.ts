import * as vscode from 'vscode';
import type { FileAnalysis } from '../core/analyzer';
import type { Layer, Model } from '../core/ir';
import type { ModelPrediction } from '../core/theory/types';
import { fmt, pct } from '../core/findings/sourceText';
import { sparkline, units } from '../core/presentation/lenses';
import { measuredSource, measuredUnitStats } from '../core/presentation/measuredLenses';
import { lastFiniteRecord } from '../core/findings/measured';
import { followingActivation } from '../core/findings/rules';
import type { Finding } from '../core/findings/types';
import type { ProbeRun } from '../core/protocol';
import type { AnalysisService } from './analysisService';
import { toRange } from './convert';
import type { MeasuredResults } from './measuredResults';

function dim(d: Layer['in']): string {
  return d.value !== null ? String(d.value) : d.symbol ? `\`${d.symbol}\` (unresolved)` : '?';
}

/** Markdown for one layer: what it is, what theory predicts, what to change. */
export function layerHoverMarkdown(model: Model, pred: ModelPrediction | undefined, index: number): vscode.MarkdownString {
  const layer = model.layers[index];
  const p = pred?.layers[index];
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**NormLens: ${layer.name}** \`${layer.sourceType}\` (${layer.kind}, layer ${index} of ${model.name})\n\n`);
  const rows: [string, string][] = [['widths', `${dim(layer.in)} -> ${dim(layer.out)}`]];
  if (layer.activation) rows.push(['activation', layer.activation.name]);
  if (layer.init) {
    const v = layer.init.weightVariance;
    rows.push(['init', `${layer.init.scheme}${layer.init.explicit ? '' : ' (framework default)'}`]);
    rows.push(['Var(w)', v !== null ? `${fmt(v)}  (fan_in x Var(w) = ${layer.init.sigmaW2 !== null ? fmt(layer.init.sigmaW2) : '?'})` : '?']);
  }
  if (layer.norm) rows.push(['normalization', `momentum ${layer.norm.momentum ?? '?'} (${layer.norm.convention} convention), eps ${layer.norm.eps ?? '?'}${layer.norm.groups ? `, ${layer.norm.groups} groups` : ''}`]);
  if (layer.rate !== null) rows.push(['rate', String(layer.rate)]);
  // A PyTorch Linear is followed by its own activation module: show what comes out of the pair.
  const act = followingActivation(model, index);
  const out = act && act.layer !== layer ? pred?.layers[act.layer.index] : undefined;
  if (act && act.layer !== layer) rows.push(['followed by', `${act.name} (${act.layer.name}, layer ${act.layer.index})`]);
  if (p && !p.unknown) {
    if (out && p.preVariance !== null) rows.push(['pre-activation variance', fmt(p.preVariance, 3)]);
    const shown = out && !out.unknown ? out : p;
    const label = out ? ` after ${act!.name}` : '';
    rows.push([`predicted mean${label}`, fmt(shown.mean, 3)], [`predicted variance${label}`, fmt(shown.variance, 3)], ['saturation', pct(shown.saturation)]);
    if (shown.inactive !== null) rows.push(['inactive (ReLU)', pct(shown.inactive)]);
    const gain = out ? p.gradGain * out.gradGain : p.gradGain;
    rows.push(['gradient gain', `x${fmt(gain)} (cumulative x${fmt((out ?? p).cumulativeGradGain)})`]);
  } else if (p?.unknown) rows.push(['prediction', p.unknown]);
  md.appendMarkdown('| | |\n|---|---|\n' + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n') + '\n\n');
  const selu = out?.selu ?? p?.selu;
  if (selu) {
    md.appendMarkdown(
      selu.inDomain
        ? `SELU: inside Theorem 1's domain (omega ${fmt(selu.omega)}, tau ${fmt(selu.tau)}, incoming mu ${fmt(selu.muIn)}, nu ${fmt(selu.nuIn)}): provably attracted to (0, 1). Jacobian norm ${fmt(selu.jacobianNorm)}.\n\n`
        : `SELU: **outside** Theorem 1's domain: ${selu.violations.join(', ')}.\n\n`,
    );
  }
  if (p?.suggestion) md.appendMarkdown(`Suggested init: **${p.suggestion.scheme}** (fan_in x Var(w) = ${fmt(p.suggestion.criticalSigmaW2)}). ${p.suggestion.reason}\n\n`);
  if (pred) {
    const series = pred.layers.map((q) => q.variance);
    md.appendMarkdown(`Variance over depth: \`${sparkline(series.map((v) => Math.log10(Math.max(v, 1e-12))))}\` (log scale, ${fmt(series[0] ?? NaN)} -> ${fmt(series[series.length - 1] ?? NaN)})`);
  }
  return md;
}

/** What a probe measured for the unit (layer + its activation) containing layer `index`, appended to its hover. */
export function appendMeasured(md: vscode.MarkdownString, run: ProbeRun, index: number, findings: Finding[]): void {
  const rec = lastFiniteRecord(run.records);
  const unit = units(run.model).find((u) => u.members.includes(index));
  const s = rec && unit ? measuredUnitStats(unit, rec) : null;
  if (!rec || !unit || !s) return;
  const names = unit.members.map((i) => run.model.layers[i].name).join(' + ');
  const rows: [string, string][] = [
    ['measured mean', fmt(s.mean, 3)],
    ['measured variance', fmt(s.variance, 3)],
    ['measured saturation', pct(s.saturation)],
    ['dead units', pct(s.dead)],
  ];
  if (s.gradNorm !== null) rows.push(['weight gradient norm', fmt(s.gradNorm, 3)], ['update ratio', s.updateRatio !== null ? fmt(s.updateRatio, 3) : '-']);
  rows.push(['loss', `${fmt(run.records[0].loss)} -> ${fmt(rec.loss)}`]);
  md.appendMarkdown(`\n\n---\n\n**Measured** by the probe (${names}) at ${measuredSource(run, rec)}${run.diverged ? `; the run diverged at step ${run.diverged.step}` : ''}:\n\n`);
  md.appendMarkdown('| | |\n|---|---|\n' + rows.map(([k, v]) => `| ${k} | ${v} |`).join('\n') + '\n\n');
  for (const f of findings.filter((x) => x.layerIndex !== null && unit.members.includes(x.layerIndex))) md.appendMarkdown(`- \`${f.code}\`: ${f.message}\n`);
}

/** Hover on any layer's source range. */
export class NormLensHover implements vscode.HoverProvider {
  constructor(
    private readonly service: AnalysisService,
    private readonly measured?: MeasuredResults,
  ) {}

  provideHover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const analysis: FileAnalysis | undefined = this.service.get(doc.uri);
    if (!analysis) return undefined;
    for (let mi = 0; mi < analysis.models.length; mi++) {
      const model = analysis.models[mi];
      // Innermost range wins: a layer inside a Sequential call rather than the call.
      let best: Layer | undefined;
      for (const layer of model.layers) {
        const ranges = [layer.range, layer.useRange].filter((r): r is NonNullable<typeof r> => !!r);
        for (const r of ranges) {
          const range = toRange(r);
          if (range.contains(pos) && (!best || toRange(best.range).contains(range))) best = layer;
        }
      }
      if (!best) continue;
      const md = layerHoverMarkdown(model, analysis.predictions[mi], best.index);
      const state = this.measured?.forDocument(doc);
      const run = state?.measured.get(mi);
      if (run) appendMeasured(md, run, best.index, this.measured!.findings(run));
      else if (state?.stale.has(mi)) md.appendMarkdown('\n\n_Measured values are stale: the file changed since the probe. Probe again, or undo back to the probed text._');
      return new vscode.Hover(md, toRange(best.range));
    }
    return undefined;
  }
}
