import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcatColumnsProgram, foldedShape, unfold } from '../../webview/kernels/concat_columns_gpu';
import { texelsToRowMajor } from '../../webview/kernels/readback';

test('folded concatenation: shape [2 fold, even width], and unfold restores the flat [2, total] layout', () => {
  assert.deepEqual(foldedShape(10, 1), [2, 10]);
  assert.deepEqual(foldedShape(10, 2), [4, 6]); // runs of 6 columns, the second one 4 long (zero-padded)
  assert.deepEqual(foldedShape(12, 3), [6, 4]);
  assert.deepEqual(foldedShape(10, 4), [8, 4]); // the last run is empty
  // [2, 10]: row 0 = 0..9, row 1 = 100..109; fold 2, width 6: rows (0, 1) hold columns 0-5, rows (2, 3) 6-9 + pad.
  const flat = Float32Array.from([...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
  const folded = Float32Array.from([0, 1, 2, 3, 4, 5, 100, 101, 102, 103, 104, 105, 6, 7, 8, 9, 0, 0, 106, 107, 108, 109, 0, 0]);
  assert.deepEqual(Array.from(unfold(folded, 10, 2)), Array.from(flat));
  const folded4 = new Float32Array(8 * 4);
  [0, 1, 2].forEach((f) => {
    for (let j = 0; j < 4 && 4 * f + j < 10; j++) {
      folded4[2 * f * 4 + j] = flat[4 * f + j];
      folded4[(2 * f + 1) * 4 + j] = flat[10 + 4 * f + j];
    }
  });
  assert.deepEqual(Array.from(unfold(folded4, 10, 4)), Array.from(flat));
  assert.equal(unfold(flat, 10, 1), flat, 'fold 1 is the flat layout itself');
});

test('ConcatColumnsProgram: the folded output shape (the WebGL statistics tests check its values)', () => {
  const p = new ConcatColumnsProgram([{ kind: 'block', width: 2 }, { kind: 'rows', count: 3, width: 6 }], 3);
  assert.deepEqual(p.outputShape, [6, 8]);
  assert.deepEqual(new ConcatColumnsProgram([{ kind: 'block', width: 2 }, { kind: 'rows', count: 3, width: 6 }]).outputShape, [2, 20]);
});

test('texelsToRowMajor: packed RGBA texels (2x2 blocks) to row-major values', () => {
  // [4, 4] = 0..15 row-major; texel (i, j) holds rows 2i, 2i + 1 x columns 2j, 2j + 1.
  const texels = Float32Array.from([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
  assert.deepEqual(Array.from(texelsToRowMajor(texels, 4, 4)), Array.from({ length: 16 }, (_, i) => i));
  assert.deepEqual(Array.from(texelsToRowMajor(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 2, 4)), [1, 2, 5, 6, 3, 4, 7, 8]);
});
