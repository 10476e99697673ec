import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileModels, Layer } from '../../core/ir';
import { loadPythonParser } from '../../core/frontends/python/parser';
import { readPythonModels } from '../../core/frontends/python/readPython';

async function readFixture(name: string): Promise<FileModels> {
  const parser = await loadPythonParser();
  return readPythonModels(readFileSync(join(__dirname, '../fixtures/pytorch', name), 'utf8'), parser);
}

async function readText(text: string): Promise<FileModels> {
  return readPythonModels(text, await loadPythonParser());
}

const kinds = (layers: Layer[]): string[] => layers.map((l) => l.kind);

test('class model: __init__ layers in forward() order, argparse defaults through the call site', async () => {
  const r = await readFixture('classModel.py');
  assert.equal(r.models.length, 1);
  const m = r.models[0];
  assert.equal(m.name, 'SNN');
  assert.equal(m.range.startLine, 14); // the class definition
  assert.equal(m.batchSize, 64); // --batch-size default
  // view -> fc_in -> selu, then 16 x (hidden[i], selu, dropout), then fc_out.
  assert.equal(m.layers.length, 3 + 16 * 3 + 1);
  assert.deepEqual(kinds(m.layers.slice(0, 6)), ['flatten', 'dense', 'activation', 'dense', 'activation', 'alphadropout']);
  const fcIn = m.layers[1];
  assert.deepEqual([fcIn.name, fcIn.in.value, fcIn.out.value], ['fc_in', 784, 512]); // 28 * 28, args.hidden
  assert.equal(fcIn.range.startLine, 19);
  assert.equal(fcIn.useRange?.startLine, 32);
  assert.equal(fcIn.initTarget, 'self.fc_in');
  assert.equal(m.layers[2].sourceType, 'F.selu');
  assert.equal(m.layers[2].name, 'selu');
  assert.equal(m.layers[3].name, 'hidden.0');
  assert.equal(m.layers[3].initTarget, 'self.hidden[0]');
  assert.equal(m.layers[48].name, 'hidden.15');
  // normal_(std = 1 / sqrt(in_features)) from a helper method called in __init__.
  assert.equal(m.layers[3].init?.scheme, 'normal');
  assert.ok(Math.abs(m.layers[3].init!.weightVariance! - 1 / 512) < 1e-15);
  assert.equal(m.layers[3].init?.range?.startLine, 27);
  assert.equal(m.layers[51].name, 'fc_out');
  assert.equal(m.layers[51].out.value, 10);
  assert.deepEqual(m.initAnchor, { insertAfterLine: 23, indent: '        ', moduleExpr: 'self', initModule: 'nn.init', nnModule: 'nn' });
  assert.deepEqual(m.partial, []);
});

test('ResNet: conv shapes, BatchNorm convention, residual adds with downsample, modules() init, AdaptiveAvgPool', async () => {
  const r = await readFixture('resnetCifar.py');
  assert.equal(r.models.length, 1, 'BasicBlock is a component, not a model');
  const m = r.models[0];
  assert.equal(m.name, 'ResNet');
  assert.deepEqual(m.input, { shape: [3, 32, 32], assumed: false, layout: 'channels_first' });
  assert.equal(m.layers.length, 36);
  const conv1 = m.layers[0];
  assert.equal(conv1.kind, 'conv2d');
  assert.deepEqual(conv1.conv, { kernel: [3, 3], stride: [1, 1], padding: [1, 1], dilation: [1, 1], groups: 1 });
  assert.deepEqual(conv1.spatial, [32, 32]);
  // kaiming_normal_(mode='fan_out', nonlinearity='relu'): Var = 2 / (16 * 9).
  assert.equal(conv1.init?.scheme, 'kaiming_normal');
  assert.equal(conv1.init?.mode, 'fan_out');
  assert.ok(Math.abs(conv1.init!.weightVariance! - 2 / (16 * 9)) < 1e-15);
  assert.equal(conv1.bias?.present, false);
  const bn = m.layers[1];
  assert.deepEqual(bn.norm, { convention: 'pytorch', momentum: 0.1, eps: 1e-5, affine: true });
  assert.equal(bn.in.value, 16);
  // First block: out += identity adds the stem's ReLU output (index 2).
  assert.equal(m.layers[8].kind, 'residual');
  assert.deepEqual(m.layers[8].residual, { from: 2 });
  assert.equal(m.layers[8].sourceType, '+=');
  // Second stage, first block: stride 2 and a 1x1 downsample conv on the block input.
  const down = m.layers[22];
  assert.equal(down.name, 'layer2.0.downsample.0');
  assert.equal(down.initTarget, 'self.layer2[0].downsample[0]');
  assert.deepEqual([down.in.value, down.out.value], [16, 32]);
  assert.deepEqual(down.spatial, [16, 16]);
  // The add follows the downsample path in call order, so the IR's implicit main input (index - 1) is the
  // downsample BN and `from` is the block's bn2 output.
  assert.deepEqual(m.layers[24].residual, { from: 21 });
  assert.deepEqual(m.layers[17].spatial, [16, 16]);
  const pool = m.layers[33];
  assert.equal(pool.pool?.op, 'adaptive_avg');
  assert.deepEqual(pool.spatial, [1, 1]);
  assert.equal(m.layers[34].kind, 'flatten');
  assert.equal(m.layers[34].out.value, 32);
  const fc = m.layers[35];
  assert.deepEqual([fc.in.value, fc.out.value], [32, 10]);
  assert.equal(fc.init?.scheme, 'pytorch_default');
  assert.deepEqual(m.partial, []);
});

