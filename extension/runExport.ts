/**
 * A run as files a user keeps: JSON (the whole stored run, non-finite numbers as strings, exactly what the
 * protocol carries) and CSV (one row per sample point and layer, for a spreadsheet or pandas). Pure functions;
 * the dashboard asks where to write them.
 */
import { toWire, type ProbeRun } from '../core/protocol';

const CSV_COLUMNS = [
  'run', 'model', 'step', 'loss', 'elapsed_ms', 'layer_index', 'layer_name', 'layer_kind', 'mean', 'variance', 'pre_mean', 'pre_variance',
  'saturation', 'dead', 'grad_norm', 'update_ratio', 'predicted_mean', 'predicted_variance', 'predicted_saturation',
] as const;

/** RFC 4180 quoting: only where a field needs it. */
function csvField(value: string | number | null): string {
  if (value === null) return '';
  // String() spells NaN and +-Infinity out, as pandas reads them.
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One row per (sample point, layer); an empty cell is a statistic the layer does not have (no weight: no grad norm). */
export function runToCsv(run: ProbeRun): string {
  const rows: string[] = [CSV_COLUMNS.join(',')];
  const layers = new Map(run.model.layers.map((l) => [l.index, l]));
  const predicted = new Map((run.prediction?.layers ?? []).map((p) => [p.index, p]));
  for (const rec of run.records) {
    for (const s of rec.layers) {
      const l = layers.get(s.index);
      const p = predicted.get(s.index);
      const ok = p && !p.unknown;
      rows.push(
        [
          run.id, run.modelName, rec.step, rec.loss, Math.round(rec.elapsedMs), s.index, l?.name ?? '', l?.kind ?? '', s.mean, s.variance, s.preMean,
          s.preVariance, s.saturation, s.dead, s.gradNorm, s.updateRatio, ok ? p.mean : null, ok ? p.variance : null, ok ? p.saturation : null,
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return rows.join('\n') + '\n';
}

/** The stored run as pretty JSON. */
export function runToJson(run: ProbeRun): string {
  return JSON.stringify(toWire(run), null, 2) + '\n';
}
