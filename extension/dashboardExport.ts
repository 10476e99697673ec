/**
 * The dashboard's export buttons, host side: ask where, then write. A run as JSON / CSV (runExport.ts) and a
 * chart as the PNG the view drew.
 */
import * as vscode from 'vscode';
import type { RunStore } from './runStore';
import { runToCsv, runToJson } from './runExport';

function defaultFolder(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 80) || 'run';
}

async function saveAs(name: string, filters: Record<string, string[]>, bytes: Uint8Array): Promise<string | null> {
  const folder = defaultFolder();
  const target = await vscode.window.showSaveDialog({ defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined, filters, saveLabel: 'Export' });
  if (!target) return null;
  await vscode.workspace.fs.writeFile(target, bytes);
  return target.scheme === 'file' ? target.fsPath : target.toString();
}

/** Save a stored run; resolves with where it went (null when the user cancelled the dialog). */
export async function exportRun(runs: RunStore, params: { runId: string; format: 'json' | 'csv' }): Promise<string | null> {
  const run = runs.get(params.runId);
  if (!run) throw new Error(`no run ${params.runId}`);
  const text = params.format === 'json' ? runToJson(run) : runToCsv(run);
  const filters: Record<string, string[]> = params.format === 'json' ? { JSON: ['json'] } : { CSV: ['csv'] };
  return saveAs(`${safeName(run.modelName)}-${run.id}.${params.format}`, filters, new TextEncoder().encode(text));
}

/** Save a chart image (a data URL the view drew, already checked to be base64 PNG). */
export async function exportChart(runs: RunStore, params: { runId: string | null; chart: string; png: string }): Promise<string | null> {
  const run = params.runId ? runs.get(params.runId) : undefined;
  const bytes = Buffer.from(params.png.slice(params.png.indexOf(',') + 1), 'base64');
  return saveAs(`${safeName(run?.modelName ?? 'normlens')}-${params.chart}.png`, { PNG: ['png'] }, bytes);
}
