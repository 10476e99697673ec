#!/usr/bin/env node
// Runs every test suite NormLens has and ends with one `N passed, N failed` line.
//   node scripts/test.mjs            typecheck, unit, webgl, e2e (in that order)
//   node scripts/test.mjs unit e2e   only the named suites
// Each suite reports its own counts; a suite that cannot run at all (say, no Chromium) counts as one failure with
// the reason printed, never as silently skipped.
import { spawn } from 'node:child_process';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const requested = process.argv.slice(2);
const suites = requested.length ? requested : ['typecheck', 'unit', 'webgl', 'e2e'];

function listTests(dir, suffix) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...listTests(full, suffix));
    else if (name.endsWith(suffix)) out.push(full);
  }
  return out;
}

/** Run a command, stream its output, and return { code, output }. */
function run(cmd, args, opts = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let output = '';
    const onData = (chunk) => {
      const s = chunk.toString();
      output += s;
      process.stdout.write(s);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
    child.on('error', (err) => resolve({ code: 1, output: String(err) }));
  });
}

/** node:test with the spec reporter prints `ℹ pass N` / `ℹ fail N` at the end. */
function nodeTestCounts(output) {
  const pass = [...output.matchAll(/^[ℹ#] pass (\d+)/gm)].map((m) => Number(m[1]));
  const fail = [...output.matchAll(/^[ℹ#] fail (\d+)/gm)].map((m) => Number(m[1]));
  if (!pass.length) return null;
  return { passed: pass[pass.length - 1], failed: fail.length ? fail[fail.length - 1] : 0 };
}

/** Suites print `SUITE-RESULT passed=N failed=N` (our own webgl and e2e drivers). */
function driverCounts(output) {
  const m = [...output.matchAll(/^SUITE-RESULT passed=(\d+) failed=(\d+)/gm)];
  if (!m.length) return null;
  return m.reduce((a, x) => ({ passed: a.passed + Number(x[1]), failed: a.failed + Number(x[2]) }), { passed: 0, failed: 0 });
}

const runners = {
  /** Strict TypeScript over every folder: one test that fails with the compiler's errors. */
  async typecheck() {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const { code } = await run(process.execPath, [tsc, '-p', '.', '--noEmit']);
    return code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1, note: 'tsc reported errors' };
  },
  async unit() {
    const files = listTests(join(root, 'test', 'unit'), '.test.ts');
    if (!files.length) return { passed: 0, failed: 1, note: 'no unit tests found' };
    const { code, output } = await run(process.execPath, [
      '--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2',
      ...files.map((f) => relative(root, f)),
    ]);
    const counts = nodeTestCounts(output);
    if (!counts) return { passed: 0, failed: 1, note: `unit runner exited ${code} without counts` };
    return counts;
  },
  async webgl() {
    const driver = join(root, 'test', 'webgl', 'run.mjs');
    if (!existsSync(driver)) return { passed: 0, failed: 0, note: 'no webgl suite yet' };
    const { code, output } = await run(process.execPath, [driver]);
    return driverCounts(output) ?? { passed: 0, failed: 1, note: `webgl driver exited ${code} without counts` };
  },
  async e2e() {
    const driver = join(root, 'test', 'e2e', 'run.mjs');
    if (!existsSync(driver)) return { passed: 0, failed: 0, note: 'no e2e suite yet' };
    const { code, output } = await run(process.execPath, [driver]);
    return driverCounts(output) ?? { passed: 0, failed: 1, note: `e2e driver exited ${code} without counts` };
  },
};

let passed = 0;
let failed = 0;
for (const name of suites) {
  const runner = runners[name];
  if (!runner) {
    console.error(`unknown suite "${name}" (known: ${Object.keys(runners).join(', ')})`);
    process.exit(2);
  }
  console.log(`\n=== ${name} ===`);
  const r = await runner();
  console.log(`--- ${name}: ${r.passed} passed, ${r.failed} failed${r.note ? ` (${r.note})` : ''}`);
  passed += r.passed;
  failed += r.failed;
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
