import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileModels } from '../../core/ir';
import { loadPythonParser } from '../../core/frontends/python/parser';
import { readPythonModels } from '../../core/frontends/python/readPython';

async function readFixture(name: string): Promise<FileModels> {
  const parser = await loadPythonParser();
  return readPythonModels(readFileSync(join(__dirname, '../fixtures/pytorch', name), 'utf8'), parser);
}

async function readText(text: string): Promise<FileModels> {
  return readPythonModels(text, await loadPythonParser());
}

test('nn.Sequential(*layers) built with a loop, += and append, initialised through model.modules()', async () => {
  const r = await readFixture('snnSequential.py');
  assert.equal(r.format, 'pytorch');
  assert.equal(r.error, null);
  assert.equal(r.models.length, 1);
  const m = r.models[0];
  assert.equal(m.name, 'model');
  assert.equal(m.framework, 'pytorch');
  assert.equal(m.batchSize, 128); // DataLoader(train, batch_size=128)
  assert.deepEqual(m.input, { shape: [784], assumed: true });
  // 1 input Linear + SELU, 7 x (Linear, SELU, AlphaDropout), output Linear.
  assert.equal(m.layers.length, 2 + 7 * 3 + 1);
  assert.deepEqual(
    m.layers.slice(0, 5).map((l) => l.kind),
    ['dense', 'activation', 'dense', 'activation', 'alphadropout'],
  );
  assert.deepEqual([m.layers[0].in.value, m.layers[0].out.value], [784, 256]);
  assert.deepEqual([m.layers[23].in.value, m.layers[23].out.value], [256, 10]);
  assert.equal(m.layers[1].activation?.name, 'selu');
  assert.equal(m.layers[4].rate, 0.05);
  // kaiming_normal_(fan_in, linear) = lecun normal: Var(w) = 1/fan_in, sigma_w^2 = 1.
  const init = m.layers[2].init!;
  assert.equal(init.scheme, 'kaiming_normal');
  assert.equal(init.explicit, true);
  assert.equal(init.nonlinearity, 'linear');
  assert.equal(init.weightVariance, 1 / 256);
  assert.equal(init.sigmaW2, 1);
  assert.equal(init.range?.startLine, 20);
  assert.deepEqual(m.layers[2].bias, { present: true, variance: 0, scheme: 'zeros' });
  // Ranges are the constructor calls; the quick-fix target indexes the Sequential.
  assert.equal(m.layers[0].range.startLine, 11);
  assert.equal(m.layers[0].range.startColumn, 10);
  assert.equal(m.layers[3].initTarget, 'model[3]');
  assert.equal(m.range.startLine, 16);
  assert.equal(m.layers[0].useRange, undefined);
  assert.deepEqual(m.partial, []);
});

test('OrderedDict names, model.apply(init_fn) with type(m) ==, calculate_gain and .data.fill_', async () => {
  const r = await readFixture('orderedDictApply.py');
  const [net, snn] = r.models;
  assert.equal(net.name, 'net');
  assert.deepEqual(net.layers.map((l) => l.name), ['fc1', 'act1', 'fc2', 'act2', 'head']);
  assert.deepEqual(net.layers.map((l) => l.sourceType), ['Linear', 'Tanh', 'Linear', 'Tanh', 'Linear']);
  const fc1 = net.layers[0];
  assert.equal(fc1.init?.scheme, 'xavier_uniform');
  assert.equal(fc1.init?.gain, 5 / 3);
  // xavier: Var = gain^2 * 2 / (fan_in + fan_out) = (25/9) * 2 / 84.
  assert.ok(Math.abs(fc1.init!.weightVariance! - ((25 / 9) * 2) / 84) < 1e-12);
  assert.deepEqual(fc1.bias, { present: true, variance: 0, scheme: 'constant' });
  assert.equal(net.layers[2].out.value, 128); // hidden * 2
  assert.equal(fc1.initTarget, 'net.fc1');
  // add_module in a loop, then parameters() with p.dim() > 1 and p.size(1).
  assert.equal(snn.name, 'snn');
  assert.deepEqual(snn.layers.map((l) => l.name), ['input', 'selu0', 'fc1', 'selu1', 'fc2', 'selu2', 'fc3', 'selu3']);
  assert.equal(snn.layers[2].init?.scheme, 'normal');
  assert.equal(snn.layers[2].init?.std, Math.sqrt(1 / 64));
  assert.ok(Math.abs(snn.layers[2].init!.sigmaW2! - 1) < 1e-12);
  assert.equal(snn.layers[2].bias?.scheme, 'pytorch_default');
  // Init statements go after the add_module loop, not after the empty Sequential.
  assert.equal(snn.initAnchor?.insertAfterLine, 31);
  assert.equal(snn.initAnchor?.moduleExpr, 'snn');
});

test('PyTorch default init: nn.Linear(256, 256) has Var(w) = 1/(3*256) and the default bias', async () => {
  const r = await readText('import torch.nn as nn\nnet = nn.Sequential(nn.Linear(256, 256), nn.ReLU())\n');
  const l = r.models[0].layers[0];
  assert.equal(l.init?.scheme, 'pytorch_default');
  assert.equal(l.init?.explicit, false);
  assert.equal(l.init?.weightVariance, 1 / (3 * 256));
  assert.equal(l.init?.sigmaW2, 1 / 3);
  assert.deepEqual(l.bias, { present: true, variance: 1 / (3 * 256), scheme: 'pytorch_default' });
  assert.equal(r.models[0].layers[1].activation?.name, 'relu');
  assert.equal(r.models[0].layers[1].kind, 'activation');
});

