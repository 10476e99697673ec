import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchRow } from './analysisBench';
import { packageExtension } from './extensionBench';
import { pytorchDeepFile } from './generate';

const root = join(__dirname, '..');

/**
 * The dashboard in a real VS Code (code-server + headless Chromium, WebGL on SwiftShader): a user clicks the Probe
 * lens of a 64-layer SELU MLP (width 128); the scenario times the click to the first statistics on screen and the
 * dashboard's frame time (requestAnimationFrame gaps, long tasks) while the probe streams 30 records.
 */
export async function dashboardBench(): Promise<BenchRow[]> {
  const { runUiScenario } = await import(pathToFileURL(join(root, 'test', 'e2e', 'harness', 'scenarios.mjs')).href);
  const vsix = packageExtension();
  const workspace = mkdtempSync(join(tmpdir(), 'normlens-bench-'));
  const shots = mkdtempSync(join(tmpdir(), 'normlens-bench-shots-'));
  writeFileSync(join(workspace, 'deep64.py'), pytorchDeepFile(64, 128));
  const m: Record<string, number> = {};
  try {
    const result = await runUiScenario({
      file: join(root, 'test', 'e2e', 'bench', 'dashboardStream.mjs'),
      name: 'bench-dashboard',
      vsix,
      workspace,
      screenshotsDir: shots,
      // The scenario reports through ctx.log: BENCH-METRIC lines are figures, the rest is progress.
      log: (line: string) => {
        const hit = /BENCH-METRIC (\w+)=([-\d.]+)/.exec(line);
        if (hit) m[hit[1]] = Number(hit[2]);
        else process.stderr.write(`${line}\n`);
      },
    });
    if (!result.ok) throw new Error(`dashboard bench failed: ${result.error}`);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
  const pct = (x: number) => `${(x * 100).toFixed(1)}% of frames over 50 ms`;
  return [
    { name: `click Probe -> first statistics, cold (view + WebGL start), ${m.layers} layers`, value: m.coldClickToFirstMs, unit: 'ms', note: `run done ${(m.coldClickToDoneMs / 1000).toFixed(1)} s` },
    { name: 'click Probe -> first statistics, warm (second probe)', value: m.warmClickToFirstMs, unit: 'ms', note: `run done ${(m.warmClickToDoneMs / 1000).toFixed(1)} s` },
    { name: 'frame time while streaming: median', value: m.streamMedianMs, unit: 'ms', note: `${m.streamFrames} frames over ${(m.streamSpanMs / 1000).toFixed(1)} s` },
    { name: 'frame time while streaming: p95', value: m.streamP95Ms, unit: 'ms', note: pct(m.streamOver50) },
    { name: 'frame time while streaming: longest', value: m.streamMaxMs, unit: 'ms' },
    { name: 'long tasks while streaming (> 50 ms)', value: m.streamLongTasks, unit: '', note: `${Math.round(m.streamLongTaskMs)} ms of ${Math.round(m.streamSpanMs)} ms` },
    { name: 'frame time while streaming, cold run: p95', value: m.coldStreamP95Ms, unit: 'ms', note: `median ${m.coldStreamMedianMs.toFixed(1)} ms, longest ${Math.round(m.coldStreamMaxMs)} ms` },
  ];
}
