// The Compare panel in the light theme, on the Keras SELU example (glorot init, plain Dropout): SNN, the norms and
// the model as written side by side.
import { compareAndShoot } from './compareDark.mjs';

export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Light Modern',
    'normlens.probe.steps': 10,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 16,
  },
  timeoutMs: 420_000,
};

export async function run(ctx) {
  await compareAndShoot(ctx, { file: 'keras_selu.py', model: 'model', variants: 7, edit: 'layers.BatchNormalization()' });
}
