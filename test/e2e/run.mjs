#!/usr/bin/env node
// End-to-end driver: provisions code-server + Chromium, builds and packages the extension, then runs every registered
// suite against the packaged .vsix in a real VS Code, one after another, each with fresh user data, extensions dir
// and a copy of the workspace:
//   test/e2e/suites/<name>/index.js   mocha inside the extension host (see harness/mochaInHost.mjs)
//   test/e2e/scenarios/<name>.mjs     UI scenarios: export async function run(ctx), throw on failure
// Ends with exactly one line `SUITE-RESULT passed=N failed=M` (scripts/test.mjs sums those). Anything that stops a
// suite from running (provisioning, build, startup, timeouts) counts as a failure with the reason printed.
//
// Options (flag or environment variable):
//   --extension-dir DIR   E2E_EXTENSION_DIR   extension to build and package (default: the repo)
//   --suites-dir DIR      E2E_SUITES_DIR      in-host suites (default test/e2e/suites)
//   --scenarios-dir DIR   E2E_SCENARIOS_DIR   UI scenarios (default test/e2e/scenarios)
//   --workspace DIR       E2E_WORKSPACE       folder copied and opened (default <repo>/examples)
//   --vsix FILE           E2E_VSIX            use this package; skips build and packaging
//   --skip-build          E2E_SKIP_BUILD=1    package without `npm run build` (vsce still runs vscode:prepublish)
//   --skip-provision      E2E_SKIP_PROVISION=1
//   --only a,b            E2E_ONLY            run only these suites/scenarios (by name)
//   --results-dir DIR     E2E_RESULTS_DIR     screenshots and logs (default test-results/e2e)
//   --suite-timeout MS    E2E_SUITE_TIMEOUT_MS   per suite/scenario (default 300000)
//   --total-timeout MS    E2E_TOTAL_TIMEOUT_MS   whole run including provisioning (default 2400000)
//   --verbose             E2E_VERBOSE=1       stream every workbench log line of in-host suites
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from './harness/common.mjs';
import { runInHostSuite } from './harness/sessions.mjs';
import { runUiScenario } from './harness/scenarios.mjs';

