import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readJsonModels } from '../../core/frontends/json/readJson';
import { loadPythonParser } from '../../core/frontends/python/parser';
import { readPythonModels } from '../../core/frontends/python/readPython';

// Keras bias initializers mean the same thing whichever way the model was written down: one mapping
// (core/initializers.ts biasFromInitializer) serves the Python and the JSON front end.

const cases: [string, { class_name: string; config: Record<string, number> } | null, { scheme: string; variance: number | null }][] = [
  ["'zeros'", null, { scheme: 'zeros', variance: 0 }],
  ['initializers.Constant(0.5)', { class_name: 'Constant', config: { value: 0.5 } }, { scheme: 'constant', variance: 0 }],
  ['initializers.RandomNormal(stddev=0.1)', { class_name: 'RandomNormal', config: { mean: 0, stddev: 0.1 } }, { scheme: 'normal', variance: 0.01 }],
  ['initializers.RandomUniform(minval=-0.2, maxval=0.2)', { class_name: 'RandomUniform', config: { minval: -0.2, maxval: 0.2 } }, { scheme: 'uniform', variance: 0.16 / 12 }],
  ["'glorot_uniform'", { class_name: 'GlorotUniform', config: {} }, { scheme: 'unknown', variance: null }],
];

test('bias initializers: Python and JSON front ends agree on scheme and variance', async () => {
  const parser = await loadPythonParser();
  for (const [py, json, want] of cases) {
    const text = `from tensorflow.keras import layers, initializers, models\nm = models.Sequential([layers.Dense(8, input_shape=(4,), bias_initializer=${py})])\n`;
    const fromPy = readPythonModels(text, parser).models[0].layers[0].bias;
    const cfg = { name: 'd', units: 8, batch_input_shape: [null, 4], ...(json ? { bias_initializer: json } : {}) };
    const r = readJsonModels(JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: cfg }] } }));
    const fromJson = r.models[0].layers[0].bias;
    for (const [what, b] of [['python', fromPy], ['json', fromJson]] as const) {
      assert.equal(b?.scheme, want.scheme, `${what} ${py}`);
      if (want.variance === null) assert.equal(b?.variance, null, `${what} ${py}`);
      else assert.ok(Math.abs((b?.variance ?? NaN) - want.variance) < 1e-15, `${what} ${py}: variance ${b?.variance} != ${want.variance}`);
    }
  }
});
