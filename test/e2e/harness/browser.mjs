// Debian Chromium driven by playwright-core, with WebGL on SwiftShader and nothing phoning home, plus a capture of
// everything the page says on its console (so scenarios can assert no CSP violations or uncaught exceptions).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { e2eDir, provisionedPaths, repoRoot } from './common.mjs';

const require = createRequire(join(repoRoot, 'package.json'));

/**
 * Flags every launch gets. The first four keep Chromium off the network; the SwiftShader pair pins WebGL to the
 * software Vulkan path even where a GPU exists (deterministic, and Chrome otherwise refuses the SwiftShader fallback
 * without --enable-unsafe-swiftshader; playwright-core adds that one too, but not every version will).
 */
export const chromiumArgs = Object.freeze([
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
]);

/**
 * Launch Chromium headless.
 * @param {{ executablePath?: string, extraArgs?: string[], headless?: boolean }} [opts]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchChromium({ executablePath, extraArgs = [], headless = true } = {}) {
  const { chromium } = require('playwright-core');
  // Chromium keeps its crash-report database under $XDG_CONFIG_HOME/chromium whatever --user-data-dir says: point the
  // XDG dirs into the git-ignored .e2e/ so runs leave nothing in $HOME.
  const xdg = join(e2eDir, 'chromium-xdg');
  return chromium.launch({
    executablePath: executablePath ?? provisionedPaths().chromium,
    headless,
    args: [...chromiumArgs, ...extraArgs],
    env: { ...process.env, XDG_CONFIG_HOME: join(xdg, 'config'), XDG_CACHE_HOME: join(xdg, 'cache') },
    timeout: 60_000,
  });
}

/**
 * Console errors every code-server workbench prints: vsda (Microsoft's closed-source signing module) is not shipped,
 * so its two files 404. errors() ignores these unless told otherwise.
 */
export const baselineConsoleNoise = Object.freeze([/\/vsda\//]);

/**
 * Collects console messages and uncaught page errors from every frame of `page` (webviews included), and reports CSP
 * violations both from Chromium's own console line and from `securitypolicyviolation` events.
 * Call before navigating.
 * @param {import('playwright-core').Page} page
 */
export async function captureConsole(page) {
  /** @type {{ type: string, text: string, url: string }[]} */
  const messages = [];
  /** @type {string[]} */
  const pageErrors = [];
  page.on('console', (msg) => messages.push({ type: msg.type(), text: msg.text(), url: msg.location()?.url ?? '' }));
  page.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`[e2e-csp] ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} in ${e.documentURI}`);
    });
  });
  return {
    messages,
    pageErrors,
    /** Console lines that report a Content Security Policy violation. */
    cspViolations() {
      return messages
        .filter((m) => m.text.startsWith('[e2e-csp]') || /Content Security Policy/i.test(m.text))
        .map((m) => m.text);
    },
    /**
     * Console errors (text and source URL) plus uncaught exceptions, without lines matching `ignore`
     * (default: baselineConsoleNoise).
     */
    errors({ ignore = baselineConsoleNoise } = {}) {
      const all = [...messages.filter((m) => m.type === 'error').map((m) => `${m.text}${m.url ? ` (${m.url})` : ''}`), ...pageErrors];
      return all.filter((t) => !ignore.some((re) => re.test(t)));
    },
  };
}

/**
 * What WebGL the page gets: renderer strings for WebGL1/2 (null when unavailable).
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{ webgl: string | null, webgl2: string | null }>}
 */
export function webGlInfo(page) {
  return page.evaluate(() => {
    const out = { webgl: null, webgl2: null };
    for (const kind of ['webgl', 'webgl2']) {
      const gl = document.createElement('canvas').getContext(kind);
      if (!gl) continue;
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      out[kind] = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    }
    return out;
  });
}
