// Measured results in the editor, light theme (same steps and settings as measuredDark.mjs).
import { measuredScenario, options as dark } from './measuredDark.mjs';

export const options = {
  ...dark,
  userSettings: { ...dark.userSettings, 'workbench.colorTheme': 'Default Light Modern' },
};

export async function run(ctx) {
  await measuredScenario(ctx);
}
