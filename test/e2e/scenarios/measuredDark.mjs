// Measured results in the editor (dark theme): click the Probe lens of the deep sigmoid MLP, wait for the run in
// the dashboard, then the editor: layer lenses read "measured", the model lens names step and backend, the
// measured-saturation squiggles and their hover, the Problems panel rows; then an edit turns the lenses stale.
export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Dark Modern',
    'editor.hover.delay': 100,
    // Tiny probes: SwiftShader on two shared cores is slow.
    'normlens.probe.steps': 4,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 16,
  },
};

export async function run(ctx) {
  await measuredScenario(ctx);
}

// Only lenses of the visible editor: editors of other tabs stay in the DOM, hidden.
const LENS = '.monaco-editor .codelens-decoration:visible';

/** Shared with the light scenario. */
export async function measuredScenario(ctx) {
  const { page } = ctx;
  await ctx.quickOpen('deep_sigmoid_mlp.py');
  await ctx.waitFor(LENS, { hasText: /predicted\s+mu/, timeoutMs: 30_000 });
  const probe = await ctx.waitFor('.monaco-editor .codelens-decoration a:visible', { hasText: /^Probe$/, timeoutMs: 30_000 });
  await probe.click();
  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await view.locator('.status-badge .badge', { hasText: 'done' }).waitFor({ timeout: 180_000 });
  const done = Date.now();
  // The editor's lenses switch to measured values: a real repaint of the editor, not just the provider.
  const lens = await ctx.waitFor(LENS, { hasText: /measured\s+mu/, timeoutMs: 30_000 });
  ctx.log(`run done in the view -> measured lens painted in the editor: ${Date.now() - done} ms`);
  ctx.log(`first measured lens: ${await lens.textContent()}`);
  const model = await ctx.waitFor(LENS, { hasText: /NormLens net: measured step 4\/4 on \w+/ });
  ctx.log(`model lens: ${await model.textContent()}`);
  if (await page.locator(LENS, { hasText: /predicted\s+mu/ }).count()) throw new Error('a layer lens still reads predicted');
  // Give the editor the whole window: hide the sidebar (the dashboard) for the editor shots.
  await ctx.runCommand('View: Toggle Primary Side Bar Visibility');
  await ctx.waitFor('.monaco-editor .squiggly-warning');
  await ctx.screenshot('lenses-and-squiggles');

  // Hover the Sigmoid of line 7: the diagnostic hover lists the measured finding, then the NormLens hover.
  const line = page.locator('.monaco-editor .view-line', { hasText: 'layers = [nn.Linear(64, width), nn.Sigmoid()]' }).first();
  // Monospace: the character's x from the rendered line's width (Monaco's token spans vary by version).
  const content = line.locator(':scope > span').first();
  const box = await content.boundingBox();
  const lineText = (await content.textContent()) ?? '';
  if (!box || !lineText.includes('Sigmoid')) throw new Error(`the Sigmoid on line 7 is not visible (${lineText})`);
  const charWidth = box.width / lineText.length;
  await page.mouse.move(box.x + (lineText.indexOf('Sigmoid') + 3.5) * charWidth, box.y + box.height / 2);
  const hover = await ctx.waitFor('.monaco-hover', { hasText: 'Measured: sigmoid layer', timeoutMs: 15_000 });
  const text = (await hover.textContent()) ?? '';
  if (!/measured-saturation/.test(text)) throw new Error(`hover lacks the measured-saturation code: ${text.slice(0, 300)}`);
  if (!/by the probe \(0 \+ 1\) at step 4 of 4/.test(text)) throw new Error(`hover lacks the measured values: ${text.slice(0, 600)}`);
  await ctx.screenshot('measured-hover');
  // Scroll the hover to its measured table.
  const hoverBox = await hover.boundingBox();
  if (hoverBox) {
    await page.mouse.move(hoverBox.x + hoverBox.width / 2, hoverBox.y + Math.min(40, hoverBox.height / 2));
    const row = page.locator('.monaco-hover td', { hasText: 'measured variance' }).first();
    await ctx.poll(
      async () => {
        await page.mouse.wheel(0, 300);
        const r = await row.boundingBox();
        const h = await hover.boundingBox();
        return !!(r && h && r.y >= h.y && r.y + r.height <= h.y + h.height);
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the measured table scrolled into view in the hover' },
    );
    await ctx.screenshot('measured-hover-values');
  }
  await page.keyboard.press('Escape');

  await page.keyboard.press('Control+Shift+M');
  const row = await ctx.waitFor('.markers-panel .monaco-list-row', { hasText: 'measured-saturation' });
  ctx.log(`problems row: ${(await row.textContent())?.slice(0, 200)}`);
  await ctx.screenshot('problems');

  // Type in the editor: the measured lenses go stale and the layer lenses fall back to predicted.
  await page.locator('.monaco-editor .view-line', { hasText: 'width = 128' }).first().click();
  await page.keyboard.press('End');
  await page.keyboard.type('  # wider?');
  await ctx.waitFor(LENS, { hasText: 'measured: stale', timeoutMs: 15_000 });
  await ctx.waitFor(LENS, { hasText: /predicted\s+mu/, timeoutMs: 15_000 });
  await ctx.screenshot('stale');
}
