import * as vscode from 'vscode';
import type { AnalyzeOptions } from '../core/analyzer';
import type { FindingCode, FindingThresholds } from '../core/findings/types';
import { DEFAULT_THRESHOLDS } from '../core/findings/types';
import { DEFAULT_MEASURED_THRESHOLDS, type MeasuredThresholds } from '../core/findings/measured';

export type SeverityOverride = 'error' | 'warning' | 'information' | 'hint' | 'off';

/** A snapshot of NormLens' settings; re-read on every configuration change. */
export interface NormLensConfig {
  codeLens: boolean;
  diagnostics: boolean;
  severity: Partial<Record<FindingCode, SeverityOverride>>;
  include: string[];
  exclude: string[];
  debounceMs: number;
  analyze: AnalyzeOptions;
  /** Thresholds of the findings measured by probe runs (`normlens.measured.*`). */
  measured: MeasuredThresholds;
  /** Stable key of everything that changes analysis results (part of the cache key). */
  analysisKey: string;
}

function num(c: vscode.WorkspaceConfiguration, key: string, fallback: number): number {
  const v = c.get<unknown>(key);
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

export function readConfig(): NormLensConfig {
  const c = vscode.workspace.getConfiguration('normlens');
  const thresholds: FindingThresholds = { ...DEFAULT_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_THRESHOLDS) as (keyof FindingThresholds)[]) {
    thresholds[key] = num(c, `thresholds.${key}`, DEFAULT_THRESHOLDS[key]);
  }
  const measured: MeasuredThresholds = { ...DEFAULT_MEASURED_THRESHOLDS };
  for (const key of Object.keys(DEFAULT_MEASURED_THRESHOLDS) as (keyof MeasuredThresholds)[]) {
    measured[key] = num(c, `measured.${key}`, DEFAULT_MEASURED_THRESHOLDS[key]);
  }
  const inputSize = c.get<number | null>('defaults.inputSize') ?? undefined;
  const batchSize = c.get<number | null>('defaults.batchSize') ?? undefined;
  const analyze: AnalyzeOptions = { thresholds, defaults: { inputSize, batchSize } };
  return {
    codeLens: c.get<boolean>('codeLens.enabled', true),
    diagnostics: c.get<boolean>('diagnostics.enabled', true),
    severity: c.get<Partial<Record<FindingCode, SeverityOverride>>>('severity', {}),
    include: c.get<string[]>('files.include', ['**/*.py', '**/*.json']),
    exclude: c.get<string[]>('files.exclude', ['**/node_modules/**']),
    debounceMs: Math.max(0, num(c, 'analysis.debounceMs', 250)),
    analyze,
    measured,
    analysisKey: JSON.stringify(analyze),
  };
}

/** `{a,b}` glob from a list (vscode globs take one pattern). */
export function globOf(patterns: string[]): string | null {
  if (!patterns.length) return null;
  return patterns.length === 1 ? patterns[0] : `{${patterns.join(',')}}`;
}
