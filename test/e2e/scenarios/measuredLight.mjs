// Measured results in the editor, light theme (same steps as measuredDark.mjs).
import { measuredScenario } from './measuredDark.mjs';

export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Light Modern',
    'editor.hover.delay': 100,
    'normlens.probe.steps': 4,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 16,
  },
};

export async function run(ctx) {
  await measuredScenario(ctx);
}
