// The dashboard in the dark theme: click the Probe lens of the SELU example (PyTorch default init), watch the
// probe stream on WebGL in the sidebar, check that every chart drew (non-empty canvas), that the page does not
// overflow the sidebar, that hover and the keyboard read values out, that a chart's PNG export writes a real PNG,
// and that the charts redraw when the theme changes; screenshot the run panel, the layer table and every chart
// (into test-results and docs/images). The harness fails the scenario on any CSP violation in any frame.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { infiniteAnimations } from '../harness/ui.mjs';

export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Dark Modern',
    // Tiny probes: SwiftShader on two shared cores is slow.
    'normlens.probe.steps': 8,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 16,
  },
};

export async function run(ctx) {
  await probeAndShoot(ctx, { file: 'selu_default_init.py', model: 'SeluMLP', theme: 'dark', exportChart: 'distribution', toggleTheme: true });
}

/** On failure, what the page said: the dashboard logs through the console as well as to the host. */
function dumpConsole(ctx) {
  const fromView = (m) => /webview|vscode-cdn|index\.html/.test(m.url) || /normlens/i.test(m.text);
  for (const m of ctx.console.messages.filter((x) => x.type === 'error' || fromView(x)).slice(-60)) ctx.log(`console ${m.type}: ${m.text.slice(0, 400)} (${m.url.slice(0, 80)})`);
}

/** Shared by the light scenario: open `file`, click its Probe lens, wait for the run, screenshot each part. */
export async function probeAndShoot(ctx, options) {
  try {
    await probeAndShootOnce(ctx, options);
  } catch (err) {
    dumpConsole(ctx);
    throw err;
  }
}

/** Every chart of a trained run; the SELU plane only for SELU networks (hidden otherwise). */
const CHARTS = ['depth-profile', 'distribution', 'loss', 'grad-norm', 'update-ratio', 'heatmap', 'selu-plane'];
const DOCS_IMAGES = fileURLToPath(new URL('../../../docs/images/', import.meta.url));

/** Element screenshot into test-results, copied to docs/images as dashboard-<theme>-<name>.png. */
async function shoot(ctx, theme, name, locator) {
  const path = await ctx.screenshot(name, locator);
  mkdirSync(DOCS_IMAGES, { recursive: true });
  copyFileSync(path, join(DOCS_IMAGES, `dashboard-${theme}-${name}.png`));
  return path;
}

/** Opaque pixels on a chart's canvas (the canvas is transparent where nothing was drawn) and a hash of them. */
function canvasInk(section) {
  return section.locator('canvas').first().evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    let hash = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3]) ink++;
      hash = (hash * 31 + d[i] + 7 * d[i + 1] + 13 * d[i + 2] + 17 * d[i + 3]) | 0;
    }
    return { ink, hash, width: c.width, height: c.height };
  });
}

