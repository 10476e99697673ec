import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcatColumnsProgram } from '../../webview/kernels/concat_columns_gpu';
import { cachedProgram } from '../../webview/kernels/runProgram';

test('cachedProgram: one program per class and JSON-equal arguments, new arguments build a new one, the oldest go past 256', () => {
  const block = (width: number) => [{ kind: 'block' as const, width }];
  const a = cachedProgram(ConcatColumnsProgram, block(4), true);
  assert.equal(cachedProgram(ConcatColumnsProgram, block(4), true), a, 'equal arguments: the same object');
  const b = cachedProgram(ConcatColumnsProgram, block(4), false);
  assert.notEqual(b, a, 'packed and flat differ');
  assert.deepEqual(b.outputShape, [2, 4]);
  assert.deepEqual(a.outputShape, [8]);
  assert.equal(a.userCode, new ConcatColumnsProgram(block(4), true).userCode, 'the cached program is the one the class builds');
  for (let w = 6; w < 6 + 2 * 256; w += 2) cachedProgram(ConcatColumnsProgram, block(w), true);
  assert.notEqual(cachedProgram(ConcatColumnsProgram, block(4), true), a, 'evicted after 256 newer programs of the class');
});
