/**
 * Headless Chromium with WebGL on SwiftShader for `normlens probe --backend webgl`: finds a browser, launches it
 * through playwright-core (loaded lazily, so `analyze` and the CPU backend never need it) and opens a page that
 * runs one script, served from an intercepted URL (no server, no network).
 *
 * Which browser: $NORMLENS_CHROMIUM when set, else the one `node scripts/provision-e2e.mjs` recorded in
 * .e2e/provision.json (checkouts only), else Debian's /usr/bin/chromium. The flags are the e2e harness's
 * (test/e2e/harness/browser.mjs): nothing phones home and WebGL is pinned to SwiftShader, so results do not depend
 * on the machine's GPU driver.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** The one line a user sees when there is no browser to run WebGL in. */
export const NO_CHROMIUM = 'no Chromium found: install Debian chromium or use --backend cpu';

/** Why the WebGL backend cannot start; the CLI prints `normlens: <message>` and exits 2. */
export class BrowserUnavailableError extends Error {
  override name = 'BrowserUnavailableError';
}

/** Launch flags: offline, and WebGL on SwiftShader even where a GPU exists (same as the e2e harness). */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
]);

/** The repository (or installed package) root: this file is cli/*.ts under tsx, dist/cli.js when bundled. */
export const packageRoot = join(__dirname, '..');

/**
 * A require that esbuild leaves alone: playwright-core and esbuild are resolved at run time from the package's
 * node_modules, never bundled into dist/cli.js.
 */
export const runtimeRequire: NodeJS.Require = createRequire(join(packageRoot, 'package.json'));

/** The Chromium executable to drive, or throws BrowserUnavailableError(NO_CHROMIUM). */
export function findChromium(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.NORMLENS_CHROMIUM;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new BrowserUnavailableError(`${NO_CHROMIUM} (NORMLENS_CHROMIUM=${fromEnv} does not exist)`);
  }
  try {
    const stamp = JSON.parse(readFileSync(join(packageRoot, '.e2e', 'provision.json'), 'utf8')) as { paths?: { chromium?: string } };
    if (stamp.paths?.chromium && existsSync(stamp.paths.chromium)) return stamp.paths.chromium;
  } catch {
    // Not provisioned: the system browser below.
  }
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p;
  throw new BrowserUnavailableError(NO_CHROMIUM);
}

function loadPlaywright(): typeof import('playwright-core') {
  try {
    return runtimeRequire('playwright-core') as typeof import('playwright-core');
  } catch {
    throw new BrowserUnavailableError(`${NO_CHROMIUM} (the playwright-core package is not installed)`);
  }
}

/** An open page and how to close it (always call close(): it ends the browser process). */
export interface ChromiumPage {
  page: Page;
  /** Uncaught exceptions the page threw so far. */
  pageErrors: string[];
  close(): Promise<void>;
}

/**
 * Launch headless Chromium and open a blank document that runs `script` (an iife). Console errors go to `onConsole`.
 * Throws BrowserUnavailableError when there is no browser or it cannot start.
 */
export async function openScriptPage(script: string, onConsole?: (type: string, text: string) => void): Promise<ChromiumPage> {
  const executablePath = findChromium();
  const { chromium } = loadPlaywright();
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS], timeout: 60_000 });
  } catch (e) {
    const first = String(e instanceof Error ? e.message : e).split('\n')[0];
    throw new BrowserUnavailableError(`cannot start Chromium (${executablePath}): ${first}`);
  }
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('console', (m) => onConsole?.(m.type(), m.text()));
    page.on('pageerror', (e) => pageErrors.push(`${e.name}: ${e.message}`));
    // An intercepted origin instead of a local server: nothing listens, nothing leaves the machine.
    const origin = 'http://normlens.localhost';
    await page.route(`${origin}/**`, (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') {
        return route.fulfill({ contentType: 'text/html; charset=utf-8', body: '<!doctype html><meta charset="utf-8"><title>NormLens probe</title><script src="/page.js"></script>' });
      }
      if (path === '/page.js') return route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: script });
      return route.fulfill({ status: 404, body: '' });
    });
    await page.goto(`${origin}/`, { waitUntil: 'load', timeout: 60_000 });
    return {
      page,
      pageErrors,
      close: () => browser.close().catch(() => undefined),
    };
  } catch (e) {
    await browser.close().catch(() => undefined);
    throw e;
  }
}
