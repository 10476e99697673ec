// The dashboard in the dark theme: click the Probe lens of the SELU example (PyTorch default init), watch the
// probe stream on WebGL in the sidebar, and screenshot the run panel, the layer table and every chart.
// The harness fails the scenario on any CSP violation in any frame, the webview included.
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
  await probeAndShoot(ctx, { file: 'selu_default_init.py', model: 'SeluMLP' });
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

async function probeAndShootOnce(ctx, { file, model }) {
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
  await view.locator('.status-badge .badge', { hasText: 'done' }).waitFor({ timeout: 180_000 });
  ctx.log(`click Probe -> run done: ${Date.now() - t0} ms`);
  const status = `${await view.locator('.status-text').textContent()} / ${await view.locator('.renderer').textContent()}`;
  ctx.log(`status: ${status}`);
  if (!/webgl/.test(status) || !/SwiftShader|ANGLE/.test(status)) throw new Error(`status does not name the WebGL backend and renderer: ${status}`);
  await ctx.screenshot('sidebar');
  await ctx.screenshot('run-panel', view.locator('section.run-panel'));
  await ctx.screenshot('layers', view.locator('section.layers'));
  for (const chart of ['depth-profile', 'loss', 'grad-norm', 'selu-plane']) {
    const section = view.locator(`section[data-chart="${chart}"]`);
    await section.locator('canvas').waitFor({ timeout: 15_000 });
    await ctx.screenshot(chart, section);
  }
  // Keyboard: Tab to the first layer name and press Enter: the editor reveals that layer.
  const firstLayer = view.locator('tbody button.link').first();
  const name = (await firstLayer.textContent()) ?? '';
  await firstLayer.focus();
  await page.keyboard.press('Enter');
  await ctx.poll(async () => (await page.locator('.monaco-editor .view-line .selected-text, .monaco-editor .selected-text').count()) > 0, { timeoutMs: 15_000, what: `${name} selected in the editor` });
  const errors = ctx.console.errors().filter((e) => /normlens|webview\.js/i.test(e));
  if (errors.length) throw new Error(`errors from the dashboard:\n  ${errors.join('\n  ')}`);
}
