// Starts and stops a throwaway code-server (VS Code 1.139 server + web workbench) and installs .vsix files into it.
// Every server gets a fresh user-data dir, extensions dir, config file and XDG dirs under one run directory, binds
// 127.0.0.1 on a free port, runs in its own process group (a plain SIGTERM to the leader leaves a file-watcher child
// alive) and never talks to a marketplace.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { pollUntil, provisionedPaths } from './common.mjs';

/** User settings that keep the workbench quiet and offline; scenarios add to these via `userSettings`. */
export const quietUserSettings = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'telemetry.telemetryLevel': 'off',
  'chat.disableAIFeatures': true,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
  'workbench.enableExperiments': false,
});

/** Process groups still alive; killed if the driver exits abruptly so no server outlives it. */
const liveGroups = new Set();
process.on('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released for code-server to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The environment code-server runs with: the caller's, minus variables that would make code-server act as a CLI of
 * an enclosing VS Code (VSCODE_IPC_HOOK_CLI and friends) or preload loaders into it (NODE_OPTIONS), plus private XDG
 * dirs, an empty gallery, and `extra` (which also reaches the extension host).
 */
function serverEnv(runDir, extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VSCODE_') || k === 'NODE_OPTIONS' || k === 'ELECTRON_RUN_AS_NODE' || k === 'PORT') continue;
    env[k] = v;
  }
  const xdg = join(runDir, 'xdg');
  Object.assign(env, {
    XDG_CONFIG_HOME: join(xdg, 'config'),
    XDG_DATA_HOME: join(xdg, 'data'),
    XDG_CACHE_HOME: join(xdg, 'cache'),
    EXTENSIONS_GALLERY: '{}',
    ...extra,
  });
  return env;
}

/** The directories one server uses, created under `runDir`. */
export function serverDirs(runDir) {
  const dirs = {
    userDataDir: join(runDir, 'user-data'),
    extensionsDir: join(runDir, 'extensions'),
    configFile: join(runDir, 'code-server.yaml'),
  };
  mkdirSync(join(dirs.userDataDir, 'User'), { recursive: true });
  mkdirSync(dirs.extensionsDir, { recursive: true });
  return dirs;
}

