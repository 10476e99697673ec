// The two ways the harness runs an extension in a real VS Code (code-server + Chromium), each on a fresh user-data
// dir, extensions dir and copy of the workspace:
//   runInHostSuite  mocha inside the extension host (test-electron style) through the workbench's `payload` and
//                   the smoke-test driver hooks codeAutomationLog / codeAutomationExit
//   openUiSession   the installed .vsix in a workbench page that a scenario drives with Playwright
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format } from 'node:util';
import { copyWorkspace, makeRunDir, withTimeout } from './common.mjs';
import { installVsix, startCodeServer } from './codeServer.mjs';
import { captureConsole, launchChromium } from './browser.mjs';
import { waitForWorkbench } from './ui.mjs';

const defaultViewport = { width: 1400, height: 900 };

/** Turn one codeAutomationLog call (console-style arguments, format string first) into a line of text. */
function logLine(type, args) {
  return `[${type}] ${format(...(Array.isArray(args) ? args : [args]))}`;
}

/**
 * Run a mocha suite inside the extension host of a real VS Code.
 * @param {object} opts
 * @param {string} opts.suiteIndex  absolute path of the suite's index.js (exports run(); see mochaInHost.mjs)
 * @param {string} [opts.vsix]  packaged extension: installed, and its installed folder is the development path
 * @param {string} [opts.extensionPath]  an unpacked extension folder to use instead of `vsix`
 * @param {string} [opts.workspace]  folder copied and opened (none: empty window)
 * @param {Record<string, unknown>} [opts.userSettings]  extra user settings
 * @param {Record<string, string>} [opts.env]  extra environment for code-server and the extension host
 * @param {string} [opts.label]  name used in temp dir names and messages
 * @param {number} [opts.timeoutMs]  whole-run limit (server start + workbench + suite), default 180 s
 * @param {(line: string) => void} [opts.onLog]  called with each log line as it arrives
 * @param {boolean} [opts.keepRunDir]  keep the temp dir (user data, logs) for inspection
 * @returns {Promise<{ ok: boolean, exitCode: number | null, passed: number, failed: number,
 *   tests: { title: string, state: string, error?: string }[], logs: string[], error?: string, durationMs: number,
 *   runDir: string }>}
 */
export async function runInHostSuite(opts) {
  const { suiteIndex, vsix, extensionPath, workspace, userSettings = {}, env = {}, label = 'in-host', timeoutMs = 180_000, onLog, keepRunDir = false } = opts;
  const started = Date.now();
  const run = makeRunDir(label);
  const logs = [];
  const resultFile = join(run.dir, 'result.json');
  let server;
  let browser;
  let exitCode = null;
  let error;
  let work;
  try {
    if (!existsSync(suiteIndex)) throw new Error(`suite entry ${suiteIndex} does not exist`);
    work = (async () => {
      let devPath = extensionPath && resolve(extensionPath);
      if (vsix) {
        // Install into a staging dir the server does not load, then load that folder as the development extension:
        // the suite exercises exactly what the .vsix ships, once.
        const staged = await installVsix({ vsix, runDir: run.dir, extensionsDir: join(run.dir, 'staged-extensions') });
        devPath = staged.dir;
      }
      if (!devPath) throw new Error('runInHostSuite needs vsix or extensionPath');
      const folder = workspace ? copyWorkspace(workspace, run.dir) : undefined;
      server = await startCodeServer({ runDir: run.dir, userSettings, env: { ...env, E2E_RESULT_FILE: resultFile }, smokeTestDriver: true });
      browser = await launchChromium();
      const page = await browser.newPage({ viewport: defaultViewport });
      let finish;
      const exited = new Promise((r) => (finish = r));
      await page.exposeFunction('codeAutomationLog', (type, args) => {
        const line = logLine(type, args);
        logs.push(line);
        onLog?.(line);
      });
      await page.exposeFunction('codeAutomationExit', (code) => finish(code));
      page.on('pageerror', (err) => logs.push(`[pageerror] ${err.message}`));
      const payload = [
        ['extensionDevelopmentPath', server.remoteUri(devPath)],
        ['extensionTestsPath', server.remoteUri(resolve(suiteIndex))],
      ];
      await page.goto(server.workbenchUrl({ folder, payload }));
      exitCode = await exited;
    })();
    await withTimeout(work, timeoutMs, `in-host suite ${label} (${suiteIndex})`);
  } catch (err) {
    error = err.message;
  } finally {
    await browser?.close().catch(() => {});
    await server?.stop();
    // After a timeout the steps go on in the background: close whatever they start late.
    work?.finally(() => {
      browser?.close().catch(() => {});
      server?.stop();
    }).catch(() => {});
  }
  let counts = null;
  if (existsSync(resultFile)) {
    try {
      counts = JSON.parse(readFileSync(resultFile, 'utf8'));
    } catch (err) {
      error ??= `unreadable result file: ${err.message}`;
    }
  }
  if (!counts) {
    const m = logs.map((l) => l.match(/E2E-COUNTS passed=(\d+) failed=(\d+)/)).filter(Boolean).pop();
    if (m) counts = { passed: Number(m[1]), failed: Number(m[2]), tests: [] };
  }
  if (!counts) {
    error ??= `suite exited ${exitCode} without reporting counts (does index.js use runMochaSuite?)`;
    counts = { passed: 0, failed: 1, tests: [] };
  } else if (error && counts.failed === 0) {
    counts = { ...counts, failed: 1 };
  }
  if (keepRunDir) run.keep();
  else run.remove();
  const ok = !error && exitCode === 0 && counts.failed === 0;
  return { ok, exitCode, ...counts, logs, error, durationMs: Date.now() - started, runDir: run.dir };
}

