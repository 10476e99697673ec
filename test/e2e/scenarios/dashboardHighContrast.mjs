// The dashboard in the high contrast theme on a 64-layer sigmoid MLP with unit-variance weights, trained 20 steps
// and sampled at each: the saturation heatmap at 64 layers x 21 sample points at sidebar width. No SELU, so the
// SELU plane must stay hidden.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeAndShoot } from './dashboardDark.mjs';

export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default High Contrast',
    'normlens.probe.steps': 20,
    'normlens.probe.sampleEvery': 1,
    'normlens.probe.batchSize': 16,
  },
  timeoutMs: 420_000,
};

const DEEP = `"""64 sigmoid layers with unit-variance weights: saturation spreads through depth."""
import torch.nn as nn

depth = 64
width = 16

layers = [nn.Linear(32, width), nn.Sigmoid()]
for _ in range(depth - 1):
    layers += [nn.Linear(width, width), nn.Sigmoid()]
layers.append(nn.Linear(width, 10))

net = nn.Sequential(*layers)

for m in net.modules():
    if isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, std=1.0)
`;

export async function run(ctx) {
  writeFileSync(join(ctx.workspaceDir, 'deep64_sigmoid.py'), DEEP);
  await probeAndShoot(ctx, { file: 'deep64_sigmoid.py', model: 'net', theme: 'high-contrast', exportChart: 'update-ratio', selu: false });
}
