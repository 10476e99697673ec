/** Shared pieces of the dashboard's charts: which records to show and how a series looks. */
import type uPlot from 'uplot';
import type { LayerSample, ProbeRecord } from '../../core/probe/config';
import type { ProbeRun } from '../../core/protocol';

/** The record at initialization and the newest one (the same record until the run has trained). */
export function endpoints(run: ProbeRun | null): { first: ProbeRecord | null; last: ProbeRecord | null } {
  const records = run?.records ?? [];
  return { first: records[0] ?? null, last: records[records.length - 1] ?? null };
}

export function byLayer(record: ProbeRecord | null): Map<number, LayerSample> {
  return new Map((record?.layers ?? []).map((s) => [s.index, s]));
}

/** A line series; `dash` for predictions (theory), solid for measurements. */
export function line(label: string, stroke: string, opts: { dash?: boolean; width?: number; points?: boolean } = {}): uPlot.Series {
  return {
    label,
    stroke,
    width: opts.width ?? 1.5,
    dash: opts.dash ? [5, 4] : undefined,
    spanGaps: true,
    points: { show: opts.points ?? true, size: 4, stroke, fill: stroke },
  };
}

/** [r, g, b] of a CSS colour as theme variables hold them (#rgb, #rrggbb, #rrggbbaa, rgb(), rgba()); null otherwise. */
export function parseRgb(color: string): [number, number, number] | null {
  const c = color.trim();
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(c)?.[1];
  if (hex) {
    const full = hex.length === 3 ? [...hex].map((x) => x + x).join('') : hex.slice(0, 6);
    const n = parseInt(full, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  }
  const rgb = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(c);
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : null;
}

/** Mix two colours (depth colouring of trajectories, the heatmap ramp); a colour it cannot read wins outright. */
export function mix(a: string, b: string, t: number): string {
  const pa = parseRgb(a);
  const pb = parseRgb(b);
  if (!pa || !pb) return t < 0.5 ? a : b;
  const out = pa.map((x, i) => Math.round(x + (pb[i] - x) * t));
  return `#${out.map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}