/** PNG: signature, then an IHDR chunk with the width and height (big-endian). */
function pngHeader(bytes) {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length < 33 || !signature.every((b, i) => bytes[i] === b)) throw new Error(`not a PNG: first bytes ${[...bytes.subarray(0, 8)].map((b) => b.toString(16)).join(' ')}`);
  if (bytes.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without an IHDR chunk first');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

async function probeAndShootOnce(ctx, { file, model, theme, exportChart = null, toggleTheme = false, selu = true }) {
  const { page } = ctx;
  await ctx.quickOpen(file);
  const probe = await ctx.waitFor('.monaco-editor .codelens-decoration a:visible', { hasText: /^Probe$/, timeoutMs: 30_000 });
  const t0 = Date.now();
  await probe.click();
  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await view.locator('h1', { hasText: model }).waitFor({ timeout: 60_000 });
  // First streamed statistics: a measured cell in the layer table.
  await ctx.poll(async () => ((await view.locator('td .meas').first().textContent()) ?? '').trim() !== '', { timeoutMs: 120_000, intervalMs: 50, what: 'the first measured statistics' });
  ctx.log(`click Probe -> first statistics on screen: ${Date.now() - t0} ms`);
  // Nothing may animate forever while the probe runs (spinners, indeterminate progress): on software WebGL every
  // composited frame slows the probe computing in this window (~5x with three spinners, bench dashboard).
  const looping = await infiniteAnimations(page);
  if (looping.length) throw new Error(`animations running forever while probing: ${looping.join(', ')}`);
  await view.locator('.status-badge .badge', { hasText: 'done' }).waitFor({ timeout: 240_000 });
  ctx.log(`click Probe -> run done: ${Date.now() - t0} ms`);
  const status = `${await view.locator('.status-text').textContent()} / ${await view.locator('.renderer').textContent()}`;
  ctx.log(`status: ${status}`);
  // Checked at the end: whatever backend ran, the charts below are still checked and shot.
  const backendProblem = !/webgl/.test(status) || !/SwiftShader|ANGLE/.test(status) ? `status does not name the WebGL backend and renderer: ${status}` : null;

  // Sidebar width: nothing may widen the page (a horizontal scroll bar in a ~300 px view hides half of every chart).
  const overflow = await view.locator('main').evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  ctx.log(`page width ${overflow.client} px, content ${overflow.scroll} px`);
  if (overflow.scroll > overflow.client) throw new Error(`the dashboard overflows the sidebar horizontally: ${overflow.scroll} > ${overflow.client} px`);

  await ctx.screenshot('sidebar');
  await shoot(ctx, theme, 'run-panel', view.locator('section.run-panel'));
  await shoot(ctx, theme, 'layers', view.locator('section.layers'));
  const inks = {};
  for (const chart of CHARTS) {
    const section = view.locator(`section[data-chart="${chart}"]`);
    if (chart === 'selu-plane' && !selu) {
      if (await section.isVisible()) throw new Error('the SELU plane is shown for a network without SELU');
      continue;
    }
    await section.locator('canvas').first().waitFor({ timeout: 15_000 });
    // Every chart has drawn: its canvas has ink, and it has an accessible description.
    const ink = await ctx.poll(async () => {
      const r = await canvasInk(section);
      return r.ink > 500 ? r : null;
    }, { timeoutMs: 10_000, what: `${chart} to draw` });
    inks[chart] = ink;
    const label = (await section.locator('.chart-body[aria-label], canvas.heatmap[aria-label]').first().getAttribute('aria-label')) ?? '';
    if (label.length < 20) throw new Error(`${chart} has no useful aria-label: "${label}"`);
    ctx.log(`${chart}: ${ink.width}x${ink.height} canvas, ${ink.ink} opaque pixels; "${label.slice(0, 100)}"`);
    await section.scrollIntoViewIfNeeded();
    await shoot(ctx, theme, chart, section);
  }

  // Hover reads values out: the distribution chart's readout line under the pointer.
  const dist = view.locator('section[data-chart="distribution"]');
  const over = dist.locator('.u-over');
  // hover() scrolls the chart into view first (the screenshots above scrolled the view down to the last chart).
  const box = await over.boundingBox();
  await over.hover({ position: { x: box.width * 0.6, y: box.height / 2 } });
  const readout = await ctx.poll(async () => {
    const t = ((await dist.locator('.readout').textContent()) ?? '').trim();
    return /^step \d+: median /.test(t) ? t : null;
  }, { timeoutMs: 10_000, what: 'the distribution readout on hover' });
  ctx.log(`distribution hover: ${readout}`);

  // Keyboard: the heatmap takes focus and the arrow keys move its cursor cell, read out below it.
  const heat = view.locator('section[data-chart="heatmap"]');
  await heat.locator('canvas.heatmap').focus();
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowLeft');
  const heatText = await ctx.poll(async () => {
    const t = ((await heat.locator('.chart-body .readout').textContent()) ?? '').trim();
    return / · step \d+ · (\d+%|<1%) /.test(t) ? t : null;
  }, { timeoutMs: 10_000, what: 'the heatmap readout after arrow keys' });
  ctx.log(`heatmap keyboard: ${heatText}`);
  await shoot(ctx, theme, 'heatmap-cursor', heat);

  // Keyboard: focus the first layer name and press Enter: the editor reveals that layer, and the distribution
  // chart switches to it.
  const firstLayer = view.locator('tbody button.link').first();
  const name = (await firstLayer.textContent()) ?? '';
  await firstLayer.focus();
  await page.keyboard.press('Enter');
  await ctx.poll(async () => (await page.locator('.monaco-editor .view-line .selected-text, .monaco-editor .selected-text').count()) > 0, { timeoutMs: 15_000, what: `${name} selected in the editor` });
  await ctx.poll(async () => ((await dist.locator('.note').textContent()) ?? '').startsWith(`${name}, `), { timeoutMs: 10_000, what: `the distribution chart to show ${name}` });

  if (exportChart) {
    // PNG export through the real save dialog (the workbench's simple dialog: Enter accepts the proposed path).
    await view.locator(`section[data-chart="${exportChart}"] header vscode-button`).click();
    const input = await ctx.waitFor(ctx.selectors.quickInputBox, { timeoutMs: 20_000 });
    // The dialog fills in the folder first and the proposed file name once it has listed the folder.
    const expected = `${model}-${exportChart}.png`;
    const proposed = await ctx.poll(async () => {
      const v = await input.inputValue();
      return v.endsWith(expected) ? v : null;
    }, { timeoutMs: 15_000, what: `the save dialog to propose ${expected}` });
    ctx.log(`save dialog proposes ${proposed}`);
    await page.keyboard.press('Enter');
    // code-server runs on this machine: the dialog's path is a local path.
    const target = proposed;
    await ctx.poll(() => existsSync(target) && readFileSync(target).length > 33, { timeoutMs: 20_000, what: `${target} to be written` });
    const bytes = readFileSync(target);
    const { width, height } = pngHeader(bytes);
    const drawn = inks[exportChart];
    ctx.log(`exported ${target}: ${bytes.length} bytes, ${width}x${height}`);
    if (width !== drawn.width || height !== drawn.height) throw new Error(`exported PNG is ${width}x${height}, the canvas ${drawn.width}x${drawn.height}`);
  }

  if (toggleTheme) {
    // The charts follow a theme switch: the heatmap's pixels change (its colours come from the theme).
    const before = inks.heatmap.hash;
    await ctx.runCommand('Preferences: Toggle between Light/Dark Themes');
    const after = await ctx.poll(async () => {
      const r = await canvasInk(heat);
      return r.hash !== before && r.ink > 500 ? r : null;
    }, { timeoutMs: 20_000, what: 'the heatmap to redraw in the new theme' });
    ctx.log(`theme toggled: heatmap redrawn (${after.ink} opaque pixels)`);
    await ctx.screenshot('after-theme-toggle', heat);
  }

  const errors = ctx.console.errors().filter((e) => /normlens|webview\.js/i.test(e));
  if (errors.length) throw new Error(`errors from the dashboard:\n  ${errors.join('\n  ')}`);
  if (backendProblem) throw new Error(backendProblem);
}