/** Run code-server as a one-shot CLI (install/list extensions); resolves with its output, rejects on failure. */
function runCli(args, { runDir, env = {}, timeoutMs = 120_000 }) {
  const { node, codeServerEntry } = provisionedPaths();
  return new Promise((resolve, reject) => {
    const child = spawn(node, [codeServerEntry, ...args], { env: serverEnv(runDir, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    liveGroups.add(child.pid);
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`code-server ${args[0]} did not finish within ${timeoutMs} ms: ${out.trim().slice(-1000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      liveGroups.delete(child.pid);
      if (code === 0) resolve(out);
      else reject(new Error(`code-server ${args.join(' ')} exited ${code ?? signal}: ${out.trim().slice(-2000)}`));
    });
  });
}

/**
 * Install a .vsix into an extensions dir with code-server's CLI.
 * @param {{ vsix: string, runDir: string, extensionsDir?: string, userDataDir?: string, timeoutMs?: number }} opts
 *   extensionsDir / userDataDir default to the run's server dirs (see serverDirs).
 * @returns {Promise<{ id: string, dir: string, packageJson: object }>} the installed extension's id and folder
 */
export async function installVsix({ vsix, runDir, extensionsDir, userDataDir, timeoutMs = 120_000 }) {
  if (!existsSync(vsix)) throw new Error(`vsix ${vsix} does not exist`);
  const dirs = serverDirs(runDir);
  const extDir = extensionsDir ?? dirs.extensionsDir;
  mkdirSync(extDir, { recursive: true });
  const before = new Set(readdirSync(extDir));
  await runCli(
    ['--install-extension', vsix, '--extensions-dir', extDir, '--user-data-dir', userDataDir ?? dirs.userDataDir, '--force'],
    { runDir, timeoutMs },
  );
  const added = readdirSync(extDir).filter((n) => !before.has(n) && existsSync(join(extDir, n, 'package.json')));
  if (added.length !== 1) throw new Error(`installing ${vsix} added ${added.length} extension folders (${added.join(', ')})`);
  const dir = join(extDir, added[0]);
  const packageJson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  return { id: `${packageJson.publisher}.${packageJson.name}`, dir, packageJson };
}

/**
 * Start code-server and wait until GET /healthz answers.
 * @param {object} opts
 * @param {string} opts.runDir  fresh directory owned by this run (see makeRunDir)
 * @param {Record<string, unknown>} [opts.userSettings]  merged over quietUserSettings into User/settings.json
 * @param {Record<string, string>} [opts.env]  extra environment for the server and the extension host
 * @param {boolean} [opts.smokeTestDriver]  pass --vscode-option enable-smoke-test-driver (needed for `payload`)
 * @param {string[]} [opts.extraArgs]  more code-server flags
 * @param {number} [opts.startTimeoutMs]  how long to wait for /healthz (default 60 s)
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer({ runDir, userSettings = {}, env = {}, smokeTestDriver = false, extraArgs = [], startTimeoutMs = 60_000 }) {
  const { node, codeServerEntry } = provisionedPaths();
  const dirs = serverDirs(runDir);
  writeFileSync(join(dirs.userDataDir, 'User', 'settings.json'), JSON.stringify({ ...quietUserSettings, ...userSettings }, null, 2));
  const port = await freePort();
  writeFileSync(dirs.configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  const args = [
    codeServerEntry,
    '--config', dirs.configFile,
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--user-data-dir', dirs.userDataDir,
    '--extensions-dir', dirs.extensionsDir,
    '--disable-telemetry',
    '--disable-update-check',
    // Workspace trust off unless a scenario turns it on (the untrusted-workspace scenario needs Restricted Mode).
    ...(userSettings['security.workspace.trust.enabled'] === true ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ...extraArgs,
  ];
  const child = spawn(node, args, { env: serverEnv(runDir, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  liveGroups.add(child.pid);
  const server = new CodeServer(child, port, dirs);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await pollUntil(
      async () => {
        if (server.exited) throw new Error(`code-server exited ${server.exitCode}: ${server.output().slice(-2000)}`);
        const res = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(2000) });
        return res.ok;
      },
      { timeoutMs: startTimeoutMs, intervalMs: 200, what: `code-server /healthz on port ${port}` },
    );
    if (server.exited) throw new Error(`code-server exited ${server.exitCode}: ${server.output().slice(-2000)}`);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** A running code-server. */
export class CodeServer {
  constructor(child, port, dirs) {
    this.child = child;
    this.port = port;
    /** @type {{ userDataDir: string, extensionsDir: string, configFile: string }} */
    this.dirs = dirs;
    this.origin = `http://127.0.0.1:${port}`;
    this.exited = false;
    this.exitCode = null;
    this._out = [];
    child.stdout.on('data', (d) => this._out.push(d.toString()));
    child.stderr.on('data', (d) => this._out.push(d.toString()));
    this._exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code ?? signal;
        resolve();
      });
      child.on('error', (err) => {
        this._out.push(String(err));
        this.exited = true;
        resolve();
      });
    });
  }

  /** Everything the server printed so far. */
  output() {
    return this._out.join('');
  }

  /** The vscode-remote URI for an absolute path on this machine (what `payload` and remote openers expect). */
  remoteUri(absPath) {
    return `vscode-remote://127.0.0.1:${this.port}${encodeURI(absPath)}`;
  }

  /**
   * URL of the workbench, optionally opening `folder` and carrying a `payload` (array of [key, value] pairs).
   * @param {{ folder?: string, payload?: [string, string][] }} [opts]
   */
  workbenchUrl({ folder, payload } = {}) {
    const url = new URL(`${this.origin}/`);
    if (folder) url.searchParams.set('folder', folder);
    if (payload) url.searchParams.set('payload', JSON.stringify(payload));
    return url.toString();
  }

  /** End the whole process group: SIGTERM, then SIGKILL whatever is left after a grace period. */
  async stop({ graceMs = 5000 } = {}) {
    const pid = this.child.pid;
    if (pid === undefined) return;
    const signalGroup = (sig) => {
      try {
        process.kill(-pid, sig);
      } catch {
        /* group already gone */
      }
    };
    signalGroup('SIGTERM');
    await Promise.race([this._exit, new Promise((r) => setTimeout(r, graceMs).unref())]);
    // The leader may be gone while a watcher child lingers in the group.
    signalGroup('SIGKILL');
    liveGroups.delete(pid);
  }
}
