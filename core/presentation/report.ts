import type { FileAnalysis } from '../analyzer';
import type { Layer } from '../ir';
import type { LayerPrediction } from '../theory/types';
import { fmt, pct } from '../findings/sourceText';

/** One layer as `normlens analyze --json` prints it (1-based lines). The shape is a public contract. */
export function layerJson(layer: Layer, p: LayerPrediction | undefined) {
  return {
    index: layer.index,
    name: layer.name,
    kind: layer.kind,
    line: layer.range.startLine + 1,
    endLine: layer.range.endLine + 1,
    in: layer.in.value,
    out: layer.out.value,
    inSymbol: layer.in.symbol,
    outSymbol: layer.out.symbol,
    activation: layer.activation?.name ?? null,
    init: layer.init ? { scheme: layer.init.scheme, weightVariance: layer.init.weightVariance, sigmaW2: layer.init.sigmaW2 } : null,
    rate: layer.rate,
    predicted: p && !p.unknown
      ? {
          mean: p.mean,
          variance: p.variance,
          saturation: p.saturation,
          gradGain: p.gradGain,
          cumulativeGradGain: p.cumulativeGradGain,
          inactive: p.inactive,
          seluInDomain: p.selu ? p.selu.inDomain : undefined,
          suggestedInit: p.suggestion ? { scheme: p.suggestion.scheme, sigmaW2: p.suggestion.criticalSigmaW2 } : undefined,
        }
      : null,
  };
}

/** A file's analysis in the `--json` shape. */
export function fileJson(file: string, a: FileAnalysis | null, readError: string | null) {
  if (!a) return { file, format: 'unknown', error: readError, models: [], findings: [] };
  return {
    file,
    format: a.format,
    error: a.error?.message ?? null,
    models: a.models.map((m, mi) => ({
      name: m.name,
      framework: m.framework,
      line: m.range.startLine + 1,
      input: { shape: m.input.shape, assumed: m.input.assumed },
      batchSize: m.batchSize,
      partial: m.partial.map((p) => ({ symbol: p.symbol, reason: p.reason, line: p.range ? p.range.startLine + 1 : null })),
      layers: m.layers.map((l, i) => layerJson(l, a.predictions[mi]?.layers[i])),
      summary: a.predictions[mi]
        ? { totalGradGain: a.predictions[mi].totalGradGain, varianceRatio: a.predictions[mi].varianceRatio }
        : null,
    })),
    findings: a.findings.map((f) => ({
      code: f.code,
      severity: f.severity,
      line: f.range.startLine + 1,
      endLine: f.range.endLine + 1,
      message: f.message,
      fixes: f.fixes.map((x) => x.title),
    })),
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** The readable per-layer table. */
export function fileTable(file: string, a: FileAnalysis): string {
  const lines: string[] = [`${file} (${a.format})`];
  if (a.error) lines.push(`  error: ${a.error.message}`);
  a.models.forEach((m, mi) => {
    const input = m.input.shape ? `[${m.input.shape.join(', ')}]${m.input.assumed ? ' (assumed)' : ''}` : 'unknown';
    lines.push('', `  model ${m.name} (line ${m.range.startLine + 1}, ${m.framework}, input ${input}, ${m.layers.length} layers)`);
    const head = ['#', 'line', 'name', 'kind', 'in->out', 'act', 'init', 'sw2', 'mean', 'var', 'sat', 'grad'];
    const widths = [4, 5, 16, 12, 12, 10, 16, 6, 7, 8, 5, 7];
    lines.push('  ' + head.map((h, i) => pad(h, widths[i])).join(' '));
    m.layers.forEach((l, i) => {
      const p = a.predictions[mi]?.layers[i];
      const io = `${l.in.value ?? l.in.symbol ?? '?'}->${l.out.value ?? l.out.symbol ?? '?'}`;
      const cells = [
        String(l.index), String(l.range.startLine + 1), l.name, l.kind, io, l.activation?.name ?? '',
        l.init?.scheme ?? '', l.init?.sigmaW2 != null ? fmt(l.init.sigmaW2) : '',
        p && !p.unknown ? fmt(p.mean, 2) : '?', p && !p.unknown ? fmt(p.variance) : '?',
        p && !p.unknown ? pct(p.saturation) : '?', p && !p.unknown ? `x${fmt(p.gradGain)}` : '?',
      ];
      lines.push('  ' + cells.map((c, k) => pad(c, widths[k])).join(' '));
    });
    const pred = a.predictions[mi];
    if (pred) lines.push(`  depth summary: variance x${fmt(pred.varianceRatio)}, gradient gain x${fmt(pred.totalGradGain)}`);
    for (const p of m.partial) lines.push(`  partial: ${p.reason}${p.symbol ? ` [${p.symbol}]` : ''}`);
  });
  if (a.findings.length) lines.push('', '  findings:');
  for (const f of a.findings) lines.push(`  ${f.range.startLine + 1}: ${f.severity} [${f.code}] ${f.message}`);
  return lines.join('\n');
}
