#!/usr/bin/env node
// WebGL suite driver: bundles test/webgl/page.ts, opens it in headless Debian Chromium (WebGL 2 on SwiftShader, via
// the e2e harness), runs every registered test one at a time with a per-test timeout, prints each result with
// its notes, then the Node-side tests of `normlens probe --backend webgl` (cliProbe.mjs, which start their own
// Chromium), and ends with exactly one line `SUITE-RESULT passed=N failed=M` (scripts/test.mjs sums those).
// Anything that stops the suite from running (no Chromium, bundle error, page crash) counts as one failure.
//   node test/webgl/run.mjs [--only substring] [--test-timeout MS]
import { parseArgs } from 'node:util';
import { withTimeout } from '../e2e/harness/common.mjs';
import { openBundledPage } from './browserPage.mjs';
import { cliTests } from './cliProbe.mjs';

const { values: flags } = parseArgs({
  options: { only: { type: 'string' }, 'test-timeout': { type: 'string' } },
});
const testTimeoutMs = Number(flags['test-timeout'] ?? 120_000);
const started = Date.now();
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
let passed = 0;
let failed = 0;
let session;

function report(line) {
  console.log(line);
}

try {
  session = await withTimeout(
    openBundledPage({
      entry: 'test/webgl/page.ts',
      onConsole: (type, text) => {
        // Chromium's note that a readback waits for the GPU is what dataSync does by design.
        if (/GPU stall due to ReadPixels/.test(text)) return;
        if (type === 'error' || type === 'warning' || process.env.WEBGL_VERBOSE) report(`  [page ${type}] ${text}`);
      },
    }),
    120_000,
    'bundling the test page and starting Chromium',
  );
  const { page, pageErrors } = session;
  const renderer = await withTimeout(page.evaluate(() => globalThis.normlensWebgl.setup()), 60_000, 'tfjs backend setup');
  report(`webgl: renderer ${renderer ?? '(no WebGL 2)'}`);
  let names = await page.evaluate(() => globalThis.normlensWebgl.list());
  if (flags.only) names = names.filter((n) => n.includes(flags.only));
  for (const name of names) {
    let result;
    try {
      result = await withTimeout(page.evaluate((n) => globalThis.normlensWebgl.run(n), name), testTimeoutMs, `test "${name}"`);
    } catch (err) {
      result = { name, ok: false, ms: testTimeoutMs, error: err.message, notes: [] };
    }
    if (pageErrors.length) {
      result = { ...result, ok: false, error: `${result.error ?? ''} uncaught page errors: ${pageErrors.splice(0).join('; ')}`.trim() };
    }
    if (result.ok) passed++;
    else failed++;
    report(`${result.ok ? '✔' : '✖'} ${name} (${secs(result.ms)})`);
    for (const n of result.notes) report(`    ${n}`);
    if (!result.ok) report(`    ${String(result.error).split('\n').join('\n    ')}`);
  }
} catch (err) {
  failed++;
  report(`✖ webgl suite could not run: ${err.message}`);
} finally {
  await session?.close();
}
for (const t of cliTests.filter((x) => !flags.only || x.name.includes(flags.only))) {
  const notes = [];
  const t0 = Date.now();
  let error = null;
  try {
    await withTimeout(t.run(notes), Math.max(testTimeoutMs, 240_000), `test "${t.name}"`);
  } catch (err) {
    error = err.message;
  }
  if (error === null) passed++;
  else failed++;
  report(`${error === null ? '✔' : '✖'} ${t.name} (${secs(Date.now() - t0)})`);
  for (const n of notes) report(`    ${n}`);
  if (error !== null) report(`    ${String(error).split('\n').join('\n    ')}`);
}
report(`webgl: ${passed} passed, ${failed} failed in ${secs(Date.now() - started)}`);
console.log(`SUITE-RESULT passed=${passed} failed=${failed}`);
process.exit(failed ? 1 : 0);
