#!/usr/bin/env node
// Bundles the three entry points with esbuild and copies the parser WASM next to them:
//   dist/extension.js  VS Code host (Node, cjs, `vscode` external; no tfjs on the start-up path)
//   dist/cli.js        `normlens` command line (Node, cjs)
//   dist/webview.js    dashboard + WebGL probe runtime (browser, iife)   [when webview/main.ts exists]
//   dist/probe-page.js the page `normlens probe --backend webgl` opens in headless Chromium (browser, iife)
// Flags: --watch, --minify (default on for the extension and webview), --metafile (writes dist/meta-*.json).
import * as esbuild from 'esbuild';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const watch = process.argv.includes('--watch');
const metafile = process.argv.includes('--metafile');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });

// The Python grammar and the tree-sitter runtime ship as WASM; the bundles load them from dist/.
for (const wasm of ['web-tree-sitter/tree-sitter.wasm', 'tree-sitter-python/tree-sitter-python.wasm']) {
  copyFileSync(require.resolve(wasm), join(dist, wasm.split('/').pop()));
}

// jsonc-parser's `main` is a UMD build that esbuild cannot follow; its ES module entry bundles cleanly.
// web-tree-sitter's ES build calls createRequire(import.meta.url); in a CommonJS bundle that must be this file's URL.
const nodeCjs = {
  define: { 'import.meta.url': 'importMetaUrl' },
  banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
  // The WASM files are loaded at run time from dist/ (or node_modules in a checkout), never bundled.
  external: ['vscode', '*.wasm'],
};
const common = { bundle: true, mainFields: ['module', 'main'], sourcemap: 'linked', logLevel: 'warning', metafile, absWorkingDir: root };
const builds = [
  { ...common, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node20', minify: true, ...nodeCjs },
  { ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli.js', platform: 'node', format: 'cjs', target: 'node20', ...nodeCjs },
  { ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', platform: 'browser', format: 'iife', target: 'es2022', minify: true },
  { ...common, entryPoints: ['cli/probePage.ts'], outfile: 'dist/probe-page.js', platform: 'browser', format: 'iife', target: 'es2022', minify: true, define: { 'process.env.NODE_ENV': '"production"' } },
].filter((b) => existsSync(join(root, b.entryPoints[0])));
// --only extension,cli: build a subset (for example while another entry point is being written).
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
if (onlyArg) {
  const names = onlyArg.slice('--only='.length).split(',');
  builds.splice(0, builds.length, ...builds.filter((b) => names.some((n) => b.outfile === `dist/${n}.js`)));
}

const { writeFileSync } = await import('node:fs');
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
  console.log(`watching ${builds.length} bundles`);
} else {
  const t0 = Date.now();
  const results = await Promise.all(builds.map((b) => esbuild.build(b)));
  if (metafile) results.forEach((r, i) => writeFileSync(join(dist, `meta-${i}.json`), JSON.stringify(r.metafile)));
  console.log(`built ${builds.map((b) => b.outfile).join(', ')} in ${Date.now() - t0} ms`);
}