let flags;
try {
  ({ values: flags } = parseArgs({
    options: {
      'extension-dir': { type: 'string' },
      'suites-dir': { type: 'string' },
      'scenarios-dir': { type: 'string' },
      workspace: { type: 'string' },
      vsix: { type: 'string' },
      'skip-build': { type: 'boolean' },
      'skip-provision': { type: 'boolean' },
      only: { type: 'string' },
      'results-dir': { type: 'string' },
      'suite-timeout': { type: 'string' },
      'total-timeout': { type: 'string' },
      verbose: { type: 'boolean' },
    },
  }));
} catch (err) {
  console.log(`✖ e2e: ${err.message}`);
  console.log('SUITE-RESULT passed=0 failed=1');
  process.exit(2);
}
const env = process.env;
const config = {
  extensionDir: resolve(flags['extension-dir'] ?? env.E2E_EXTENSION_DIR ?? repoRoot),
  suitesDir: resolve(flags['suites-dir'] ?? env.E2E_SUITES_DIR ?? join(repoRoot, 'test', 'e2e', 'suites')),
  scenariosDir: resolve(flags['scenarios-dir'] ?? env.E2E_SCENARIOS_DIR ?? join(repoRoot, 'test', 'e2e', 'scenarios')),
  workspace: resolve(flags.workspace ?? env.E2E_WORKSPACE ?? join(repoRoot, 'examples')),
  vsix: flags.vsix || env.E2E_VSIX || undefined,
  skipBuild: flags['skip-build'] ?? env.E2E_SKIP_BUILD === '1',
  skipProvision: flags['skip-provision'] ?? env.E2E_SKIP_PROVISION === '1',
  only: (flags.only ?? env.E2E_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  resultsDir: resolve(flags['results-dir'] ?? env.E2E_RESULTS_DIR ?? join(repoRoot, 'test-results', 'e2e')),
  suiteTimeoutMs: Number(flags['suite-timeout'] ?? env.E2E_SUITE_TIMEOUT_MS ?? 300_000),
  totalTimeoutMs: Number(flags['total-timeout'] ?? env.E2E_TOTAL_TIMEOUT_MS ?? 2_400_000),
  verbose: flags.verbose ?? env.E2E_VERBOSE === '1',
};

const started = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
/** @type {{ name: string, kind: string, passed: number, failed: number, note?: string, ms: number }[]} */
const results = [];
let finished = false;

/** Print the per-suite table and the one SUITE-RESULT line, then exit. */
function finish(extraFailures = []) {
  if (finished) return;
  finished = true;
  for (const f of extraFailures) results.push({ ...f, passed: 0, failed: 1, ms: 0 });
  console.log('\n--- e2e summary');
  for (const r of results) {
    console.log(`  ${r.failed ? '✖' : '✔'} ${r.kind.padEnd(8)} ${r.name.padEnd(28)} ${r.passed} passed, ${r.failed} failed  ${secs(r.ms)}${r.note ? `  (${r.note})` : ''}`);
  }
  const passed = results.reduce((a, r) => a + r.passed, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  console.log(`  total ${secs(Date.now() - started)}`);
  console.log(`SUITE-RESULT passed=${passed} failed=${failed}`);
  process.exit(failed ? 1 : 0);
}

/** Registered suites and scenarios, in name order, filtered by --only. */
function discover() {
  const units = [];
  if (existsSync(config.suitesDir)) {
    for (const name of readdirSync(config.suitesDir).sort()) {
      const index = join(config.suitesDir, name, 'index.js');
      if (statSync(join(config.suitesDir, name)).isDirectory() && existsSync(index)) units.push({ kind: 'in-host', name, file: index });
    }
  }
  if (existsSync(config.scenariosDir)) {
    for (const file of readdirSync(config.scenariosDir).sort()) {
      if (file.endsWith('.mjs')) units.push({ kind: 'ui', name: basename(file, '.mjs'), file: join(config.scenariosDir, file) });
    }
  }
  return config.only.length ? units.filter((u) => config.only.includes(u.name)) : units;
}

/** Run a command, streaming its output indented; resolves { code, output } and never outlives `timeoutMs`. */
function step(cmd, args, { cwd, timeoutMs }) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let output = '';
    const onData = (d) => {
      output += d;
      process.stdout.write(String(d).replace(/^(?=.)/gm, '    '));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      output += `\n(killed after ${timeoutMs} ms)`;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolvePromise({ code: 1, output: `${output}\n${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

/** Workbench chatter that buries the interesting lines of a failed in-host run. */
const workbenchNoise = /Ignoring fetching additional builtin extensions|Creating a socket|connection token|AccountPolicyGate|AgentHost|\[Service Worker\]|reconnection-grace-time|Updating additional builtin extensions cache/;

/** The most telling line of a failed step's output (esbuild/tsc/npm error lines beat the stack's last line). */
function lastLine(output) {
  // eslint-disable-next-line no-control-regex
  const lines = output.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
  return (
    lines.findLast((l) => /provision-e2e FAILED|\bERROR:|error TS\d+|npm error (?!A complete log)/.test(l)) ??
    lines.find((l) => /\bError:/.test(l)) ??
    lines.at(-1) ??
    ''
  );
}

/** Build (npm run build, when the extension has one) and package with vsce; returns the .vsix path. */
async function buildAndPackage() {
  let pkg;
  try {
    pkg = JSON.parse(readFileSync(join(config.extensionDir, 'package.json'), 'utf8'));
  } catch (err) {
    throw new Error(`cannot read ${join(config.extensionDir, 'package.json')}: ${err.message}`);
  }
  // vsce package always runs `vscode:prepublish`; when the extension has one, that is the build (running
  // `npm run build` as well would build twice).
  const prepublish = pkg.scripts?.['vscode:prepublish'];
  if (prepublish) console.log(`\n=== build: by vsce through vscode:prepublish (${prepublish})`);
  else if (!config.skipBuild && pkg.scripts?.build) {
    console.log(`\n=== build: npm run build (${config.extensionDir})`);
    const b = await step('npm', ['run', 'build'], { cwd: config.extensionDir, timeoutMs: 600_000 });
    if (b.code !== 0) throw new Error(`npm run build failed (exit ${b.code}): ${lastLine(b.output)}`);
  }
  const out = join(repoRoot, '.e2e', `${pkg.name}.vsix`);
  mkdirSync(join(repoRoot, '.e2e'), { recursive: true });
  rmSync(out, { force: true });
  const vsce = join(repoRoot, 'node_modules', '@vscode', 'vsce', 'vsce');
  console.log(`\n=== package: vsce package -> ${out}`);
  // Flags for what would otherwise be interactive prompts (stdin is closed, so a prompt fails rather than hangs) or
  // errors that do not matter for a test package (README links vsce cannot rewrite without a repository URL).
  const vsceArgs = ['package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '-o', out];
  const p = await step(process.execPath, [vsce, ...vsceArgs], {
    cwd: config.extensionDir,
    timeoutMs: prepublish ? 600_000 : 180_000,
  });
  if (p.code !== 0 || !existsSync(out)) throw new Error(`vsce package failed (exit ${p.code}): ${lastLine(p.output)}`);
  return out;
}

async function runUnit(unit, vsix) {
  const t0 = Date.now();
  console.log(`\n=== ${unit.kind} ${unit.name} (${unit.file})`);
  if (unit.kind === 'in-host') {
    const r = await runInHostSuite({
      suiteIndex: unit.file,
      vsix,
      workspace: config.workspace,
      label: unit.name,
      timeoutMs: config.suiteTimeoutMs,
      onLog: config.verbose ? (l) => console.log(`    ${l}`) : undefined,
    });
    writeFileSync(join(config.resultsDir, `${unit.name}.in-host.log`), r.logs.join('\n') + '\n');
    // Lines a suite prints for the record (E2E-METRIC name=value ...), without the workbench chatter.
    for (const l of r.logs) if (/^\[\w+\] E2E-(?!COUNTS)/.test(l)) console.log(`  ${l.replace(/^\[\w+\] /, '')}`);
    for (const t of r.tests) {
      console.log(`  ${t.state === 'passed' ? '✔' : t.state === 'failed' ? '✖' : '-'} ${t.title}`);
      if (t.error) console.log(t.error.replace(/^/gm, '      '));
    }
    if (r.error) {
      console.log(`  ✖ ${r.error}`);
      if (!config.verbose) console.log(r.logs.filter((l) => !workbenchNoise.test(l)).slice(-40).join('\n').replace(/^/gm, '    | '));
    }
    const note = r.error ?? (r.exitCode !== 0 && !r.failed ? `extension host exit code ${r.exitCode}` : undefined);
    const failed = r.failed || (r.exitCode !== 0 ? 1 : 0);
    return { name: unit.name, kind: unit.kind, passed: r.passed, failed, note, ms: Date.now() - t0 };
  }
  const r = await runUiScenario({
    file: unit.file,
    name: unit.name,
    vsix,
    workspace: config.workspace,
    screenshotsDir: config.resultsDir,
    timeoutMs: config.suiteTimeoutMs,
  });
  for (const s of r.screenshots) console.log(`  screenshot ${s}`);
  console.log(r.ok ? `  ✔ ${unit.name}` : `  ✖ ${unit.name}: ${r.error}`);
  return { name: unit.name, kind: unit.kind, passed: r.ok ? 1 : 0, failed: r.ok ? 0 : 1, note: r.ok ? undefined : r.error.split('\n')[0], ms: Date.now() - t0 };
}

async function main() {
  const units = discover();
  let current = null;
  process.on('SIGINT', () => process.exit(130));
  process.on('SIGTERM', () => process.exit(143));
  // A late rejection from a run that already timed out (a browser closing under it) must not kill the driver before
  // it prints SUITE-RESULT.
  process.on('unhandledRejection', (err) => console.log(`  (ignored late error: ${err?.message ?? err})`));
  setTimeout(() => {
    console.log(`\n✖ e2e run exceeded ${config.totalTimeoutMs} ms; stopping`);
    const done = new Set(results.map((r) => `${r.kind}:${r.name}`));
    finish(units.filter((u) => !done.has(`${u.kind}:${u.name}`)).map((u) => ({ name: u.name, kind: u.kind, note: u === current ? 'cut off by the total timeout' : 'not run: total timeout' })));
  }, config.totalTimeoutMs).unref();

  if (!units.length) {
    finish([{ name: '(discovery)', kind: 'setup', note: `no suites in ${config.suitesDir} and no scenarios in ${config.scenariosDir}` }]);
    return;
  }
  console.log(`e2e: ${units.length} suite(s): ${units.map((u) => `${u.kind}:${u.name}`).join(', ')}`);
  mkdirSync(config.resultsDir, { recursive: true });
  const failAll = (why) => finish(units.map((u) => ({ name: u.name, kind: u.kind, note: why })));

  if (!config.skipProvision) {
    console.log('\n=== provision');
    const p = await step(process.execPath, [join(repoRoot, 'scripts', 'provision-e2e.mjs')], { cwd: repoRoot, timeoutMs: 1_200_000 });
    if (p.code !== 0) {
      console.log(`✖ e2e provisioning failed: ${lastLine(p.output)}`);
      return failAll(`provisioning failed: ${lastLine(p.output)}`);
    }
  }

  let vsix = config.vsix && resolve(config.vsix);
  try {
    vsix ??= await buildAndPackage();
    if (!existsSync(vsix)) throw new Error(`vsix ${vsix} does not exist`);
  } catch (err) {
    console.log(`✖ e2e build failed: ${err.message}`);
    return failAll(`build failed: ${err.message}`);
  }

  for (const unit of units) {
    current = unit;
    try {
      results.push(await runUnit(unit, vsix));
    } catch (err) {
      console.log(`  ✖ ${unit.name}: harness error: ${err.stack ?? err}`);
      results.push({ name: unit.name, kind: unit.kind, passed: 0, failed: 1, note: `harness error: ${err.message}`, ms: 0 });
    }
  }
  finish();
}

main().catch((err) => {
  console.log(`✖ e2e driver crashed: ${err.stack ?? err}`);
  finish([{ name: '(driver)', kind: 'setup', note: String(err.message ?? err) }]);
});
