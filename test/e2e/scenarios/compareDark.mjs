// The Compare panel in the dark theme: open the deep sigmoid MLP, press Compare in the dashboard, wait until every
// variant ran on WebGL, and screenshot the panel (table, loss curves, depth profiles). The harness fails the
// scenario on any CSP violation in any frame.
export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Dark Modern',
    // Small probes: seven variants on SwiftShader on two shared cores.
    'normlens.probe.steps': 12,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 16,
  },
  timeoutMs: 420_000,
};

export async function run(ctx) {
  await compareAndShoot(ctx, { file: 'deep_sigmoid_mlp.py', model: 'net', variants: 7, edit: 'nn.BatchNorm1d(width)' });
}

/** Shared with the light scenario: open `file`, press Compare, wait for every variant, screenshot; Apply BatchNorm shows `edit`. */
export async function compareAndShoot(ctx, { file, model, variants, edit }) {
  const { page } = ctx;
  await ctx.quickOpen(file);
  await ctx.waitFor('.monaco-editor .codelens-decoration a:visible', { hasText: /^Probe$/, timeoutMs: 30_000 });
  await ctx.runCommand('NormLens: Open Dashboard');
  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await view.locator('h1', { hasText: model }).waitFor({ timeout: 60_000 });
  const panel = view.locator('section.compare');
  const t0 = Date.now();
  await panel.locator('vscode-button', { hasText: 'Compare' }).click();
  await panel.locator('tbody tr').first().waitFor({ timeout: 60_000 });
  await ctx.poll(async () => (await panel.locator('tbody tr[data-status="done"]').count()) === variants, {
    timeoutMs: 380_000,
    intervalMs: 500,
    what: `${variants} variants done`,
  });
  ctx.log(`Compare -> ${variants} variants done: ${Date.now() - t0} ms`);
  for (const chart of ['compare-loss', 'compare-depth']) await panel.locator(`section[data-chart="${chart}"] canvas`).waitFor({ timeout: 15_000 });
  await panel.locator('.table-scroll').scrollIntoViewIfNeeded();
  await ctx.screenshot('sidebar');
  // The panel is taller than the sidebar: its parts one by one (each scrolled into view).
  await ctx.screenshot('table', panel.locator('.table-scroll'));
  await ctx.screenshot('loss', panel.locator('section[data-chart="compare-loss"]'));
  await ctx.screenshot('depth', panel.locator('section[data-chart="compare-depth"]'));
  const rows = await panel.locator('tbody tr').allTextContents();
  ctx.log(`table: ${rows.join(' | ')}`);
  // Apply on the BatchNorm row: the host shows the edit in the refactor preview for confirmation.
  await panel.locator('tbody tr[data-variant="batchnorm"] button.apply').click();
  // The edit in the Refactor Preview (needsConfirmation: unchecked until the user checks it), in the file's idiom.
  await page.locator('.monaco-workbench .part.panel', { hasText: edit }).first().waitFor({ timeout: 30_000 });
  await ctx.screenshot('apply-preview');
  await page.locator('.monaco-workbench .part.panel a.monaco-button, .monaco-workbench .part.panel .monaco-button', { hasText: 'Discard' }).first().click();
  const errors = ctx.console.errors().filter((e) => /normlens|webview\.js/i.test(e));
  if (errors.length) throw new Error(`errors from the dashboard:\n  ${errors.join('\n  ')}`);
}
