import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FileAnalysis } from '../../core/analyzer';
import { MAX_PYTHON_CHARS } from '../../core/frontends/python/readPython';
import { Figures, HANG_GUARD_MS, expectSound, loadAnalyzer } from './fuzzHarness';

// Generated worst cases, one of each kind the issue names: deep nesting, 10,000-layer models written three ways,
// 5 MB files, absurd widths, recursion, runaway loops and growth, cyclic JSON (budget cases that only repeat a
// regression, such as 30 heavy forward() loops, live in fuzzRegressions.test.ts). Each is analysed within the hang
// guard, satisfies every invariant, and ends as models with reasons or a clear error; the figures are printed.

const H = 'import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n';
const dense = (name: string, units: unknown, extra: Record<string, unknown> = {}) => ({ class_name: 'Dense', config: { name, units, activation: 'selu', ...extra } });
const hostileDir = join(__dirname, '..', 'fixtures', 'hostile');

interface Case {
  name: string;
  path: string;
  text: () => string;
  /** What must hold beyond the shared invariants. */
  expect?: (r: FileAnalysis) => void;
}

const partialSays = (r: FileAnalysis, re: RegExp) => assert.ok(r.models.some((m) => m.partial.some((p) => re.test(p.reason))), `a partial reason matching ${re}`);

