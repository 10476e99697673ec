import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analysisBench, type BenchRow } from './analysisBench';
import { extensionBench } from './extensionBench';

/** Runs every benchmark section side by side in one process, prints a table, writes bench-results/latest.json. */
async function main(): Promise<void> {
  const sections: Record<string, BenchRow[]> = {};
  const only = process.argv.slice(2);
  const all: [string, () => Promise<BenchRow[]>][] = [
    ['analysis', analysisBench],
    ['extension', extensionBench],
    ['dashboard', () => import('./dashboardBench').then((m) => m.dashboardBench())],
    ['probe', () => import('./probeBench').then((m) => m.probeBench())],
  ];
  for (const [name, fn] of all) {
    if (only.length && !only.includes(name)) continue;
    process.stderr.write(`running ${name}...\n`);
    sections[name] = await fn();
  }
  for (const [name, rows] of Object.entries(sections)) {
    console.log(`\n## ${name}`);
    const w = Math.max(...rows.map((r) => r.name.length));
    for (const r of rows) {
      console.log(`${r.name.padEnd(w)}  ${r.value.toFixed(r.value < 10 ? 2 : 1).padStart(9)} ${r.unit.padEnd(5)} ${r.goal ? `goal ${r.goal}` : ''}${r.note ? `  (${r.note})` : ''}`);
    }
  }
  const dir = join(__dirname, '..', 'bench-results');
  mkdirSync(dir, { recursive: true });
  const record = { date: new Date().toISOString(), node: process.version, sections };
  writeFileSync(join(dir, 'latest.json'), JSON.stringify(record, null, 2));
  console.log(`\nwrote bench-results/latest.json`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