test('weight_norm (both APIs), ModuleDict, self.apply(self._init_weights), norms and functional activations', async () => {
  const r = await readFixture('modernBlocks.py');
  const [mixer, ortho] = r.models;
  assert.equal(mixer.name, 'Mixer');
  const byName = new Map(mixer.layers.map((l) => [l.name, l]));
  assert.equal(byName.get('stem')?.weightNorm, true);
  assert.equal(byName.get('proj')?.weightNorm, true);
  assert.equal(mixer.layers[1].activation?.name, 'relu'); // x.relu()
  assert.equal(mixer.layers[1].sourceType, 'Tensor.relu');
  // trunc_normal_(std=0.02) from _init_weights via self.apply.
  const stem = byName.get('stem')!;
  assert.equal(stem.init?.scheme, 'truncated_normal');
  assert.equal(stem.init?.std, 0.02);
  assert.ok(Math.abs(stem.init!.weightVariance! - 0.0004) < 1e-6);
  assert.deepEqual(stem.bias, { present: true, variance: 0, scheme: 'zeros' });
  // Residual blocks inside an nn.Sequential of block instances: x + fc2(act(fc1(norm(x)))).
  assert.equal(byName.get('blocks.0.norm')?.kind, 'layernorm');
  assert.equal(byName.get('blocks.0.fc1')?.out.value, 512);
  assert.equal(byName.get('blocks.0.act')?.activation?.name, 'gelu');
  const add = mixer.layers[6];
  assert.equal(add.kind, 'residual');
  assert.deepEqual(add.residual, { from: 1 });
  assert.equal(byName.get('heads.mish')?.activation?.name, 'mish');
  assert.deepEqual(byName.get('heads.elu')?.activation?.param, 0.5);
  assert.deepEqual(byName.get('heads.leaky')?.activation?.param, 0.2);
  assert.equal(byName.get('heads.leaky')?.initTarget, 'self.heads["leaky"]');
  assert.deepEqual(byName.get('gn')?.norm, { convention: 'pytorch', momentum: null, eps: 1e-5, affine: true, groups: 8, groupsSymbol: null });
  assert.equal(byName.get('inorm')?.kind, 'instancenorm');
  assert.equal(byName.get('inorm')?.norm?.affine, true);
  assert.equal(byName.get('tanh')?.sourceType, 'torch.tanh');
  assert.equal(byName.get('leaky_relu')?.activation?.param, 0.1);
  assert.equal(byName.get('dropout')?.rate, 0.1);
  assert.equal(byName.get('out')?.activation?.name, 'softmax');
  // orthogonal_ and a uniform_ that overrides kaiming_uniform_.
  assert.equal(ortho.layers[0].init?.scheme, 'orthogonal');
  assert.equal(ortho.layers[0].init?.weightVariance, 1 / 128);
  assert.deepEqual(ortho.layers[2].residual, { from: -1 });
  assert.equal(ortho.layers[3].init?.scheme, 'uniform');
  assert.ok(Math.abs(ortho.layers[3].init!.weightVariance! - 0.04 / 12) < 1e-15);
  assert.equal(ortho.layers[4].activation?.name, 'sigmoid');
});

test('training script: main() with argparse, DataLoader positional batch size, other call sites reported', async () => {
  const r = await readFixture('trainScript.py');
  assert.equal(r.models.length, 1);
  const m = r.models[0];
  assert.equal(m.name, 'MLP');
  assert.equal(m.batchSize, 16);
  // hidden=args.hidden (512), depth=args.depth (4), activation=args.act ('selu' -> torch.selu branch).
  assert.deepEqual(
    m.layers.map((l) => (l.kind === 'dense' ? `${l.in.value}->${l.out.value}` : l.activation?.name)),
    ['64->512', 'selu', '512->512', 'selu', '512->512', 'selu', '512->512', 'selu', '512->3'],
  );
  // init_lecun(model) at module level of main(): normal_(std = in_features ** -0.5).
  assert.ok(Math.abs(m.layers[2].init!.sigmaW2! - 1) < 1e-12);
  assert.equal(m.partial.length, 1);
  assert.equal(m.partial[0].symbol, null);
  assert.match(m.partial[0].reason, /MLP is also built with other arguments at line 46; analysed with the first call \(line 44\)/);
});

