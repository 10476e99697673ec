// Runs one UI scenario: a module exporting `async function run(ctx)` that throws on failure, and optionally
// `export const options = { userSettings, env, workspace, timeoutMs, allowCspViolations }`.
// The scenario gets a fresh workbench with the .vsix installed and a copy of the workspace open.
import { pathToFileURL } from 'node:url';
import { pollUntil, withTimeout } from './common.mjs';
import { webGlInfo } from './browser.mjs';
import { openUiSession } from './sessions.mjs';
import { quickOpenFile, runCommand, saveScreenshot, selectors, waitForSelector } from './ui.mjs';

/**
 * What a scenario's run(ctx) receives.
 * @typedef {object} ScenarioContext
 * @property {import('playwright-core').Page} page  the workbench page
 * @property {import('./sessions.mjs').UiSession} session  server, browser, run dir, installed extensions
 * @property {string | undefined} workspaceDir  the opened copy of the workspace (edit files here freely)
 * @property {string} screenshotsDir  where screenshot() writes
 * @property {(name: string, target?: import('playwright-core').Locator) => Promise<string>} screenshot
 *   save `<scenario>-<name>.png` of the page (or of one element) and return its path
 * @property {(relPath: string, opts?: { timeoutMs?: number }) => Promise<void>} quickOpen  open a file via Control+P
 * @property {(title: string, opts?: { timeoutMs?: number }) => Promise<void>} runCommand  run a palette command
 * @property {(selector: string, opts?: { timeoutMs?: number, state?: 'attached' | 'detached' | 'visible' | 'hidden', hasText?: string | RegExp }) =>
 *   Promise<import('playwright-core').Locator>} waitFor  wait for a selector on the page
 * @property {typeof pollUntil} poll  poll any condition with a timeout
 * @property {Awaited<ReturnType<typeof import('./browser.mjs').captureConsole>>} console  captured console
 * @property {() => Promise<{ webgl: string | null, webgl2: string | null }>} webGl  WebGL renderer strings
 * @property {typeof selectors} selectors  workbench selectors known to work
 * @property {(msg: string) => void} log  print a line under the scenario's name
 */

/**
 * Import and run one scenario file.
 * @param {object} opts
 * @param {string} opts.file  the scenario module
 * @param {string} opts.name  its name in output and screenshot file names
 * @param {string} [opts.vsix]  the extension to install
 * @param {string} [opts.workspace]  default workspace (a scenario's options.workspace wins)
 * @param {string} opts.screenshotsDir
 * @param {number} [opts.timeoutMs]  default whole-scenario limit (options.timeoutMs wins), default 180 s
 * @param {(line: string) => void} [opts.log]
 * @returns {Promise<{ ok: boolean, error?: string, durationMs: number, screenshots: string[] }>}
 */
export async function runUiScenario({ file, name, vsix, workspace, screenshotsDir, timeoutMs = 180_000, log = console.log }) {
  const started = Date.now();
  const screenshots = [];
  let mod;
  try {
    mod = await import(pathToFileURL(file).href);
    if (typeof mod.run !== 'function') throw new Error('does not export `async function run(ctx)`');
  } catch (err) {
    return { ok: false, error: `cannot load scenario ${file}: ${err.message}`, durationMs: Date.now() - started, screenshots };
  }
  const options = mod.options ?? {};
  const limit = options.timeoutMs ?? timeoutMs;
  let session;
  let error;
  const body = (async () => {
    session = await openUiSession({
      vsix,
      workspace: options.workspace ?? workspace,
      userSettings: options.userSettings,
      env: options.env,
      label: name,
    });
    const { page } = session;
    /** @type {ScenarioContext} */
    const ctx = {
      page,
      session,
      workspaceDir: session.workspaceDir,
      screenshotsDir,
      screenshot: async (shot, target) => {
        const path = await saveScreenshot(target ?? page, screenshotsDir, `${name}-${shot}`);
        screenshots.push(path);
        return path;
      },
      quickOpen: (relPath, o) => quickOpenFile(page, relPath, o),
      runCommand: (title, o) => runCommand(page, title, o),
      waitFor: (selector, o) => waitForSelector(page, selector, o),
      poll: pollUntil,
      console: session.console,
      webGl: () => webGlInfo(page),
      selectors,
      log: (msg) => log(`  [${name}] ${msg}`),
    };
    await mod.run(ctx);
    if (!options.allowCspViolations) {
      const csp = session.console.cspViolations();
      if (csp.length) throw new Error(`Content Security Policy violations:\n    ${csp.join('\n    ')}`);
    }
  })();
  try {
    await withTimeout(body, limit, `scenario ${name}`);
  } catch (err) {
    error = err.message;
    if (session?.page) {
      const shot = await withTimeout(saveScreenshot(session.page, screenshotsDir, `${name}-FAILED`), 15_000, 'failure screenshot').catch(() => null);
      if (shot) screenshots.push(shot);
    }
  } finally {
    await session?.close();
    // After a timeout the body may still be starting things: close them when it settles.
    body.finally(() => session?.close()).catch(() => {});
  }
  return { ok: !error, error, durationMs: Date.now() - started, screenshots };
}

