import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ColumnStatsLayout } from '../../webview/kernels/column_stats_gpu';
import { quarterTexel, reduceGrid, reduceItems, reduceTotals } from '../../webview/kernels/stats_reduce_gpu';

const layout = (over: Partial<ColumnStatsLayout>): ColumnStatsLayout => ({
  rows: 4,
  units: 5,
  chunkRows: 2,
  chunks: 2,
  samePrePost: false,
  weightRows: 0,
  saturation: [],
  trackDead: false,
  preShared: false,
  gather: 'none',
  quads: false,
  postExtremesFromPre: false,
  ...over,
});

test('stage-2 layout: items in member and statPairs order, a quad each, quads about square', () => {
  const a = layout({ weightRows: 3, trackDead: true });
  const b = layout({ samePrePost: true, preShared: true });
  assert.deepEqual(
    reduceItems([a, b]).map((i) => `${i.member}:${i.pair}`),
    ['0:preMoments', '0:preExtremes', '0:preCounts', '0:postMoments', '0:postExtremes', '0:params'],
    'a shared single tensor has nothing left to reduce',
  );
  assert.deepEqual(reduceGrid(6), { quadsPerRow: 3, shape: [8, 12] });
  assert.deepEqual(reduceGrid(1), { quadsPerRow: 1, shape: [4, 4] });
  // Item 4 of 3 per row: quad row 1, quad column 1; its quarters are the quad's 2x2 texels.
  assert.deepEqual([0, 1, 2, 3].map((q) => quarterTexel(4, q, 3)), [[2, 2], [2, 3], [3, 2], [3, 3]]);
});

test('stage-2 totals finish in the decoder: pooled shifted moments, NaN extremes, counts per element and unit', () => {
  const a = layout({ weightRows: 3, trackDead: true, saturation: [{ finiteLo: false, finiteHi: true }] });
  const b = layout({ samePrePost: true });
  const items = reduceItems([a, b]);
  const { quadsPerRow } = reduceGrid(items.length);
  // Quarter q of each item: chosen totals (n = 20 elements, 5 units per layer).
  const values: Record<string, number[][]> = {
    '0:preMoments': [[1, 10, 0.5, 0], [2, 4, 0.5, 0], [-1, 3, 0.5, 0], [0, 3, 0.5, 0]], // T1 2, T2 20
    '0:preExtremes': [[-3, 4, 0, 0], [-1, 7, 0, 0], [-2, 1, 0, 0], [0, 0, 0, 0]],
    '0:preCounts': [[3, 1, 0, 0], [2, 0, 0, 0], [0, 1, 0, 0], [1, 0, 0, 0]], // 6 saturated, 2 dead units
    '0:postMoments': [[4, 8, -1, 0], [0, 0, -1, 0], [0, 0, -1, 0], [0, 0, -1, 0]], // T1 4, T2 8
    '0:postExtremes': [[-3, 4, 0, 0], [-1, 7, 1, 0], [-2, 1, 0, 0], [0, 0, 0, 0]], // a NaN partial
    '0:params': [[1, 2, 0, 0], [1, 2, 0, 0], [1, 2, 0, 0], [0.5, 0, 0, 0]],
    '1:preMoments': [[0, 5, 2, 0], [0, 5, 2, 0], [0, 5, 2, 0], [0, 5, 2, 0]],
    '1:preExtremes': [[1, 2, 0, 0], [1, 3, 0, 0], [1.5, 2.5, 0, 0], [1.25, 2, 0, 0]],
  };
  const grid = new Map<string, number[]>();
  items.forEach((it, j) => [0, 1, 2, 3].forEach((q) => grid.set(quarterTexel(j, q, quadsPerRow).join(), values[`${it.member}:${it.pair}`][q])));
  const [ta, tb] = reduceTotals([a, b], (r, c) => grid.get(`${r},${c}`) as number[]);
  assert.equal(ta.preMean, 0.5 + 2 / 20);
  assert.equal(ta.preVariance, 20 / 20 - (2 / 20) ** 2);
  assert.deepEqual([ta.preMin, ta.preMax], [-3, 7]);
  assert.equal(ta.saturation, 6 / 20);
  assert.equal(ta.dead, 2 / 5);
  assert.equal(ta.mean, -1 + 4 / 20);
  assert.equal(ta.variance, 8 / 20 - (4 / 20) ** 2);
  assert.ok(Number.isNaN(ta.postMin) && Number.isNaN(ta.postMax), 'a NaN partial makes both extremes NaN');
  assert.deepEqual([ta.gradSquared, ta.weightSquared], [3.5, 6]);
  assert.deepEqual([tb.preMean, tb.preVariance, tb.preMin, tb.preMax], [2, 1, 1, 3]);
  assert.deepEqual([tb.mean, tb.variance, tb.postMin, tb.postMax], [2, 1, 1, 3], 'a single tensor: post numbers are the pre ones');
  assert.deepEqual([tb.saturation, tb.dead, tb.gradSquared], [0, 0, 0]);
});