test('Conv1d with padding="same", pools, Flatten: shapes from the dummy input fed to the model', async () => {
  const r = await readFixture('conv1dSignal.py');
  const m = r.models[0];
  assert.deepEqual(m.input, { shape: [1, 128], assumed: false, layout: 'channels_first' });
  assert.deepEqual(m.layers.map((l) => l.spatial ?? null), [[128], null, null, [64], [32], null, [16], null, null, null]);
  assert.deepEqual(m.layers[1].norm, { convention: 'pytorch', momentum: 0.01, eps: 1e-3, affine: true });
  assert.equal(m.layers[0].conv?.padding, 'same');
  assert.equal(m.layers[8].out.value, 512); // 32 channels * 16
  assert.equal(m.layers[9].in.value, 512);
  // Default conv init uses fan_in = in_channels * kernel: 1/(3 * 16 * 5).
  assert.ok(Math.abs(m.layers[4].init!.weightVariance! - 1 / (3 * 80)) < 1e-15);
});

test('syntax error: reported with its line, and the intact class before it is still read', async () => {
  const r = await readFixture('brokenSyntax.py');
  assert.equal(r.error?.message, 'Python syntax error at line 15: missing ")"');
  assert.equal(r.error?.range?.startLine, 14);
  assert.equal(r.models.length, 1);
  assert.equal(r.models[0].name, 'Encoder');
  assert.deepEqual(kinds(r.models[0].layers), ['dense', 'activation', 'dense']);
});

test('forward() with helper methods, nn.Identity, if on constructor flags, recursion guard', async () => {
  const r = await readText(`import torch.nn as nn
import torch.nn.functional as F

class Net(nn.Module):
    def __init__(self, d=16, use_bn=False, final_act=None):
        super().__init__()
        self.fc = nn.Linear(d, d)
        self.bn = nn.BatchNorm1d(d) if use_bn else nn.Identity()
        self.final = final_act or nn.Sigmoid()

    def block(self, x):
        return F.gelu(self.bn(self.fc(x)))

    def forward(self, x):
        x = self.block(x)
        x = self.block(x)
        return self.final(x)

class Loop(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return self.forward(self.fc(x))
`);
  const [net, loop] = r.models;
  assert.deepEqual(net.layers.map((l) => l.activation?.name ?? l.kind), ['dense', 'linear', 'gelu', 'dense', 'linear', 'gelu', 'sigmoid']);
  assert.equal(net.layers[1].sourceType, 'nn.Identity');
  assert.equal(loop.name, 'Loop');
  assert.ok(loop.layers.length >= 1 && loop.layers.length <= 50);
  assert.ok(loop.partial.some((p) => /call depth/.test(p.reason)));
});

test('layers are not merged: a Linear followed by nn.SELU stays two layers (PyTorch semantics)', async () => {
  const r = await readText('import torch.nn as nn\nclass A(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.Linear(8, 8)\n        self.a = nn.SELU()\n    def forward(self, x):\n        return self.a(self.l(x))\n');
  const [l, a] = r.models[0].layers;
  assert.equal(l.activation, null);
  assert.equal(a.kind, 'activation');
  assert.deepEqual(a.activation, { name: 'selu', range: a.range });
});

test('paper-repository SNN: init over self.parameters() by rank, functional alpha_dropout, LazyLinear', async () => {
  const m = (await readFixture('snnParametersInit.py')).models[0];
  assert.equal(m.layers.length, 1 + 8 * 3 + 1);
  assert.deepEqual(kinds(m.layers.slice(0, 4)), ['flatten', 'dense', 'activation', 'alphadropout']);
  assert.equal(m.layers[3].rate, 0.05);
  assert.equal(m.layers[3].sourceType, 'nn.functional.alpha_dropout');
  for (const l of m.layers.filter((x) => x.kind === 'dense')) {
    assert.equal(l.init?.scheme, 'kaiming_normal');
    assert.equal(l.init?.sigmaW2, 1);
    assert.deepEqual(l.bias, { present: true, variance: 0, scheme: 'zeros' });
  }
  const out = m.layers[25];
  assert.deepEqual([out.sourceType, out.in.value, out.out.value], ['nn.LazyLinear', 1024, 10]);
});