/**
 * Start code-server with a .vsix installed, open a copy of `workspace` in Chromium and return the page.
 * Always `await session.close()` (in a finally).
 * @param {object} opts
 * @param {string} [opts.vsix]  the extension to install (omit to run plain VS Code)
 * @param {string[]} [opts.extraVsix]  more extensions to install
 * @param {string} [opts.workspace]  folder copied and opened (none: empty window)
 * @param {Record<string, unknown>} [opts.userSettings]  extra user settings, e.g. { 'workbench.colorTheme': 'Default Light Modern' }
 * @param {Record<string, string>} [opts.env]  extra environment for code-server and the extension host
 * @param {string} [opts.label]
 * @param {{ width: number, height: number }} [opts.viewport]
 * @param {number} [opts.startTimeoutMs]  limit for install + server start + workbench shell (default 120 s)
 * @param {boolean} [opts.keepRunDir]
 * @returns {Promise<UiSession>}
 */
export async function openUiSession(opts = {}) {
  const { vsix, extraVsix = [], workspace, userSettings = {}, env = {}, label = 'ui', viewport = defaultViewport, startTimeoutMs = 120_000, keepRunDir = false } = opts;
  const run = makeRunDir(label);
  const session = new UiSession(run, keepRunDir);
  let steps;
  try {
    steps = (async () => {
      for (const v of [vsix, ...extraVsix].filter(Boolean)) {
        const installed = await installVsix({ vsix: v, runDir: run.dir });
        session.extensions.push(installed);
      }
      session.workspaceDir = workspace ? copyWorkspace(workspace, run.dir) : undefined;
      session.server = await startCodeServer({ runDir: run.dir, userSettings, env });
      session.browser = await launchChromium();
      session.context = await session.browser.newContext({ viewport });
      session.page = await session.context.newPage();
      session.console = await captureConsole(session.page);
      await session.page.goto(session.server.workbenchUrl({ folder: session.workspaceDir }));
      await waitForWorkbench(session.page, { timeoutMs: startTimeoutMs });
    })();
    await withTimeout(steps, startTimeoutMs, `opening the workbench for ${label}`);
  } catch (err) {
    await session.close();
    // After a timeout the steps go on in the background: close whatever they start late.
    steps?.finally(() => session.close()).catch(() => {});
    throw err;
  }
  return session;
}

/** A workbench page with the extension installed; the fields are filled by openUiSession. */
export class UiSession {
  constructor(run, keepRunDir) {
    this._run = run;
    this._keep = keepRunDir;
    /** Temp dir holding user data, extensions, the workspace copy. */
    this.runDir = run.dir;
    /** @type {{ id: string, dir: string, packageJson: object }[]} installed extensions */
    this.extensions = [];
    /** @type {string | undefined} the opened workspace copy */
    this.workspaceDir = undefined;
    /** @type {import('./codeServer.mjs').CodeServer | undefined} */
    this.server = undefined;
    /** @type {import('playwright-core').Browser | undefined} */
    this.browser = undefined;
    /** @type {import('playwright-core').BrowserContext | undefined} */
    this.context = undefined;
    /** @type {import('playwright-core').Page | undefined} */
    this.page = undefined;
    /** @type {Awaited<ReturnType<typeof captureConsole>> | undefined} console capture, see browser.mjs */
    this.console = undefined;
  }

  /** Close the browser, stop the server's process group, delete the temp dir (unless kept). */
  async close() {
    await this.browser?.close().catch(() => {});
    await this.server?.stop();
    if (this._keep) this._run.keep();
    else this._run.remove();
  }
}
