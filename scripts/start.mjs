#!/usr/bin/env node
// `npm start`: build and package the extension, provision code-server (first run only), install the .vsix into a
// fresh profile and serve a real VS Code on the examples/ workspace. Prints the address; Ctrl+C stops it.
//   npm start -- --port 8123 --folder path/to/models
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCodeServer, installVsix } from '../test/e2e/harness/codeServer.mjs';
import { makeRunDir } from '../test/e2e/harness/common.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const folder = resolve(arg('--folder') ?? join(root, 'examples'));

function step(title, cmd, args) {
  console.log(`\n== ${title}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`npm start: "${title}" failed (exit ${r.status})`);
    process.exit(1);
  }
}

step('provision code-server + chromium (first run only)', process.execPath, [join(root, 'scripts', 'provision-e2e.mjs')]);
step('build and package the extension', 'npm', ['run', 'package']);

const run = makeRunDir('start');
const installed = await installVsix({ vsix: join(root, 'dist', 'normlens.vsix'), runDir: run.dir });
console.log(`\n== installed ${installed.id} into a fresh profile (${run.dir})`);
const server = await startCodeServer({ runDir: run.dir, userSettings: { 'workbench.colorTheme': 'Default Dark Modern' } });
const url = server.workbenchUrl({ folder });
console.log(`\nNormLens is running in VS Code (code-server) on ${folder}\n\n    ${url}\n\nOpen that address in a browser. Ctrl+C stops the server.`);

const stop = async () => {
  await server.stop();
  run.remove();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
await new Promise(() => {});
