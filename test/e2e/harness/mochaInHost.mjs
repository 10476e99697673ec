// Runs mocha inside the VS Code extension host and reports per-test results back to the driver. A suite's index.js
// (the `extensionTestsPath`, CommonJS) does only:
//
//   exports.run = async () => {
//     const { runMochaSuite } = await import(require('node:url').pathToFileURL(HARNESS + '/mochaInHost.mjs').href);
//     await runMochaSuite({ testsDir: __dirname });
//   };
//
// Test files are CommonJS (`*.test.js` / `*.test.cjs`) so `require('vscode')` goes through the extension host's
// module interceptor. Results reach the driver two ways: a JSON file named by $E2E_RESULT_FILE (the driver sets it in
// code-server's environment, which the extension host inherits), and a console line `E2E-COUNTS passed=N failed=M`
// that arrives through the workbench's codeAutomationLog. A failing test makes run() reject: exit code 1.
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

function listTestFiles(dir, pattern) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (name !== 'node_modules') out.push(...listTestFiles(full, pattern));
    } else if (pattern.test(name)) out.push(full);
  }
  return out;
}

/**
 * Run every test file under `testsDir` with mocha and report the counts.
 * @param {object} opts
 * @param {string} opts.testsDir  folder searched recursively for test files
 * @param {RegExp} [opts.pattern]  file names to load (default *.test.js / *.test.cjs)
 * @param {'bdd' | 'tdd'} [opts.ui]  mocha interface (default bdd: describe/it)
 * @param {number} [opts.timeoutMs]  per-test timeout (default 20 s; the extension host is slow on 2 cores)
 * @param {string} [opts.grep]  only tests whose full title matches (also read from $E2E_GREP)
 * @returns {Promise<{ passed: number, failed: number, tests: { title: string, state: string, error?: string }[] }>}
 */
export async function runMochaSuite({ testsDir, pattern = /\.test\.c?js$/, ui = 'bdd', timeoutMs = 20_000, grep } = {}) {
  const Mocha = require('mocha');
  const mocha = new Mocha({ ui, timeout: timeoutMs, color: false, reporter: 'spec', grep: grep ?? process.env.E2E_GREP });
  const tests = [];
  let result;
  try {
    const files = listTestFiles(testsDir, pattern);
    if (!files.length) throw new Error(`no test files matching ${pattern} under ${testsDir}`);
    for (const f of files) mocha.addFile(f);
    await new Promise((resolve, reject) => {
      let runner;
      try {
        runner = mocha.run(() => resolve());
      } catch (err) {
        reject(err);
        return;
      }
      runner.on('pass', (t) => tests.push({ title: t.fullTitle(), state: 'passed' }));
      runner.on('fail', (t, err) => tests.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err).slice(0, 2000) }));
      runner.on('pending', (t) => tests.push({ title: t.fullTitle(), state: 'pending' }));
    });
    result = {
      passed: tests.filter((t) => t.state === 'passed').length,
      failed: tests.filter((t) => t.state === 'failed').length,
      tests,
    };
  } catch (err) {
    // A suite that cannot load (syntax error, missing module) is one failure, never a silent pass.
    tests.push({ title: `(loading ${testsDir})`, state: 'failed', error: String(err?.stack ?? err) });
    result = { passed: tests.filter((t) => t.state === 'passed').length, failed: tests.filter((t) => t.state === 'failed').length, tests };
  }
  if (process.env.E2E_RESULT_FILE) writeFileSync(process.env.E2E_RESULT_FILE, JSON.stringify(result, null, 2));
  console.log(`E2E-COUNTS passed=${result.passed} failed=${result.failed}`);
  if (result.failed > 0) throw new Error(`${result.failed} e2e test(s) failed`);
  return result;
}
