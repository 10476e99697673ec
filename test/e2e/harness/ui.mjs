// Helpers for UI scenarios on the VS Code 1.139 web workbench: wait for selectors by polling with a timeout, open
// files through quick open, run commands through the palette, save screenshots. Selectors that worked are listed in
// shared docs e2e-real-vscode.md.
import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Selectors for workbench parts that scenarios use often. */
export const selectors = Object.freeze({
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget input',
  quickInputRow: '.quick-input-list .monaco-list-row',
  activeTab: '.tabs-container .tab.active',
  editor: '.editor-instance .monaco-editor',
  codeLens: '.monaco-editor .codelens-decoration a',
  hover: '.monaco-hover:not(.hidden)',
  problemsStatus: '#status\\.problems',
  markersRow: '.markers-panel .monaco-list-row',
  notificationToast: '.notifications-toasts .notification-toast',
});

/**
 * Wait until `selector` reaches `state` (Playwright polls), with a message that names the selector on timeout.
 * @param {import('playwright-core').Page | import('playwright-core').FrameLocator} scope  page or frame locator
 * @param {string} selector
 * @param {{ timeoutMs?: number, state?: 'attached' | 'detached' | 'visible' | 'hidden', hasText?: string | RegExp }} [opts]
 * @returns {Promise<import('playwright-core').Locator>} the first match
 */
export async function waitForSelector(scope, selector, { timeoutMs = 15_000, state = 'visible', hasText } = {}) {
  const locator = scope.locator(selector, hasText === undefined ? undefined : { hasText }).first();
  try {
    await locator.waitFor({ state, timeout: timeoutMs });
  } catch (err) {
    const text = hasText === undefined ? '' : ` with text ${hasText}`;
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${selector}${text} to be ${state}`, { cause: err });
  }
  return locator;
}

/**
 * Wait for the workbench to be up: the shell is rendered and the extension host has had a chance to start.
 * @param {import('playwright-core').Page} page
 * @param {{ timeoutMs?: number }} [opts]
 */
export async function waitForWorkbench(page, { timeoutMs = 60_000 } = {}) {
  await waitForSelector(page, selectors.workbench, { timeoutMs });
  await waitForSelector(page, '.statusbar', { timeoutMs });
}

/**
 * Open a workspace file through quick open (Control+P) and wait until its editor is active.
 * @param {import('playwright-core').Page} page
 * @param {string} relPath  path relative to the workspace folder (the base name is what the tab shows)
 * @param {{ timeoutMs?: number }} [opts]
 */
export async function quickOpenFile(page, relPath, { timeoutMs = 20_000 } = {}) {
  const name = basename(relPath);
  await page.keyboard.press('Control+P');
  const input = await waitForSelector(page, selectors.quickInputBox, { timeoutMs });
  await input.fill(relPath);
  // The file search runs on the server; wait for a row that names the file before accepting.
  await waitForSelector(page, selectors.quickInputRow, { timeoutMs, hasText: name });
  await page.keyboard.press('Enter');
  await waitForSelector(page, selectors.activeTab, { timeoutMs, hasText: name });
  await waitForSelector(page, `${selectors.editor} .view-lines`, { timeoutMs });
}

/**
 * Run a command by its palette title (F1, type, Enter).
 * @param {import('playwright-core').Page} page
 * @param {string} title  e.g. 'NormLens: Open Dashboard'
 * @param {{ timeoutMs?: number }} [opts]
 */
export async function runCommand(page, title, { timeoutMs = 15_000 } = {}) {
  await page.keyboard.press('F1');
  const input = await waitForSelector(page, selectors.quickInputBox, { timeoutMs });
  await input.fill(`>${title}`);
  await waitForSelector(page, selectors.quickInputRow, { timeoutMs, hasText: title });
  await page.keyboard.press('Enter');
  await waitForSelector(page, selectors.quickInput, { timeoutMs, state: 'hidden' });
}

/**
 * Save a PNG of the page (or of one element) into `dir`.
 * @param {import('playwright-core').Page | import('playwright-core').Locator} target
 * @param {string} dir
 * @param {string} name  file name without extension
 * @returns {Promise<string>} the file written
 */
export async function saveScreenshot(target, dir, name) {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
  await target.screenshot({ path: file });
  return file;
}

/**
 * Animations that never end, running in any frame of the window: each keeps the compositor drawing frames, which on a
 * software WebGL renderer slowed a probe computing in the dashboard about 5x. Returns "name on class" per animation.
 * @param {import('playwright-core').Page} page
 * @returns {Promise<string[]>}
 */
export async function infiniteAnimations(page) {
  const found = [];
  for (const f of page.frames()) {
    const names = await f
      .evaluate(() => document.getAnimations().filter((a) => a.playState === 'running' && a.effect?.getTiming().iterations === Infinity).map((a) => `${a.animationName ?? 'animation'} on ${a.effect?.target?.getAttribute?.('class') ?? a.effect?.target?.tagName ?? '?'}`))
      .catch(() => []);
    found.push(...names);
  }
  return found;
}
