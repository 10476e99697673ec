import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchRow } from './analysisBench';
import { pytorchDeepFile } from './generate';

const root = join(__dirname, '..');

/** The same package a user installs (npm run package runs the production build through vscode:prepublish). */
export function packageExtension(): string {
  const pack = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm run package failed: ${pack.stderr || pack.stdout}`);
  return join(root, 'dist', 'normlens.vsix');
}

/**
 * Runs the in-host benchmark suite in a real VS Code (code-server, as the e2e tests) on a workspace holding a
 * generated 200-layer file, and turns its E2E-METRIC lines into rows.
 */
export async function extensionBench(): Promise<BenchRow[]> {
  const harness = join(root, 'test', 'e2e', 'harness');
  const { runInHostSuite } = await import(pathToFileURL(join(harness, 'sessions.mjs')).href);
  const vsix = packageExtension();
  const workspace = mkdtempSync(join(tmpdir(), 'normlens-bench-'));
  writeFileSync(join(workspace, 'deep200.py'), pytorchDeepFile(100));
  const metrics: Record<string, number> = {};
  try {
    const result = await runInHostSuite({
      suiteIndex: join(root, 'test', 'e2e', 'bench', 'index.js'),
      vsix,
      workspace,
      label: 'bench',
      timeoutMs: 300_000,
      onLog: (line: string) => {
        const m = /E2E-METRIC (\w+)=([\d.]+)/.exec(line);
        if (m) metrics[m[1]] = Number(m[2]);
      },
    });
    if (!result.ok) throw new Error(`bench suite failed: ${result.error ?? JSON.stringify(result.tests)}`);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  const bundleKb = statSync(join(root, 'dist', 'extension.js')).size / 1024;
  return [
    { name: 'save I/O: doc.save() until onDidSave (code-server remote fs)', value: metrics.saveIoMedianMs, unit: 'ms' },
    { name: `saved -> diagnostics, ${metrics.layers} layers (median, in host)`, value: metrics.saveToDiagnosticsMedianMs, unit: 'ms' },
    { name: `saved -> updated CodeLens, ${metrics.layers} layers (median, in host)`, value: metrics.saveToLensMedianMs, unit: 'ms', goal: '< 150', note: `max ${metrics.saveToLensMaxMs} ms` },
    { name: 'CodeLens provider alone (median)', value: metrics.lensProviderMedianMs, unit: 'ms' },
    { name: 'analysis inside the extension host (median)', value: metrics.analysisInHostMedianMs, unit: 'ms' },
    { name: 'activate() (no parser load: lazy)', value: metrics.activationMs, unit: 'ms' },
    { name: 'host bundle dist/extension.js', value: bundleKb, unit: 'KiB', note: 'minified; parser WASM loaded on first model file' },
  ];
}
