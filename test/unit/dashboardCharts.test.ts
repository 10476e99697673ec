/**
 * The dashboard's chart data (webview/charts/chartData.ts): percentile bands from records, the layer x step
 * heatmap matrix and its layout at sidebar width, log-scale handling of zero / NaN / infinity, SELU trajectories.
 * Hand-made records pin exact values; a real CPU probe of a 64-layer sigmoid MLP checks the shapes at scale.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { LayerSample, ProbeRecord } from '../../core/probe/config';
import { TENSORBOARD_PERCENTILES } from '../../core/probe/config';
import { runProbe } from '../../core/probe/runner';
import { mlpModel } from '../../core/probe/syntheticModels';
import {
  HEAT_TICKS,
  MEDIAN,
  PERCENTILE_BANDS,
  defaultDistributionLayer,
  heatPosition,
  heatmapCellAt,
  heatmapLayout,
  heatmapMatrix,
  inTheorem1Box,
  logPositive,
  logDecades,
  logRange,
  logTickLabel,
  meanVarianceTrajectory,
  percentileBands,
  sampledLayers,
} from '../../webview/charts/chartData';
import { mix, parseRgb } from '../../webview/charts/series';
import { withAlpha } from '../../webview/theme';

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

function sample(index: number, extra: Partial<LayerSample> = {}): LayerSample {
  return {
    index,
    mean: 0,
    variance: 1,
    preMean: 0,
    preVariance: 1,
    percentilesPre: TENSORBOARD_PERCENTILES.map((p) => (p - 50) / 10),
    percentilesPost: TENSORBOARD_PERCENTILES.map((p) => p / 100),
    saturation: 0,
    dead: 0,
    gradNorm: 1,
    updateRatio: 1e-3,
    ...extra,
  };
}

function record(step: number, layers: LayerSample[]): ProbeRecord {
  return { step, loss: 1, elapsedMs: step, layers, diverged: null };
}

// A 4-layer model as the IR has it: dense, selu activation, dense, dense (linear).
const model = mlpModel({ input: 8, width: 8, depth: 1, activation: 'selu', init: 'lecun_normal', output: 4 });

test('the bands nest as TensorBoard draws them: 0-100, 6.68-93.32, 15.87-84.13, 30.85-69.15 around the median', () => {
  assert.deepEqual(
    PERCENTILE_BANDS.map(([lo, hi]) => [TENSORBOARD_PERCENTILES[lo], TENSORBOARD_PERCENTILES[hi]]),
    [
      [0, 100],
      [6.68, 93.32],
      [15.87, 84.13],
      [30.85, 69.15],
    ],
  );
  assert.equal(TENSORBOARD_PERCENTILES[MEDIAN], 50);
});

test('percentileBands: one row per percentile, one column per record; pre and post come from their own lists', () => {
  const records = [record(0, [sample(1)]), record(10, [sample(1, { percentilesPost: TENSORBOARD_PERCENTILES.map((p) => p / 50) })])];
  const post = percentileBands(records, 1, 'post')!;
  assert.deepEqual(post.steps, [0, 10]);
  assert.equal(post.percentiles.length, 9);
  assert.deepEqual(post.percentiles[MEDIAN], [0.5, 1]);
  assert.deepEqual(post.percentiles[8], [1, 2]);
  assert.deepEqual(post.percentiles[1], [0.0668, 0.1336]);
  const pre = percentileBands(records, 1, 'pre')!;
  assert.deepEqual(pre.percentiles[0], [-5, -5]);
  assert.deepEqual(pre.percentiles[6], [(84.13 - 50) / 10, (84.13 - 50) / 10]);
});

test('percentileBands: gaps (null) for a missing layer, a non-finite percentile, a list of the wrong length; null for an unmeasured layer', () => {
  const nanList = TENSORBOARD_PERCENTILES.map((p, i) => (i === 8 ? Infinity : i === 0 ? NaN : p));
  const records = [record(0, [sample(1)]), record(5, [sample(2)]), record(10, [sample(1, { percentilesPost: nanList })]), record(15, [sample(1, { percentilesPost: [1, 2, 3] })])];
  const b = percentileBands(records, 1, 'post')!;
  assert.deepEqual(b.steps, [0, 5, 10, 15]);
  assert.deepEqual(b.percentiles[0], [0, null, null, null]);
  assert.deepEqual(b.percentiles[8], [1, null, null, null]);
  assert.deepEqual(b.percentiles[MEDIAN], [0.5, null, 50, null]);
  assert.equal(percentileBands(records, 7, 'post'), null);
  assert.equal(percentileBands([], 1, 'pre'), null);
});

test('log scale: zero, negatives, NaN and infinities are gaps; the range is decade-aligned and always shows the guide', () => {
  assert.deepEqual([0, -1e-3, NaN, Infinity, -Infinity, null, undefined, 2e-5].map(logPositive), [null, null, null, null, null, null, null, 2e-5]);
  assert.deepEqual(logRange([2e-5, 0.3, 0, NaN]), [1e-5, 1]);
  // The 1e-3 guide widens a range that would not reach it.
  assert.deepEqual(logRange([0.02, 0.5], [1e-3]), [1e-3, 1]);
  // Exactly a power of ten: one decade either side, never an empty range.
  assert.deepEqual(logRange([1e-3]), [1e-4, 1e-2]);
  assert.deepEqual(logRange([1, 1, 1]), [0.1, 10]);
  // Nothing plottable at all (every update ratio 0 or NaN): a default, not NaN.
  assert.deepEqual(logRange([0, NaN, null]), [0.1, 10]);
  assert.deepEqual(logRange([0, NaN], [1e-3]), [1e-4, 1e-2]);
});

test('heatmapMatrix: rows are the activated layers, values row-major, NaN where not measured, clamped to [0, 1]', () => {
  // Layers 0 (dense), 1 (selu), 2 (dense out). Only layer 1 has an activation.
  const records = [
    record(0, [sample(0), sample(1, { saturation: 0.25, dead: 0 }), sample(2)]),
    record(10, [sample(0), sample(1, { saturation: 1.2 }), sample(2)]),
    record(20, [sample(0), sample(2)]),
    record(30, [sample(0), sample(1, { saturation: NaN }), sample(2)]),
  ];
  const m = heatmapMatrix(model.layers, records, 'saturation')!;
  assert.deepEqual(m.rows, [{ index: 1, name: model.layers[1].name }]);
  assert.deepEqual(m.steps, [0, 10, 20, 30]);
  assert.deepEqual([...m.values].map((v) => (Number.isNaN(v) ? 'NaN' : v)), [0.25, 1, 'NaN', 'NaN']);
  assert.equal(m.max, 1);
  const dead = heatmapMatrix(model.layers, records, 'dead')!;
  // Step 30 measured dead units (0) even though its saturation was NaN: each metric has its own gaps.
  assert.deepEqual([...dead.values].map((v) => (Number.isNaN(v) ? 'NaN' : v)), [0, 0, 'NaN', 0]);
  assert.equal(dead.max, 0);
  assert.equal(heatmapMatrix(model.layers, [], 'saturation'), null);
});

test('heatmapMatrix: a model without activations shows every sampled layer', () => {
  const linear = mlpModel({ input: 4, width: 4, depth: 2, activation: 'linear', init: 'lecun_normal', inlineActivation: true });
  const records = [record(0, linear.layers.map((l) => sample(l.index, { saturation: l.index / 10 })))];
  const m = heatmapMatrix(linear.layers, records, 'saturation')!;
  assert.deepEqual(m.rows.map((r) => r.index), linear.layers.map((l) => l.index));
  assert.deepEqual([...m.values], linear.layers.map((l) => l.index / 10));
});

test('heat ramp: sqrt, so 50 % (the saturation threshold) sits at 0.71 and 1 % is already a tenth of the way', () => {
  assert.equal(heatPosition(0), 0);
  assert.equal(heatPosition(0.01), 0.1);
  assert.equal(heatPosition(0.25), 0.5);
  assert.ok(Math.abs(heatPosition(0.5) - Math.SQRT1_2) < 1e-12);
  assert.equal(heatPosition(4), 1);
  assert.ok(Number.isNaN(heatPosition(NaN)));
  assert.deepEqual(HEAT_TICKS.map(heatPosition).map((x) => Number(x.toFixed(3))), [0, 0.316, 0.5, 0.707, 1]);
});

test('heatmapLayout at sidebar width: 64 rows x 21 columns fit 282 px, labels never collide, cells map back', () => {
  const L = heatmapLayout(64, 21, 282);
  assert.equal(L.left, 73);
  assert.equal(L.plotWidth, 282 - 73 - 6);
  assert.equal(L.rowHeight, 5);
  assert.equal(L.plotHeight, 320);
  assert.equal(L.rowLabelEvery, 3);
  assert.ok(L.colWidth * L.colLabelEvery >= 34, `${L.colWidth} x ${L.colLabelEvery}`);
  assert.ok(L.left + L.plotWidth <= 282 && L.legend.x + L.legend.width <= 282);
  assert.equal(L.height, L.legend.y + L.legend.height + 16);
  // 200 layers still fit: 2 px rows, a label every 6th.
  const deep = heatmapLayout(200, 40, 282);
  assert.deepEqual([deep.rowHeight, deep.plotHeight, deep.rowLabelEvery], [2, 400, 6]);
  // Few rows get tall cells, capped at 14 px.
  assert.equal(heatmapLayout(4, 5, 282).rowHeight, 14);
  // Hit testing: the centre of cell (row 10, col 20) and points outside the cells.
  const x = L.left + 20.5 * L.colWidth;
  const y = L.top + 10.5 * L.rowHeight;
  assert.deepEqual(heatmapCellAt(L, 64, 21, x, y), { row: 10, col: 20 });
  assert.equal(heatmapCellAt(L, 64, 21, L.left - 1, y), null);
  assert.equal(heatmapCellAt(L, 64, 21, x, L.top + L.plotHeight + 1), null);
  assert.equal(heatmapCellAt(L, 64, 21, L.left + L.plotWidth + 1, y), null);
});

test('SELU plane: trajectories skip non-finite points; Theorem 1 box is mu in [-0.1, 0.1], nu in [0.8, 1.5]', () => {
  const records = [record(0, [sample(1, { mean: 0.02, variance: 0.95 })]), record(10, [sample(1, { mean: NaN, variance: 1 })]), record(20, [sample(1, { mean: -0.3, variance: 2 })])];
  assert.deepEqual(meanVarianceTrajectory(records, 1), [
    { step: 0, mean: 0.02, variance: 0.95 },
    { step: 20, mean: -0.3, variance: 2 },
  ]);
  assert.deepEqual(
    [
      [0, 1],
      [0.1, 0.8],
      [-0.1, 1.5],
      [0.11, 1],
      [0, 0.79],
      [0, 1.51],
    ].map(([m, v]) => inTheorem1Box(m, v)),
    [true, true, true, false, false, false],
  );
});

test('the distribution chart defaults to the first layer with a non-linear activation among the sampled ones', () => {
  assert.equal(defaultDistributionLayer(model.layers)?.index, 1);
  const records = [record(0, [sample(0), sample(2)])];
  const sampled = sampledLayers(model.layers, records);
  assert.deepEqual(sampled.map((l) => l.index), [0, 2]);
  assert.equal(defaultDistributionLayer(sampled)?.index, 0);
  assert.equal(defaultDistributionLayer([]), null);
});

test('a real 64-layer sigmoid probe (CPU, 20 steps, every step sampled): bands and heatmap have the run’s shape', async () => {
  const deep = mlpModel({ input: 8, width: 8, depth: 64, activation: 'sigmoid', init: 'lecun_normal' });
  const run = await runProbe(deep, { steps: 20, sampleEvery: 1, batchSize: 8, percentileSample: 64 });
  assert.equal(run.records.length, 21);
  const m = heatmapMatrix(deep.layers, run.records, 'saturation')!;
  assert.equal(m.rows.length, 64);
  assert.ok(m.rows.every((r) => deep.layers[r.index].kind === 'activation'));
  assert.equal(m.values.length, 64 * 21);
  assert.ok([...m.values].every((v) => v >= 0 && v <= 1), 'every cell measured, a fraction');
  const sigmoid = deep.layers.find((l) => l.kind === 'activation')!;
  const b = percentileBands(run.records, sigmoid.index, 'post')!;
  assert.equal(b.steps.length, 21);
  for (let c = 0; c < 21; c++) {
    const col = b.percentiles.map((row) => row[c]!);
    // Percentiles of a sigmoid output: ordered, inside (0, 1).
    assert.ok(col.every((v, i) => v > 0 && v < 1 && (i === 0 || v >= col[i - 1])), JSON.stringify(col));
  }
});

test('colour mixing reads the forms theme variables take (#rgb, #rrggbb, #rrggbbaa, rgb(), rgba())', () => {
  assert.deepEqual(parseRgb('#fff'), [255, 255, 255]);
  assert.deepEqual(parseRgb('#f14c4c'), [241, 76, 76]);
  assert.deepEqual(parseRgb('#f14c4c80'), [241, 76, 76]);
  assert.deepEqual(parseRgb('rgba(0, 128, 255, 0.5)'), [0, 128, 255]);
  assert.deepEqual(parseRgb('rgb(1 2 3)'), [1, 2, 3]);
  assert.equal(parseRgb('var(--x)'), null);
  assert.equal(mix('#000000', '#ffffff', 0.5), '#808080');
  assert.equal(mix('rgb(24, 24, 24)', '#f14c4c', 0), '#181818');
  assert.equal(mix('#181818', '#f14c4c', 1), '#f14c4c');
  assert.equal(withAlpha('#f14c4c', 0.2), '#f14c4c33');
  assert.equal(withAlpha('#abc', 1), '#aabbccff');
  // An 8-digit colour keeps its own alpha, scaled.
  assert.equal(withAlpha('#f14c4c80', 0.5), '#f14c4c40');
  assert.equal(withAlpha('red', 0.5), 'red');
});

test('log axis labels: decades only, plain from 0.01 to 1000, exponent form beyond', () => {
  assert.deepEqual([1e-5, 1e-4, 2e-4, 1e-3, 0.01, 0.1, 0.5, 1, 10, 1000, 1e4, 0, -1, NaN].map(logTickLabel), ['1e-5', '1e-4', '', '1e-3', '0.01', '0.1', '', '1', '10', '1000', '1e4', '', '', '']);
});

test('log axis ticks: whole decades, thinned from the top so at most maxTicks remain', () => {
  assert.deepEqual(logDecades(1e-4, 1e-2, 6), [1e-4, 1e-3, 1e-2]);
  assert.deepEqual(logDecades(2e-4, 5e-2, 6), [1e-3, 1e-2]);
  // Twenty decades (a vanishing-gradient sigmoid stack) into five ticks: every 5th decade, the top one kept.
  assert.deepEqual(logDecades(1e-20, 1, 5), [1e-20, 1e-15, 1e-10, 1e-5, 1]);
  assert.deepEqual(logDecades(1e-19, 10, 5), [1e-19, 1e-14, 1e-9, 1e-4, 10]);
  assert.deepEqual(logDecades(0, 1, 5), []);
  assert.deepEqual(logDecades(NaN, 1, 5), []);
  assert.deepEqual(logDecades(2, 3, 5), []);
});
