import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InitSpec, Layer } from '../../core/ir';
import { loadPythonParser } from '../../core/frontends/python/parser';
import { readPythonModels } from '../../core/frontends/python/readPython';

/** One Linear(fanIn, fanOut) in a class whose __init__ runs `initLine` on `self.fc`. */
async function initOf(initLine: string, fanIn = 100, fanOut = 50): Promise<Layer> {
  const text = `import torch
import torch.nn as nn
from torch.nn import init

class M(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(${fanIn}, ${fanOut})
        ${initLine}

    def forward(self, x):
        return self.fc(x)
`;
  const r = readPythonModels(text, await loadPythonParser());
  assert.equal(r.models.length, 1, text);
  return r.models[0].layers[0];
}

function close(a: number | null | undefined, b: number, what: string): void {
  assert.ok(a !== null && a !== undefined && Math.abs(a - b) < 1e-12 * Math.max(1, Math.abs(b)), `${what}: ${a} != ${b}`);
}

test('kaiming_normal_ / kaiming_uniform_: gain from nonlinearity and a, fan_in / fan_out', async () => {
  let l = await initOf("nn.init.kaiming_normal_(self.fc.weight, mode='fan_in', nonlinearity='linear')");
  let i = l.init as InitSpec;
  assert.deepEqual([i.scheme, i.distribution, i.mode, i.gain, i.scale, i.explicit], ['kaiming_normal', 'normal', 'fan_in', 1, 1, true]);
  close(i.weightVariance, 1 / 100, 'lecun via kaiming');
  assert.equal(i.range?.startLine, 8);
  assert.equal(i.range?.startColumn, 8);
  l = await initOf("nn.init.kaiming_normal_(self.fc.weight, nonlinearity='selu')");
  close(l.init!.sigmaW2, 9 / 16, 'selu gain 3/4');
  l = await initOf('nn.init.kaiming_uniform_(self.fc.weight)'); // default: leaky_relu with a = 0 -> relu gain
  close(l.init!.weightVariance, 2 / 100, 'kaiming default');
  l = await initOf("init.kaiming_uniform_(self.fc.weight, a=5 ** 0.5)"); // what nn.Linear does internally
  close(l.init!.weightVariance, 1 / 300, 'a = sqrt 5');
  l = await initOf("torch.nn.init.kaiming_normal_(self.fc.weight, mode='fan_out', nonlinearity='relu')");
  close(l.init!.weightVariance, 2 / 50, 'fan_out');
});

test('xavier_*, normal_, trunc_normal_, uniform_, orthogonal_, constant inits', async () => {
  let l = await initOf("nn.init.xavier_normal_(self.fc.weight, gain=nn.init.calculate_gain('relu'))");
  assert.equal(l.init?.scheme, 'xavier_normal');
  close(l.init!.weightVariance, (2 * 2) / 150, 'xavier relu');
  l = await initOf('nn.init.normal_(self.fc.weight, mean=0.0, std=0.01)');
  assert.deepEqual([l.init?.scheme, l.init?.std, l.init?.mean], ['normal', 0.01, 0]);
  close(l.init!.weightVariance, 1e-4, 'normal');
  l = await initOf('nn.init.trunc_normal_(self.fc.weight, std=0.02, a=-0.04, b=0.04)');
  assert.deepEqual([l.init?.scheme, l.init?.low, l.init?.high], ['truncated_normal', -0.04, 0.04]);
  assert.ok(l.init!.weightVariance! < 0.0004 && l.init!.weightVariance! > 0.0003);
  l = await initOf('nn.init.uniform_(self.fc.weight, -0.1, 0.1)');
  close(l.init!.weightVariance, 0.04 / 12, 'uniform');
  l = await initOf('nn.init.orthogonal_(self.fc.weight, gain=2)');
  close(l.init!.weightVariance, 4 / 100, 'orthogonal');
  l = await initOf('nn.init.zeros_(self.fc.weight)');
  assert.deepEqual([l.init?.scheme, l.init?.weightVariance], ['zeros', 0]);
  l = await initOf('nn.init.eye_(self.fc.weight)');
  assert.equal(l.init?.scheme, 'identity');
});

