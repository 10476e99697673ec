import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Figures, HANG_GUARD_MS, assertProperty, expectSound, fuzzParams, decodeAsEditor, describeMutations, loadAnalyzer, mutateText, pythonSeeds, textMutation,
} from './fuzzHarness';

// Property-based tests of the whole analysis path (front end + theory + findings) on Python text. Fixed seeds keep
// CI reproducible; a failure prints the seed and the shrunk counterexample, which goes to fuzzRegressions.test.ts.

const seeds = pythonSeeds();

test('mutated Python fixtures: analyze() never throws, and every result satisfies the invariants', async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('mutated Python');
  assertProperty(
    fc.property(fc.constantFrom(...seeds), fc.array(textMutation('python'), { minLength: 1, maxLength: 6 }), (seed, mutations) => {
      const text = mutations.reduce(mutateText, seed.text);
      const { value: r, ms } = figures.time(describeMutations(seed.name, mutations), () => analyzer.analyze(seed.path, text), text);
      assert.ok(ms < HANG_GUARD_MS, `analysis took ${ms.toFixed(0)} ms`);
      expectSound(seed.path, text, r);
    }),
    fuzzParams(0x5eed01, 400),
  );
  console.log(figures.report());
});

test('random bytes decoded as the editor would (UTF-8 with replacement chars, latin1), alone and after a model header', async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('random bytes as Python');
  const header = seeds.find((s) => s.name.endsWith('snnSequential.py'))!.text;
  assertProperty(
    fc.property(
      fc.uint8Array({ maxLength: 2048 }),
      fc.constantFrom('utf8' as const, 'latin1' as const),
      fc.boolean(),
      (bytes, encoding, withHeader) => {
        const text = (withHeader ? header : '') + decodeAsEditor(bytes, encoding);
        const { value: r, ms } = figures.time(`${bytes.length} random bytes (${encoding})`, () => analyzer.analyze('junk.py', text), text);
        assert.ok(ms < HANG_GUARD_MS);
        expectSound('junk.py', text, r);
      },
    ),
    fuzzParams(0x5eed02, 150),
  );
  console.log(figures.report());
});

/** A small generated model: widths, activations, inits and loops drawn at random, values included absurd ones. */
const generatedModel = fc
  .record({
    widths: fc.array(fc.constantFrom('64', '0', '-3', '1', '10**9', '10**300', '1.5', "float('nan')", "float('inf')", 'n', 'None', "'8'", '2**53'), { minLength: 2, maxLength: 6 }),
    act: fc.constantFrom('nn.SELU()', 'nn.Tanh()', 'nn.Sigmoid()', 'nn.ReLU()', 'nn.LeakyReLU(1e308)', "nn.ELU(alpha=float('nan'))", 'nn.Softmax(dim=1)', 'nn.Identity()'),
    init: fc.constantFrom('', "nn.init.normal_(m.weight, std=1e200)", "nn.init.normal_(m.weight, std=float('nan'))", 'nn.init.kaiming_normal_(m.weight, a=-1)', 'nn.init.uniform_(m.weight, 1e308, -1e308)', 'nn.init.orthogonal_(m.weight, gain=0)', 'nn.init.constant_(m.weight, 0)', "nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='linear')"),
    extra: fc.constantFrom('', 'nn.BatchNorm1d(n, eps=-1)', 'nn.Dropout(p=1.5)', 'nn.AlphaDropout(-0.5)', 'nn.GroupNorm(0, n)', 'nn.LayerNorm(n, eps=0)', 'nn.Flatten()', 'nn.MaxPool1d(0)'),
    // Mostly small; sometimes a loop the 10,000-iteration cap has to stop (those take ~1 s each).
    depth: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('3', '0', '-1', '40') }, { weight: 1, arbitrary: fc.constantFrom('10**6', "float('inf')") }),
    style: fc.constantFrom('sequential', 'class'),
  })
  .map(({ widths, act, init, extra, depth, style }) => {
    const layers = widths.slice(1).map((w, i) => `nn.Linear(${widths[i]}, ${w}), ${act}${extra && i === 0 ? `, ${extra}` : ''}`).join(', ');
    const initLoop = init ? `for m in model.modules():\n    if isinstance(m, nn.Linear):\n        ${init}\n` : '';
    if (style === 'sequential') {
      return `import torch.nn as nn\nn = ${widths[1]}\nlayers = [${layers}]\nfor _ in range(${depth}):\n    layers += [nn.Linear(n, n), ${act}]\nmodel = nn.Sequential(*layers)\n${initLoop}`;
    }
    return `import torch.nn as nn\nimport torch.nn.functional as F\nn = ${widths[1]}\nclass Net(nn.Module):\n    def __init__(self, depth=${depth}):\n        super().__init__()\n        self.body = nn.ModuleList([nn.Linear(n, n) for _ in range(depth)])\n        self.head = nn.Sequential(${layers})\n    def forward(self, x):\n        x = self.head(x)\n        for f in self.body:\n            x = x + F.selu(f(x))\n        return x\nmodel = Net()\n${initLoop}`;
  });

test('generated models with absurd numbers (0, negative, 10^300, NaN, inf widths, rates, eps, inits) stay sound', async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('generated Python models');
  assertProperty(
    fc.property(generatedModel, (text) => {
      const { value: r, ms } = figures.time('generated model', () => analyzer.analyze('gen.py', text), text);
      assert.ok(ms < HANG_GUARD_MS);
      expectSound('gen.py', text, r);
      assert.ok(r.models.length > 0 || r.error !== null, 'either a model or an error');
    }),
    fuzzParams(0x5eed03, 80),
  );
  console.log(figures.report());
});
