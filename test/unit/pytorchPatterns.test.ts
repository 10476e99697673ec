import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileModels } from '../../core/ir';
import { loadPythonParser } from '../../core/frontends/python/parser';
import { readPythonModels } from '../../core/frontends/python/readPython';

async function readText(text: string): Promise<FileModels> {
  return readPythonModels(text, await loadPythonParser());
}

test('the pytorch/examples MNIST net: F.max_pool2d, torch.flatten -> 9216 features, log_softmax', async () => {
  const text = readFileSync(join(__dirname, '../fixtures/pytorch/mnistExample.py'), 'utf8');
  const m = (await readText(text)).models[0];
  assert.equal(m.name, 'Net');
  assert.equal(m.batchSize, 64);
  assert.deepEqual(m.input, { shape: [1, 28, 28], assumed: false, layout: 'channels_first' });
  assert.deepEqual(
    m.layers.map((l) => l.name),
    ['conv1', 'relu', 'conv2', 'relu_1', 'max_pool2d', 'dropout1', 'flatten', 'fc1', 'relu_2', 'dropout2', 'fc2', 'log_softmax'],
  );
  assert.deepEqual(m.layers[2].spatial, [24, 24]);
  assert.deepEqual(m.layers[4].pool, { op: 'max', kernel: [2, 2], stride: [2, 2], padding: [0, 0], dims: 2 });
  assert.deepEqual(m.layers[4].spatial, [12, 12]);
  assert.equal(m.layers[6].out.value, 9216);
  assert.equal(m.layers[7].in.value, 9216);
  assert.equal(m.layers[11].activation?.name, 'log_softmax');
  assert.deepEqual(m.partial, []);
});

test('setattr / getattr with f-strings, ModuleList.append in a loop, nn.Module.__init__(self)', async () => {
  const r = await readText(`import torch.nn as nn
class Net(nn.Module):
    def __init__(self, sizes=(20, 40, 40, 5)):
        nn.Module.__init__(self)
        self.n = len(sizes) - 1
        for i in range(self.n):
            setattr(self, f'fc{i}', nn.Linear(sizes[i], sizes[i + 1]))
        self.acts = nn.ModuleList()
        for _ in range(self.n - 1):
            self.acts.append(nn.SELU())

    def forward(self, x):
        for i in range(self.n):
            x = getattr(self, 'fc%d' % i if False else f'fc{i}')(x)
            if i < self.n - 1:
                x = self.acts[i](x)
        return x
`);
  const m = r.models[0];
  assert.deepEqual(m.layers.map((l) => l.name), ['fc0', 'acts.0', 'fc1', 'acts.1', 'fc2']);
  assert.deepEqual(m.layers.map((l) => l.out.value), [40, 40, 40, 40, 5]);
  assert.equal(m.layers[2].initTarget, 'self.fc1');
  assert.deepEqual(m.partial, []);
});

test('dataclass config, generator expression in Sequential, yield-based builder, LightningModule', async () => {
  const r = await readText(`from dataclasses import dataclass
import torch.nn as nn
import pytorch_lightning as pl

@dataclass
class Config:
    width: int = 64
    depth: int = 3
    in_dim: int = 10

def blocks(width, depth):
    for _ in range(depth):
        yield nn.Linear(width, width)
        yield nn.Tanh()

class Lit(pl.LightningModule):
    def __init__(self, cfg: Config = Config(depth=2)):
        super().__init__()
        self.inp = nn.Linear(cfg.in_dim, cfg.width)
        self.body = nn.Sequential(*blocks(cfg.width, cfg.depth))
        self.head = nn.Sequential(*(nn.Linear(cfg.width, cfg.width // 2 ** k) for k in range(1, 3)))

    def forward(self, x):
        return self.head(self.body(self.inp(x)))
`);
  const m = r.models[0];
  assert.equal(m.name, 'Lit');
  assert.deepEqual(
    m.layers.map((l) => `${l.kind}:${l.in.value}->${l.out.value}`),
    ['dense:10->64', 'dense:64->64', 'activation:64->64', 'dense:64->64', 'activation:64->64', 'dense:64->32', 'dense:64->16'],
  );
});

