// The Keras and TensorFlow.js examples in the light theme; the quick-fix menu on a selu-init squiggle.
export const options = { userSettings: { 'workbench.colorTheme': 'Default Light Modern' } };

// Only lenses of the visible editor: editors of other tabs stay in the DOM, hidden.
// Lenses without a command render as text, not links: match the decoration itself.
const LENS = '.monaco-editor .codelens-decoration:visible';

export async function run(ctx) {
  const { page } = ctx;
  await ctx.quickOpen('keras_selu.py');
  // A Keras model without name= is called after its variable.
  await ctx.waitFor(LENS, { hasText: 'NormLens model:', timeoutMs: 30_000 });
  await ctx.waitFor('.monaco-editor .squiggly-warning');
  await ctx.screenshot('keras');
  // Put the cursor on the first flagged Dense and open the quick-fix menu.
  const dense = page.locator('.monaco-editor .view-line', { hasText: 'layers.Dense(512, activation="selu"),' }).first();
  await dense.click();
  await page.keyboard.press('Control+.');
  await ctx.waitFor('.action-widget', { hasText: 'lecun_normal' });
  await ctx.screenshot('keras-quickfix');
  await page.keyboard.press('Escape');

  await ctx.quickOpen('model.json');
  await ctx.waitFor(LENS, { hasText: /predicted\s+mu/, timeoutMs: 30_000 });
  await ctx.screenshot('tfjs-json');
}
