import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConcatColumnsProgram } from '../../webview/kernels/concat_columns_gpu';
import { cachedProgram } from '../../webview/kernels/runProgram';

test('cachedProgram: one program per class and JSON-equal arguments, new arguments build a new one, the oldest go past 256', () => {
  const blocks = (...widths: number[]) => widths.map((width) => ({ kind: 'block' as const, width }));
  const a = cachedProgram(ConcatColumnsProgram, blocks(4, 2));
  assert.equal(cachedProgram(ConcatColumnsProgram, blocks(4, 2)), a, 'equal arguments: the same object');
  const b = cachedProgram(ConcatColumnsProgram, blocks(2, 4));
  assert.notEqual(b, a, 'other arguments: another program');
  assert.deepEqual(a.outputShape, [2, 6]);
  assert.notEqual(a.userCode, b.userCode);
  assert.equal(a.userCode, new ConcatColumnsProgram(blocks(4, 2)).userCode, 'the cached program is the one the class builds');
  for (let w = 6; w < 6 + 2 * 256; w += 2) cachedProgram(ConcatColumnsProgram, blocks(w));
  assert.notEqual(cachedProgram(ConcatColumnsProgram, blocks(4, 2)), a, 'evicted after 256 newer programs of the class');
});