test('Conv2d groups / dilation / valid padding, MaxPool2d and AvgPool2d with stride and padding', async () => {
  const r = await readText(`import torch.nn as nn
# normlens: image_size=64
net = nn.Sequential(
    nn.Conv2d(16, 32, kernel_size=(3, 5), stride=2, padding='valid', dilation=2, groups=4),
    nn.MaxPool2d(kernel_size=3, stride=2, padding=1),
    nn.AvgPool2d(2),
    nn.AdaptiveMaxPool2d(1),
    nn.Flatten(),
    nn.Linear(32, 8),
)
`);
  const m = r.models[0];
  const conv = m.layers[0];
  assert.deepEqual(conv.conv, { kernel: [3, 5], stride: [2, 2], padding: 'valid', dilation: [2, 2], groups: 4 });
  // floor((64 - 2*(3-1) - 1) / 2) + 1 = 30 ; floor((64 - 2*(5-1) - 1) / 2) + 1 = 28
  assert.deepEqual(conv.spatial, [30, 28]);
  // fan_in = 16 / 4 * 15 = 60 -> default Var 1/180.
  assert.ok(Math.abs(conv.init!.weightVariance! - 1 / 180) < 1e-15);
  assert.deepEqual(m.layers[1].spatial, [15, 14]);
  assert.deepEqual(m.layers[2].spatial, [7, 7]);
  assert.deepEqual(m.layers[3].pool?.outputSize, [1, 1]);
  assert.equal(m.layers[4].out.value, 32);
  assert.deepEqual(m.input, { shape: [16, 64, 64], assumed: false, layout: 'channels_first' });
});

test('remaining activation modules map to the normalised names', async () => {
  const r = await readText(`import torch.nn as nn
m = nn.Sequential(nn.Linear(4, 4), nn.Softplus(), nn.ReLU6(), nn.Hardsigmoid(), nn.Softsign(), nn.PReLU(), nn.LogSoftmax(dim=1), nn.SiLU(), nn.CELU())
`);
  const acts = r.models[0].layers.slice(1).map((l) => `${l.kind}:${l.activation?.name ?? '-'}`);
  assert.deepEqual(acts, [
    'activation:softplus', 'activation:relu6', 'activation:hard_sigmoid', 'activation:softsign', 'activation:prelu',
    'activation:log_softmax', 'activation:swish', 'other:-',
  ]);
  assert.equal(r.models[0].layers[5].activation?.param, 0.25);
});

test('weight_norm spelled through the full module path, spectral_norm passes the layer through', async () => {
  const r = await readText(`import torch
m = torch.nn.Sequential(
    torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(8, 8)),
    torch.nn.utils.spectral_norm(torch.nn.Linear(8, 8)),
)
`);
  assert.deepEqual(r.models[0].layers.map((l) => l.weightNorm ?? false), [true, false]);
  assert.equal(r.models[0].layers[1].kind, 'dense');
});

test('nn.Sequential subclass (torchvision-style MLP): super().__init__(*layers) registers the layers', async () => {
  const r = await readText(`import torch.nn as nn
class MLP(nn.Sequential):
    def __init__(self, in_channels, hidden_channels, activation_layer=nn.ReLU, dropout=0.0):
        layers = []
        in_dim = in_channels
        for hidden_dim in hidden_channels[:-1]:
            layers.append(nn.Linear(in_dim, hidden_dim))
            layers.append(activation_layer())
            layers.append(nn.Dropout(dropout))
            in_dim = hidden_dim
        layers.append(nn.Linear(in_dim, hidden_channels[-1]))
        super().__init__(*layers)

head = MLP(64, [128, 128, 10], activation_layer=nn.SELU)
`);
  const m = r.models[0];
  assert.equal(m.name, 'MLP');
  assert.deepEqual(m.layers.map((l) => l.activation?.name ?? `${l.kind}:${l.out.value}`), [
    'dense:128', 'selu', 'dropout:128', 'dense:128', 'selu', 'dropout:128', 'dense:10',
  ]);
  assert.equal(m.layers[3].initTarget, 'self[3]');
  assert.equal(m.layers[1].sourceType, 'activation_layer');
  assert.deepEqual(m.partial, []);
});

test('never a silent guess: undecidable module-level branches and unmodelled ops in forward() are reported', async () => {
  const r = await readText(`import sys
import torch.nn as nn
import some_lib

class Big(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 10)
        self.fc2 = nn.Linear(10, 10)

    def forward(self, x):
        x = some_lib.fancy_norm(self.fc1(x))
        return self.fc2(x * 0.5)

class Small(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 2)

    def forward(self, x):
        return self.fc(x)

if sys.argv[1] == 'big':
    model = Big()
else:
    model = Small()
`);
  assert.equal(r.models.length, 1);
  const m = r.models[0];
  assert.equal(m.name, 'Big');
  // The unknown call keeps the tensor flowing, so fc2 is still seen after it.
  assert.deepEqual(m.layers.map((l) => l.name), ['fc1', 'fc2']);
  assert.deepEqual(m.partial.map((p) => p.reason).sort(), [
    "\`some_lib.fancy_norm(...)\` is not modelled; its input is passed through unchanged",
    "condition \`sys.argv[1] == 'big'\` could not be evaluated; assumed true",
  ]);
});
