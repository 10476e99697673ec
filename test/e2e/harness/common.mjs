// Shared plumbing for the e2e harness: where things live, the provisioning stamp, polling with a timeout,
// temp directories, and copying a workspace. Plain Node ESM, no build step.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding package.json). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
/** The git-ignored folder provisioning installs into. */
export const e2eDir = join(repoRoot, '.e2e');
/** The stamp scripts/provision-e2e.mjs writes once everything is installed. */
export const provisionStampPath = join(e2eDir, 'provision.json');

/**
 * Paths of the provisioned tools (Node 24, code-server entry, chromium), read from the provisioning stamp.
 * Throws a readable error when provisioning has not run.
 * @returns {{ node: string, nodeHome: string, codeServerEntry: string, chromium: string }}
 */
export function provisionedPaths() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(provisionStampPath, 'utf8'));
  } catch {
    throw new Error(`e2e tools not provisioned (no ${provisionStampPath}): run node scripts/provision-e2e.mjs`);
  }
  for (const key of ['node', 'codeServerEntry', 'chromium']) {
    if (!stamp.paths?.[key] || !existsSync(stamp.paths[key])) {
      throw new Error(`provisioned ${key} missing (${stamp.paths?.[key]}): run node scripts/provision-e2e.mjs --force`);
    }
  }
  return stamp.paths;
}

/** Resolve with `ms` elapsed; only ever used as the interval between polls, never as a wait for a condition. */
function tick(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Poll `probe` until it returns a truthy value (which is returned) or the timeout passes (then throw, naming `what`
 * and the last error the probe threw, if any).
 * @template T
 * @param {() => T | Promise<T>} probe
 * @param {{ timeoutMs?: number, intervalMs?: number, what?: string }} [opts]
 * @returns {Promise<T>}
 */
export async function pollUntil(probe, { timeoutMs = 10_000, intervalMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError ? ` (last error: ${lastError.message ?? lastError})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await tick(intervalMs);
  }
}

/**
 * Race a promise against a deadline; on timeout reject with a message naming `what`. The timer never keeps the
 * process alive.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} timeoutMs
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withTimeout(promise, timeoutMs, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
    timer.unref?.();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Run dirs not yet removed; deleted if the process exits early (say, on the driver's total timeout). */
const liveRunDirs = new Set();
process.on('exit', () => {
  for (const dir of liveRunDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      /* a server still writing into it; /tmp is cleaned eventually */
    }
  }
});

/**
 * A fresh temp directory for one run (user data, extensions, config, workspace copy live under it).
 * @param {string} label  short name that appears in the directory name
 * @returns {{ dir: string, remove: () => void, keep: () => void }} remove() deletes it now; keep() leaves it on exit
 */
export function makeRunDir(label) {
  const safe = label.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40) || 'run';
  const dir = mkdtempSync(join(tmpdir(), `normlens-e2e-${safe}-`));
  liveRunDirs.add(dir);
  return {
    dir,
    remove: () => {
      liveRunDirs.delete(dir);
      rmSync(dir, { recursive: true, force: true });
    },
    keep: () => liveRunDirs.delete(dir),
  };
}

/**
 * Copy a workspace folder into `parentDir` so a run can edit files without touching the source tree.
 * @param {string} source  folder to copy
 * @param {string} parentDir  where the copy goes (the copy keeps the source folder's base name)
 * @returns {string} absolute path of the copy
 */
export function copyWorkspace(source, parentDir) {
  const from = resolve(source);
  if (!existsSync(from)) throw new Error(`workspace folder ${from} does not exist`);
  const to = join(parentDir, 'workspace', from.split('/').filter(Boolean).pop() ?? 'workspace');
  mkdirSync(to, { recursive: true });
  cpSync(from, to, { recursive: true, filter: (src) => !/\/(node_modules|\.git)(\/|$)/.test(src.slice(from.length)) });
  return to;
}