test('import spellings: torch.nn.Sequential, from torch import nn, from torch.nn import Linear, SELU', async () => {
  const variants = [
    'import torch\nmodel = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.SELU())\n',
    'from torch import nn\nmodel = nn.Sequential(nn.Linear(10, 20), nn.SELU())\n',
    'import torch.nn as nn\nmodel = nn.Sequential(nn.Linear(10, 20), nn.SELU())\n',
    'from torch.nn import Linear, SELU, Sequential\nmodel = Sequential(Linear(10, 20), SELU())\n',
    'import torch.nn\nmodel = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.SELU())\n',
    'from torch.nn import *\nmodel = Sequential(Linear(10, 20), SELU())\n',
  ];
  for (const text of variants) {
    const r = await readText(text);
    assert.equal(r.models.length, 1, text);
    const [fc, act] = r.models[0].layers;
    assert.deepEqual([fc.kind, fc.in.value, fc.out.value, act.activation?.name], ['dense', 10, 20, 'selu'], text);
  }
});

test('list comprehension with *unpacking, extend, slicing and arithmetic on module constants', async () => {
  const r = await readText(`import torch.nn as nn
WIDTH = 32
DEPTH = 3
blocks = [m for _ in range(DEPTH) for m in (nn.Linear(WIDTH, WIDTH), nn.Tanh())]
body = []
body.extend(blocks[:-1])
model = nn.Sequential(nn.Linear(WIDTH // 2, WIDTH), *body, nn.Linear(WIDTH, WIDTH ** 2 - 1))
`);
  const m = r.models[0];
  assert.deepEqual(m.layers.map((l) => l.kind), ['dense', 'dense', 'activation', 'dense', 'activation', 'dense', 'dense']);
  assert.equal(m.layers[0].in.value, 16);
  assert.equal(m.layers[6].out.value, 1023);
});

test('unresolved widths: value null, symbol named, partial reason with the symbol; directive pins them', async () => {
  const r = await readFixture('unresolvedSymbols.py');
  const [model, deep] = r.models;
  assert.deepEqual(model.layers[0].in, { value: null, symbol: 'in_dim' });
  assert.deepEqual(model.layers[2].out, { value: null, symbol: 'n_classes' });
  assert.deepEqual(model.partial.map((p) => p.symbol).sort(), ['in_dim', 'n_classes']);
  const p = model.partial.find((x) => x.symbol === 'in_dim')!;
  assert.equal(p.layer, 0);
  assert.equal(p.range?.startLine, 10);
  assert.equal(model.layers[0].init?.weightVariance, null);
  assert.equal(model.layers[0].init?.sigmaW2, 1 / 3); // known without the width
  // Constructor parameters without defaults or call sites: in_dim / out_dim / depth unknown.
  assert.equal(deep.name, 'DeepSNN');
  assert.deepEqual(deep.partial.map((x) => x.symbol).sort(), ['depth', 'in_dim', 'out_dim']);
  assert.match(deep.partial.find((x) => x.symbol === 'depth')!.reason, /range\(depth\)/);

  const pinned = await readFixture('unresolvedPinned.py');
  assert.deepEqual(pinned.directives.values, { in_dim: 784, n_classes: 10, out_dim: 10, depth: 4, batch: 256 });
  assert.equal(pinned.directives.range?.startLine, 0);
  const [m2, d2] = pinned.models;
  assert.deepEqual(m2.partial, []);
  assert.equal(m2.layers[0].in.value, 784);
  assert.equal(m2.layers[0].init?.weightVariance, 1 / (3 * 784));
  assert.equal(m2.batchSize, 256);
  assert.deepEqual(d2.partial, []);
  assert.equal(d2.layers.length, 2 + 4 * 2 + 1);
  assert.equal(d2.layers[10].out.value, 10);
});

test('a Sequential returned by a builder function nobody calls is still reported, named after it', async () => {
  const r = await readText(`import torch.nn as nn
def make_mlp(in_dim=64, hidden=128, depth=2):
    layers = []
    for i in range(depth):
        layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), nn.ELU(alpha=0.5)]
    return nn.Sequential(*layers)
`);
  assert.equal(r.models.length, 1);
  const m = r.models[0];
  assert.equal(m.name, 'make_mlp');
  assert.deepEqual(m.layers.map((l) => `${l.in.value}->${l.out.value}`), ['64->128', '128->128', '128->128', '128->128']);
  assert.equal(m.layers[1].activation?.param, 0.5);
  assert.equal(m.initAnchor, undefined); // no name to address it by
});

test('unknown module types become opaque "other" layers with a partial reason', async () => {
  const r = await readText('import torch.nn as nn\nm = nn.Sequential(nn.Embedding(1000, 64), nn.LSTM(64, 32), nn.Linear(32, 2))\n');
  const [emb, lstm, fc] = r.models[0].layers;
  assert.equal(emb.kind, 'other');
  assert.equal(emb.out.value, 64);
  assert.equal(lstm.kind, 'other');
  assert.equal(fc.in.value, 32);
  assert.deepEqual(
    r.models[0].partial.map((p) => [p.layer, p.reason]),
    [
      [0, 'nn.Embedding is not modelled; treated as an opaque layer'],
      [1, 'nn.LSTM is not modelled; treated as an opaque layer'],
    ],
  );
});
