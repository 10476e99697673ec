// A bundled TypeScript entry opened in headless Debian Chromium with WebGL on SwiftShader: esbuild bundles the entry
// in memory, a throwaway http server on 127.0.0.1 serves it, and the e2e harness launches the browser with its
// SwiftShader flags. Shared by the webgl test driver (test/webgl/run.mjs) and the probe benchmark
// (bench/probeBench.ts). Plain Node ESM, no build step.
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { launchChromium } from '../e2e/harness/browser.mjs';
import { provisionStampPath, provisionedPaths } from '../e2e/harness/common.mjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/**
 * The Chromium to drive: the provisioned one when provisioning ran, else Debian's /usr/bin/chromium.
 * Throws a one-line reason when there is none.
 */
export function chromiumPath() {
  if (existsSync(provisionStampPath)) {
    try {
      return provisionedPaths().chromium;
    } catch {
      // A partial stamp (code-server missing) still leaves a usable browser below.
    }
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error('no Chromium: install Debian chromium (node scripts/provision-e2e.mjs does) to run the WebGL suite');
}

/**
 * Bundle `entry` (absolute, or relative to the repo root) for the browser.
 * @returns {Promise<string>} the iife source
 */
export async function bundlePage(entry) {
  const result = await esbuild.build({
    entryPoints: [resolvePath(repoRoot, entry)],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    mainFields: ['module', 'main'],
    sourcemap: 'inline',
    logLevel: 'warning',
    absWorkingDir: repoRoot,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return result.outputFiles[0].text;
}

/**
 * Open `entry` in a fresh headless Chromium. The page's console lines go to `onConsole`. Always call close()
 * (it closes the browser and the server even after a failure).
 * @param {{ entry: string, onConsole?: (type: string, text: string) => void }} opts
 * @returns {Promise<{ page: import('playwright-core').Page, close: () => Promise<void>, pageErrors: string[] }>}
 */
export async function openBundledPage({ entry, onConsole }) {
  const script = await bundlePage(entry);
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>NormLens WebGL</title></head><body><script src="/page.js"></script></body></html>';
  const server = createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html);
    } else if (req.url === '/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      res.end(script);
    } else if (req.url === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const closeServer = () => new Promise((resolve) => server.close(() => resolve()));
  let browser;
  try {
    browser = await launchChromium({ executablePath: chromiumPath() });
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('console', (msg) => onConsole?.(msg.type(), msg.text()));
    page.on('pageerror', (err) => pageErrors.push(`${err.name}: ${err.message}`));
    const { port } = server.address();
    await page.goto(`http://127.0.0.1:${port}/`, { waitUntil: 'load', timeout: 60_000 });
    return {
      page,
      pageErrors,
      async close() {
        await browser.close().catch(() => {});
        await closeServer();
      },
    };
  } catch (err) {
    await browser?.close().catch(() => {});
    await closeServer();
    throw err;
  }
}
