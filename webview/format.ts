/** Number formats the dashboard shares (table cells, chart axes and legends). */

/** Compact: `digits` significant digits, exponent form for tiny and huge values, 'NaN' / '∞' spelled out. */
export function fmt(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '–';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '-∞';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a >= 1e4 || a < 1e-3) return x.toExponential(digits - 2).replace('e+', 'e');
  return String(Number(x.toPrecision(digits)));
}

/** A mean: values below display precision are 0 (a predicted mean of 6e-17 is zero, a variance of 6e-17 is not). */
export function fmtMean(x: number | null | undefined, digits = 3): string {
  return typeof x === 'number' && Math.abs(x) < 5e-4 ? '0' : fmt(x, digits);
}

/** A fraction as a percentage. */
export function pct(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (!Number.isFinite(x)) return fmt(x);
  const p = x * 100;
  return p > 0 && p < 1 ? '<1%' : `${Math.round(p)}%`;
}

/** uPlot wants null for a gap; NaN / Infinity would break its scale ranging. */
export function plottable(x: number | null | undefined): number | null {
  return x === null || x === undefined || !Number.isFinite(x) ? null : x;
}

/** Duration for status lines. */
export function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