const cases: Case[] = [
  { name: 'Python: 50,000 nested parentheses', path: 'a.py', text: () => `${H}x = ${'('.repeat(50_000)}1${')'.repeat(50_000)}\nmodel = nn.Sequential(nn.Linear(4, 4))\n`, expect: (r) => assert.equal(r.models[0].layers.length, 1) },
  { name: 'Python: 20,000 nested list brackets', path: 'a.py', text: () => `${H}x = ${'['.repeat(20_000)}${']'.repeat(20_000)}\nmodel = nn.Sequential(nn.Linear(4, 4))\n` },
  { name: 'Python: 50,000 unclosed parentheses', path: 'a.py', text: () => `${H}x = ${'('.repeat(50_000)}\n`, expect: (r) => assert.ok(r.error) },
  { name: 'Python: Sequential nested 3,000 deep', path: 'a.py', text: () => `${H}model = ${'nn.Sequential('.repeat(3000)}nn.Linear(4, 4)${')'.repeat(3000)}\n`, expect: (r) => assert.match(r.error?.message ?? '', /nested deeper than 150 levels/) },
  { name: 'Python: 100,000-term sum', path: 'a.py', text: () => `${H}w = ${Array(100_000).fill('1').join(' + ')}\nmodel = nn.Sequential(nn.Linear(w, 4))\n` },
  { name: 'Python: 500 nested if blocks', path: 'a.py', text: () => `${H}${Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}if True:`).join('\n')}\n${' '.repeat(500)}model = nn.Sequential(nn.Linear(4, 4))\n` },
  {
    name: 'Python: Sequential with 10,000 literal entries',
    path: 'a.py',
    text: () => `${H}model = nn.Sequential(\n${'    nn.Linear(64, 64),\n    nn.SELU(),\n'.repeat(5000)})\n`,
    expect: (r) => assert.equal(r.models[0].layers.length, 10_000),
  },
  {
    name: 'Python: 10,000-iteration layer loop (20,000 layers)',
    path: 'a.py',
    text: () => `${H}layers = []\nfor i in range(10000):\n    layers += [nn.Linear(64, 64), nn.Tanh()]\nmodel = nn.Sequential(*layers)\n`,
    expect: (r) => {
      assert.equal(r.models[0].layers.length, 10_000);
      partialSays(r, /truncated at 10000 layers/);
    },
  },
  {
    name: 'Python: class with 10,000 Linear in forward()',
    path: 'a.py',
    text: () => `${H}class M(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.l = nn.ModuleList([nn.Linear(64, 64) for _ in range(10000)])\n    def forward(self, x):\n        for l in self.l:\n            x = F.relu(l(x))\n        return x\nm = M()\n`,
    expect: (r) => assert.equal(r.models[0].layers.length, 10_000),
  },
  { name: 'Python: while True building layers', path: 'a.py', text: () => `${H}layers = []\nwhile True:\n    layers.append(nn.Linear(8, 8))\nmodel = nn.Sequential(*layers)\n`, expect: (r) => partialSays(r, /stopped after 10000 iterations|truncated/) },
  { name: 'Python: generator that never ends', path: 'a.py', text: () => `${H}def g():\n    while True:\n        yield nn.Linear(4, 4)\nmodel = nn.Sequential(*g())\n` },
  { name: 'Python: exponential recursion before the model', path: 'a.py', text: () => `${H}def f(n):\n    if n == 0:\n        return 1\n    return f(n - 1) + f(n - 1)\nw = f(35)\nmodel = nn.Sequential(nn.Linear(w, 4))\n`, expect: (r) => assert.match(r.error?.message ?? '', /evaluation budget ran out/) },
  { name: 'Python: 2,000 model classes', path: 'a.py', text: () => H + Array.from({ length: 2000 }, (_, i) => `class M${i}(nn.Module):\n    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(${i + 1}, 4)\n    def forward(self, x):\n        return self.fc(x)\n`).join('') },
  { name: 'Python: 500-deep inheritance chain', path: 'a.py', text: () => H + Array.from({ length: 500 }, (_, i) => `class C${i}(${i ? `C${i - 1}` : 'nn.Module'}):\n    def __init__(self):\n        super().__init__()\n        self.l${i} = nn.Linear(4, 4)\n`).join('') + 'm = C499()\n' },
  { name: 'Python: inheritance cycle', path: 'a.py', text: () => `${H}class A(B):\n    pass\nclass B(A):\n    pass\nclass C(nn.Module, C):\n    def forward(self, x):\n        return x\nm = C()\nn = A()\n` },
  { name: 'Python: 20,000-long attribute chain', path: 'a.py', text: () => `${H}x = a${'.b'.repeat(20_000)}\nmodel = nn.Sequential(nn.Linear(4, 4))\n` },
  { name: 'Python: 5,000 nested lambdas', path: 'a.py', text: () => `${H}f = ${'lambda: '.repeat(5000)}1\nmodel = nn.Sequential(nn.Linear(4, 4))\n` },
  {
    name: 'Python: 5 MB of number lists, model first',
    path: 'a.py',
    text: () => `${H}model = nn.Sequential(nn.Linear(4, 4))\n${`y = [${'1, '.repeat(200)}]\n`.repeat(8200)}`,
    expect: (r) => {
      assert.equal(r.models[0].layers.length, 1);
      partialSays(r, new RegExp(`reads the first ${(MAX_PYTHON_CHARS / 1e6).toFixed(1)} million`));
    },
  },
  { name: 'Python: 5 MB single-line string', path: 'a.py', text: () => `${H}model = nn.Sequential(nn.Linear(4, 4))\nz = "${'a'.repeat(5_000_000)}"\n` },
  { name: 'Python: NUL bytes and BOM', path: 'a.py', text: () => `\ufeff${H}model = nn.Sequential(nn.Linear(4,\u0000 4))\u0000\n${'\u0000'.repeat(1000)}` },
  { name: 'Python: old Mac line endings (lone CR)', path: 'a.py', text: () => `${H}model = nn.Sequential(\n    nn.Linear(64, 64),\n    nn.Tanh(),\n)\n`.replace(/\n/g, '\r') },
  { name: 'Python: unicode identifiers', path: 'a.py', text: () => `${H}ширина = 64\nλ = nn.Linear(ширина, 32)\n模型 = nn.Sequential(λ, nn.SELU(), nn.Linear(32, 𝔁))\n`, expect: (r) => assert.equal(r.models[0].layers.length, 3) },
  { name: 'Python: huge integers and powers', path: 'a.py', text: () => `${H}w = 10**10**10\nv = 2**100000\nmodel = nn.Sequential(nn.Linear(w, v), nn.Linear(10**300, 10**9), nn.Linear(99999999999999999999999999, 8))\n` },
  { name: 'Python: deep ReLU stack whose variance overflows', path: 'a.py', text: () => `${H}layers = []\nfor i in range(200):\n    layers += [nn.Linear(1024, 1024), nn.ReLU()]\nlayers += [nn.BatchNorm1d(1024), nn.Linear(1024, 10), nn.Tanh()]\nmodel = nn.Sequential(*layers)\nfor m in model.modules():\n    if isinstance(m, nn.Linear):\n        nn.init.normal_(m.weight, std=1.0)\n`, expect: (r) => assert.ok(r.findings.some((f) => f.code === 'exploding-variance')) },
  { name: 'Python: nonsense directives', path: 'a.py', text: () => `${H}# normlens: in_dim=-5, batch=0, input_size=1e400, depth=NaN, x=1e308\nmodel = nn.Sequential(nn.Linear(in_dim, 4), nn.BatchNorm1d(4))\n` },
  { name: 'Keras Python: invalid sizes everywhere', path: 'a.py', text: () => 'from tensorflow import keras\ninp = keras.Input(shape=(-1, 0, 3))\nx = keras.layers.Conv2D(8, -3, strides=0)(inp)\nx = keras.layers.MaxPooling2D(0)(x)\nx = keras.layers.Flatten()(x)\nout = keras.layers.Dense(10**300)(x)\nm = keras.Model(inp, out)\ns = keras.Sequential([keras.layers.Dense(-3, input_shape=(0,)), keras.layers.Dropout(5), keras.layers.Dense(4, activation="selu")])\n' },
  { name: 'JSON: 100,000 nested arrays', path: 'a.json', text: () => `{"class_name": "Sequential", "config": {"layers": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, expect: (r) => assert.match(r.error?.message ?? '', /nesting deeper than/) },
  { name: 'JSON: 100,000 unclosed arrays', path: 'a.json', text: () => `{"class_name": "Sequential", "config": {"layers": ${'['.repeat(100_000)}`, expect: (r) => assert.ok(r.error) },
  { name: 'JSON: models nested 400 deep', path: 'a.json', text: () => { let m: unknown = { class_name: 'Sequential', config: { name: 'leaf', layers: [dense('d', 4, { batch_input_shape: [null, 3] })] } }; for (let i = 0; i < 400; i++) m = { class_name: 'Sequential', config: { name: `m${i}`, layers: [m] } }; return JSON.stringify(m); } },
  {
    name: 'JSON: Sequential with 10,000 layers',
    path: 'a.json',
    text: () => JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [dense('d0', 64, { batch_input_shape: [null, 64] }), ...Array.from({ length: 9999 }, (_, i) => dense(`d${i + 1}`, 64))] } }),
    expect: (r) => partialSays(r, /more than 5000 layers/),
  },
  {
    name: 'JSON: functional chain of 10,000 layers',
    path: 'a.json',
    text: () => JSON.stringify({ class_name: 'Functional', config: { name: 'f', input_layers: [['in', 0, 0]], output_layers: [['d9999', 0, 0]], layers: [{ class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 8] }, inbound_nodes: [] }, ...Array.from({ length: 10_000 }, (_, i) => ({ ...dense(`d${i}`, 8), name: `d${i}`, inbound_nodes: [[[i ? `d${i - 1}` : 'in', 0, 0, {}]]] }))] } }),
  },
  {
    name: 'JSON: 3,000 layers in one big inbound cycle',
    path: 'a.json',
    text: () => JSON.stringify({ class_name: 'Functional', config: { name: 'f', input_layers: [['in', 0, 0]], output_layers: [['d0', 0, 0]], layers: Array.from({ length: 3000 }, (_, i) => ({ ...dense(`d${i}`, 8), name: `d${i}`, inbound_nodes: [[[`d${(i + 1) % 3000}`, 0, 0, {}], [`d${(i * 7) % 3000}`, 0, 0, {}]]] })) } }),
    expect: (r) => partialSays(r, /form a cycle/),
  },
  { name: 'JSON: a shared sub-model used 2^14 times', path: 'a.json', text: () => { let m: unknown = { class_name: 'Sequential', config: { name: 'leaf', layers: [dense('d', 4, { batch_input_shape: [null, 3] })] } }; for (let i = 0; i < 14; i++) m = { class_name: 'Sequential', config: { name: `m${i}`, layers: [m, m] } }; return JSON.stringify(m); } },
  { name: 'JSON: 5 MB string in the config', path: 'a.json', text: () => JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [dense('d0', 64, { batch_input_shape: [null, 64] }), dense('d1', 64)], blob: 'x'.repeat(5_000_000) } }) },
  { name: 'JSON: 6 MB pretty-printed, 3,000 layers', path: 'a.json', text: () => JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: Array.from({ length: 3000 }, (_, i) => dense(`d${i}`, 64, { batch_input_shape: [null, 64], pad: 'p'.repeat(1500) })) } }, null, 2) },
  { name: 'JSON: absurd widths, rates, eps, scales', path: 'a.json', text: () => JSON.stringify({ class_name: 'Sequential', config: { layers: [dense('a', 1e9, { batch_input_shape: [null, 1e9] }), dense('b', 1e300), dense('c', 0), dense('d', -5), dense('e', 1.5), { class_name: 'Conv2D', config: { filters: 1e300, kernel_size: [1e300, 1e300], strides: 0, input_shape: [1e300, 1e300, 3] } }, { class_name: 'Flatten', config: {} }, dense('f', 4), { class_name: 'BatchNormalization', config: { epsilon: -1, momentum: 1e308 } }, { class_name: 'Dropout', config: { rate: 5 } }, { class_name: 'LeakyReLU', config: { alpha: 1e308 } }, dense('g', 4, { kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1e308, mode: 'fan_avg' } } }), dense('h', 4, { kernel_initializer: { class_name: 'RandomNormal', config: { stddev: 1e200 } } })] } }) },
  { name: 'JSON: wrong types everywhere', path: 'a.json', text: () => JSON.stringify({ class_name: 'Sequential', config: { layers: [{ class_name: 'Dense', config: [] }, { class_name: 7, config: 'x' }, { class_name: 'Dense', config: { units: [64], activation: 5, kernel_initializer: 'zzz', batch_input_shape: 'x' } }, null, 'Dense', [], { class_name: 'Conv2D', config: { filters: '8', kernel_size: {}, padding: 3 } }, { class_name: 'Sequential', config: null }, { class_name: 'Model', config: { layers: [{ class_name: 'InputLayer', config: { batch_input_shape: [[null]] } }], input_layers: 'x', output_layers: {} } }] } }) },
  { name: 'JSON: 20,000-entry weights manifest', path: 'a.json', text: () => JSON.stringify({ format: 'layers-model', modelTopology: { class_name: 'Sequential', config: { name: 's', layers: [dense('a', 4, { batch_input_shape: [null, 4] })] } }, weightsManifest: Array.from({ length: 20_000 }, (_, i) => ({ paths: [`w${i}.bin`], weights: [{ name: 'w', shape: [4, 4], dtype: 'float32' }] })) }) },
  { name: 'JSON: lone CR line endings', path: 'a.json', text: () => JSON.stringify({ class_name: 'Sequential', config: { layers: [dense('a', 4, { batch_input_shape: [null, 4] }), { class_name: 'Dropout', config: { rate: 0.1 } }, dense('b', 4, { kernel_initializer: { class_name: 'GlorotUniform', config: {} } })] } }, null, 2).replace(/\n/g, '\r') },
  // The hand-written hostile fixtures (recursion, runaway growth, absurd numbers, cycles, NaN literals).
  ...readdirSync(hostileDir)
    .filter((f) => /\.(py|json)$/.test(f))
    .sort()
    .map((f) => ({ name: `fixture hostile/${f}`, path: f, text: () => readFileSync(join(hostileDir, f), 'utf8') })),
];

test(`pathological inputs (${cases.length} kinds): bounded, sound, and every failure explained`, async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('pathological inputs');
  const slow: string[] = [];
  for (const c of cases) {
    const text = c.text();
    const { value: r, ms } = figures.time(c.name, () => analyzer.analyze(c.path, text));
    if (ms > 1000) slow.push(`${c.name}: ${ms.toFixed(0)} ms (${(text.length / 1e6).toFixed(2)} MB)`);
    assert.ok(ms < HANG_GUARD_MS, `${c.name} took ${ms.toFixed(0)} ms`);
    try {
      expectSound(c.path, text, r);
      // Nothing comes back empty-handed without a word: models, or an error saying why there are none.
      assert.ok(r.models.length > 0 || r.error !== null);
      c.expect?.(r);
    } catch (err) {
      (err as Error).message = `${c.name}: ${(err as Error).message}`;
      throw err;
    }
  }
  console.log(figures.report());
  if (slow.length) console.log(`fuzz figures | slowest pathological inputs (> 1 s): ${slow.join('; ')}`);
});
