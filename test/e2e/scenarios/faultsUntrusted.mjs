// An untrusted workspace (issue 6): with workspace trust on and the folder not trusted, VS Code runs in Restricted
// Mode; NormLens declares untrustedWorkspaces.supported = true (it never executes workspace code), so it must
// activate and analyse there exactly as in a trusted one: lenses and squiggles on the SELU example. Then the
// dashboard there: a model far too big to probe (10^10 parameters) is refused before anything runs, and the
// dashboard's run panel says why (screenshot).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const HUGE = `import torch
import torch.nn as nn


class Huge(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(100000, 100000)
        self.out = nn.Linear(100000, 10)

    def forward(self, x):
        return self.out(torch.relu(self.fc1(x)))


model = Huge()
`;
export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Dark Modern',
    'security.workspace.trust.enabled': true,
    // No modal on start: the folder simply stays untrusted (Restricted Mode).
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
  },
};

const LENS = '.monaco-editor .codelens-decoration:visible';

export async function run(ctx) {
  const { page } = ctx;
  // The workbench says it is in Restricted Mode (status bar entry and/or the banner).
  const restricted = await ctx.waitFor('.statusbar-item, .monaco-workbench .banner', { hasText: /Restricted Mode/, timeoutMs: 30_000 });
  ctx.log(`restricted: ${(await restricted.textContent())?.trim().slice(0, 120)}`);
  await ctx.quickOpen('selu_default_init.py');
  const modelLens = await ctx.waitFor(LENS, { hasText: 'NormLens SeluMLP', timeoutMs: 60_000 });
  const text = (await modelLens.textContent()) ?? '';
  if (!/5 weight layers/.test(text)) throw new Error(`model lens reads "${text}"`);
  await ctx.waitFor(LENS, { hasText: /predicted\s+mu/ });
  await ctx.waitFor('.monaco-editor .squiggly-error');
  // Still untrusted after the analysis: nothing asked for trust.
  if (!(await page.locator('.statusbar-item, .monaco-workbench .banner', { hasText: /Restricted Mode/ }).count())) throw new Error('the workspace became trusted');
  await ctx.screenshot('restricted-mode-lenses');

  writeFileSync(join(ctx.workspaceDir, 'huge_model.py'), HUGE);
  // Quick Open's file index does not know a file written after start: open it from the Explorer.
  const row = await ctx.waitFor('.explorer-folders-view .monaco-list-row', { hasText: 'huge_model.py', timeoutMs: 30_000 });
  await row.click();
  const probe = await ctx.waitFor('.monaco-editor .codelens-decoration a:visible', { hasText: /^Probe$/, timeoutMs: 30_000 });
  await probe.click();
  const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
  await view.locator('.status-badge .badge', { hasText: 'failed' }).waitFor({ timeout: 90_000 });
  const notes = (await view.locator('.run-notes').textContent()) ?? '';
  ctx.log(`run notes: ${notes}`);
  if (!/refused before starting: its 1\.0e\+10 parameters need [\d,]+ MiB .* above the 1,024 MiB memory budget of WebGL/.test(notes)) throw new Error(`the dashboard does not say why: ${notes}`);
  const toast = await ctx.waitFor('.notifications-toasts .notification-toast', { hasText: 'NormLens did not probe Huge', timeoutMs: 15_000 });
  ctx.log(`notification: ${(await toast.textContent())?.slice(0, 200)}`);
  await ctx.screenshot('refused-sidebar');
  await ctx.screenshot('refused-run-panel', view.locator('section.run-panel'));
}
