import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedDebounce } from '../../extension/keyedDebounce';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('KeyedDebounce: the last schedule per key runs once, keys are independent, cancel and dispose drop timers', async () => {
  const d = new KeyedDebounce();
  const ran: string[] = [];
  d.schedule('a', 20, () => ran.push('a1'));
  d.schedule('a', 20, () => ran.push('a2'));
  d.schedule('b', 20, () => ran.push('b'));
  d.schedule('c', 20, () => ran.push('c'));
  d.cancel('c');
  await sleep(60);
  assert.deepEqual(ran.sort(), ['a2', 'b']);
  d.schedule('a', 20, () => ran.push('a3'));
  d.dispose();
  await sleep(60);
  assert.deepEqual(ran.sort(), ['a2', 'b']);
});
