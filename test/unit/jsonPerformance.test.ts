import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readJsonModels } from '../../core/frontends/json/readJson';
import { generateResidualTopology } from '../../bench/generate';

// A generated 200-layer Keras 2 functional topology (the same one `npm run bench` times).

test('200-layer functional residual topology is read completely (timing: npm run bench)', () => {
  const m = readJsonModels(generateResidualTopology(40)).models[0];
  assert.equal(m.layers.length, 200);
  assert.deepEqual(m.partial, []);
  assert.ok(m.layers.every((l) => l.in.value === 512 && l.out.value === 512));
  // Block b's Add (index 5b+4) adds the previous block's Add (index 5b-1; the model input for b = 0).
  assert.deepEqual(m.layers[4].residual, { from: -1 });
  assert.deepEqual(m.layers[199].residual, { from: 194 });
  assert.equal(m.layers[195].init!.weightVariance, 1 / 512);
});
