// The dashboard in the light theme on the correct SNN (SELU + lecun_normal + AlphaDropout, 16 layers): the
// SELU plane should show every layer near the fixed point, inside Theorem 1's box.
import { probeAndShoot } from './dashboardDark.mjs';

export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Light Modern',
    'normlens.probe.steps': 6,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 16,
  },
};

export async function run(ctx) {
  await probeAndShoot(ctx, { file: 'snn_alpha_dropout.py', model: 'SNN', theme: 'light', exportChart: 'heatmap' });
}
