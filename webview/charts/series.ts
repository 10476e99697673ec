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

/** Mix two #rrggbb colours (depth colouring of trajectories). */
export function mix(a: string, b: string, t: number): string {
  const pa = /^#([0-9a-f]{6})/i.exec(a);
  const pb = /^#([0-9a-f]{6})/i.exec(b);
  if (!pa || !pb) return t < 0.5 ? a : b;
  const ca = parseInt(pa[1], 16);
  const cb = parseInt(pb[1], 16);
  let out = 0;
  for (const shift of [16, 8, 0]) {
    const x = (ca >> shift) & 255;
    const y = (cb >> shift) & 255;
    out |= Math.round(x + (y - x) * t) << shift;
  }
  return `#${out.toString(16).padStart(6, '0')}`;
}