test('tensor-method inits and biases: .data.normal_, .uniform_, .zero_, .fill_, constant_ on bias', async () => {
  let l = await initOf('self.fc.weight.data.normal_(0, 0.05); self.fc.bias.data.zero_()');
  close(l.init!.weightVariance, 0.0025, 'normal_ method');
  assert.deepEqual(l.bias, { present: true, variance: 0, scheme: 'zeros' });
  l = await initOf('self.fc.weight.data.uniform_(-0.5, 0.5); nn.init.constant_(self.fc.bias, 0.1)');
  close(l.init!.weightVariance, 1 / 12, 'uniform_ method');
  assert.deepEqual(l.bias, { present: true, variance: 0, scheme: 'constant' });
  l = await initOf('nn.init.normal_(self.fc.bias, std=0.1)');
  assert.deepEqual(l.bias, { present: true, variance: 0.1 ** 2, scheme: 'normal' });
  assert.equal(l.init?.scheme, 'pytorch_default');
});

test('std computed from the layer: fan-in helpers, weight.size(1), math.sqrt and calculate_gain', async () => {
  let l = await initOf('fan_in, _ = nn.init._calculate_fan_in_and_fan_out(self.fc.weight); nn.init.normal_(self.fc.weight, std=1 / fan_in ** 0.5)');
  close(l.init!.sigmaW2, 1, 'fan helper');
  l = await initOf('import math; nn.init.normal_(self.fc.weight, 0, math.sqrt(1. / self.fc.weight.size(1)))');
  close(l.init!.weightVariance, 1 / 100, 'size(1)');
  l = await initOf("nn.init.normal_(self.fc.weight, std=nn.init.calculate_gain('tanh') / self.fc.in_features ** 0.5)");
  close(l.init!.sigmaW2, 25 / 9, 'tanh gain');
});

test('an init that depends on an unresolved value is "unknown" with a partial reason naming it', async () => {
  const text = `import torch.nn as nn
class M(nn.Module):
    def __init__(self, init_std):
        super().__init__()
        self.fc = nn.Linear(10, 10)
        nn.init.normal_(self.fc.weight, std=init_std)
    def forward(self, x):
        return self.fc(x)
`;
  const r = readPythonModels(text, await loadPythonParser());
  const m = r.models[0];
  assert.equal(m.layers[0].init?.scheme, 'unknown');
  assert.equal(m.layers[0].init?.weightVariance, null);
  assert.equal(m.partial.length, 1);
  assert.equal(m.partial[0].symbol, 'init_std');
  assert.equal(m.partial[0].layer, 0);
  const pinned = readPythonModels(`# normlens: init_std=0.1\n${text}`, await loadPythonParser());
  close(pinned.models[0].layers[0].init!.weightVariance, 0.01, 'pinned');
  assert.deepEqual(pinned.models[0].partial, []);
});

test('isinstance tuples, hasattr, `m.bias is not None` and functools.partial in apply()', async () => {
  const r = readPythonModels(
    `import functools
import torch.nn as nn

def init_weights(m, std):
    if isinstance(m, (nn.Linear, nn.Conv2d)) and hasattr(m, 'weight'):
        nn.init.normal_(m.weight, 0.0, std)
        if m.bias is not None:
            nn.init.zeros_(m.bias)

model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 30 * 30, 10, bias=False))
model.apply(functools.partial(init_weights, std=0.02))
`,
    await loadPythonParser(),
  );
  const [conv, , , fc] = r.models[0].layers;
  close(conv.init!.weightVariance, 0.0004, 'conv');
  assert.equal(conv.bias?.scheme, 'zeros');
  close(fc.init!.weightVariance, 0.0004, 'fc');
  assert.equal(fc.bias?.present, false);
});
