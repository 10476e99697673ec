#!/usr/bin/env node
// `npm run test:electron`: the in-host e2e suites in a desktop VS Code that @vscode/test-electron downloads.
// Needs access to Microsoft's update service (not available on the CI machines, which use code-server instead:
// see test/e2e/run.mjs). Runs on a throwaway copy of examples/ so the suites may edit files.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const root = fileURLToPath(new URL('..', import.meta.url));
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--only=extension,webview'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(1);

const suitesDir = join(root, 'test', 'e2e', 'suites');
let failed = 0;
for (const suite of readdirSync(suitesDir)) {
  const workspace = mkdtempSync(join(tmpdir(), 'normlens-electron-'));
  cpSync(join(root, 'examples'), workspace, { recursive: true });
  try {
    await runTests({
      version: process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: join(suitesDir, suite, 'index.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
    console.log(`suite ${suite}: passed`);
  } catch (err) {
    failed++;
    console.error(`suite ${suite}: failed (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
