// What a user sees: lenses, squiggles, the hover and the Problems panel on the SELU example (dark theme).
export const options = { userSettings: { 'workbench.colorTheme': 'Default Dark Modern', 'editor.hover.delay': 100 } };

// Only lenses of the visible editor: editors of other tabs stay in the DOM, hidden.
// Lenses without a command render as text, not links: match the decoration itself.
const LENS = '.monaco-editor .codelens-decoration:visible';

export async function run(ctx) {
  const { page } = ctx;
  await ctx.quickOpen('selu_default_init.py');
  const modelLens = await ctx.waitFor(LENS, { hasText: 'NormLens SeluMLP', timeoutMs: 30_000 });
  const text = (await modelLens.textContent()) ?? '';
  if (!/5 weight layers/.test(text)) throw new Error(`model lens reads "${text}"`);
  const layerLens = await ctx.waitFor(LENS, { hasText: /predicted\s+mu/ });
  ctx.log(`first layer lens: ${await layerLens.textContent()}`);
  // Squiggles: the selu-init errors are drawn on the nn.Linear calls.
  await ctx.waitFor('.monaco-editor .squiggly-error');
  await ctx.screenshot('lenses-and-squiggles');

  // Hover on `nn.Linear` of fc1: the NormLens hover with the predicted statistics and the SELU domain check.
  const fc1 = page.locator('.monaco-editor .view-line', { hasText: 'self.fc1 = nn.Linear' }).first();
  const box = await fc1.boundingBox();
  if (!box) throw new Error('fc1 line not visible');
  await page.mouse.move(box.x + 200, box.y + box.height / 2);
  const hover = await ctx.waitFor('.monaco-hover', { hasText: 'NormLens: fc1', timeoutMs: 15_000 });
  const hoverText = (await hover.textContent()) ?? '';
  for (const needle of ['pytorch_default', 'Theorem 1', 'lecun_normal']) {
    if (!hoverText.includes(needle)) throw new Error(`hover lacks "${needle}": ${hoverText.slice(0, 400)}`);
  }
  await ctx.screenshot('hover');
  await page.keyboard.press('Escape');

  // Problems panel: the findings with their codes.
  await page.keyboard.press('Control+Shift+M');
  const row = await ctx.waitFor('.markers-panel .monaco-list-row', { hasText: 'selu-init' });
  ctx.log(`problems row: ${(await row.textContent())?.slice(0, 160)}`);
  await ctx.screenshot('problems');
}
