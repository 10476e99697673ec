import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTree } from 'jsonc-parser';
import type { Node } from 'jsonc-parser';
import { TRUNCATED_NORMAL_STD } from '../../core/initializers';
import { orderGraph, readInbound } from '../../core/frontends/json/functionalGraph';
import { normaliseActivationName } from '../../core/frontends/json/kerasActivations';
import { readBias, readInitializer } from '../../core/frontends/json/kerasInitializers';
import { createLineIndex } from '../../core/frontends/json/sourceRanges';
import { intTupleOf, shapeOf } from '../../core/frontends/json/jsonTree';

// The building blocks of the JSON front end, one by one.

function tree(value: unknown): Node {
  return parseTree(JSON.stringify(value))!;
}
const noRange = () => undefined;

test('line index: \\n, \\r\\n and lone \\r all break lines, columns count UTF-16 units', () => {
  const text = 'ab\r\ncd\ref\ngh';
  const idx = createLineIndex(text);
  assert.deepEqual(idx.positionAt(0), { line: 0, column: 0 });
  assert.deepEqual(idx.positionAt(4), { line: 1, column: 0 });
  assert.deepEqual(idx.positionAt(7), { line: 2, column: 0 });
  assert.deepEqual(idx.positionAt(11), { line: 3, column: 1 });
  assert.deepEqual(idx.positionAt(999), { line: 3, column: 2 });
  assert.deepEqual(idx.rangeAt(1, 5), { startLine: 0, startColumn: 1, endLine: 1, endColumn: 2 });
  const emoji = createLineIndex('"\u{1F600}", 1');
  assert.deepEqual(emoji.positionAt(5), { line: 0, column: 5 });
});

test('initializers: Keras 3 objects, Keras 2 VarianceScaling, tfjs and string spellings', () => {
  const spec = (value: unknown, framework: 'keras' | 'tfjs' = 'keras') => readInitializer(tree(value), framework, noRange).spec;
  const k3 = spec({ module: 'keras.initializers', class_name: 'LecunNormal', config: { seed: null }, registered_name: null });
  assert.deepEqual([k3.scheme, k3.distribution, k3.mode, k3.scale, k3.explicit], ['lecun_normal', 'truncated_normal', 'fan_in', 1, true]);
  assert.equal(spec('lecun_normal').scheme, 'lecun_normal');
  assert.equal(spec('leCunNormal', 'tfjs').scheme, 'lecun_normal');
  assert.equal(spec('glorot_uniform').distribution, 'uniform');
  assert.equal(spec({ class_name: 'HeUniform', config: { seed: null } }).scheme, 'he_uniform');

  const vs = (config: Record<string, unknown>, framework: 'keras' | 'tfjs' = 'keras') => spec({ class_name: 'VarianceScaling', config }, framework);
  assert.equal(vs({ scale: 1.0, mode: 'fan_in', distribution: 'normal' }).scheme, 'lecun_normal');
  assert.equal(vs({ scale: 1.0, mode: 'fan_in', distribution: 'truncated_normal' }).scheme, 'lecun_normal');
  assert.equal(vs({ scale: 2.0, mode: 'fan_in', distribution: 'uniform' }).scheme, 'he_uniform');
  assert.equal(vs({ scale: 1.0, mode: 'fan_avg', distribution: 'normal' }).scheme, 'glorot_normal');
  const untruncated = vs({ scale: 1.0, mode: 'fan_in', distribution: 'untruncated_normal' });
  assert.deepEqual([untruncated.scheme, untruncated.distribution], ['variance_scaling', 'normal']);
  const fanOut = vs({ scale: 2.0, mode: 'fan_out', distribution: 'truncated_normal' });
  assert.deepEqual([fanOut.scheme, fanOut.mode, fanOut.scale], ['variance_scaling', 'fan_out', 2]);
  // tfjs spells modes in camelCase before snake-casing; its default distribution is "normal" (= truncated).
  assert.deepEqual([vs({ scale: 1, mode: 'fanIn' }, 'tfjs').scheme, vs({ scale: 1, mode: 'fanIn' }, 'tfjs').distribution], ['lecun_normal', 'truncated_normal']);

  const normal = spec({ class_name: 'RandomNormal', config: { mean: 0.0, stddev: 0.01, seed: null } });
  assert.deepEqual([normal.scheme, normal.std, normal.mean], ['normal', 0.01, 0]);
  assert.equal(spec({ class_name: 'TruncatedNormal', config: { mean: 0.0, stddev: 0.02 } }).std, 0.02);
  const uniform = spec({ class_name: 'RandomUniform', config: { minval: -0.1, maxval: 0.1 } });
  assert.deepEqual([uniform.low, uniform.high], [-0.1, 0.1]);
  assert.equal(spec({ class_name: 'Orthogonal', config: { gain: 1.0, seed: null } }).scheme, 'orthogonal');
  assert.equal(spec({ class_name: 'Constant', config: { value: 0.5 } }).value, 0.5);

  const unknown = readInitializer(tree({ class_name: 'Custom>MyInit', config: {} }), 'keras', noRange);
  assert.equal(unknown.spec.scheme, 'unknown');
  assert.equal(unknown.unrecognised, 'Custom>MyInit');
  const absentKeras = readInitializer(undefined, 'keras', noRange).spec;
  assert.deepEqual([absentKeras.scheme, absentKeras.explicit], ['glorot_uniform', false]);
  // tfjs-layers Dense / Conv default to glorotNormal (its DEFAULT_KERNEL_INITIALIZER).
  assert.equal(readInitializer(undefined, 'tfjs', noRange).spec.scheme, 'glorot_normal');
  assert.equal(TRUNCATED_NORMAL_STD ** 2 > 0.7737 && TRUNCATED_NORMAL_STD ** 2 < 0.7738, true);
});

test('bias initializers', () => {
  assert.deepEqual(readBias(false, undefined, 'keras'), { present: false, variance: 0, scheme: 'zeros' });
  assert.deepEqual(readBias(true, tree({ class_name: 'Zeros', config: {} }), 'keras'), { present: true, variance: 0, scheme: 'zeros' });
  assert.deepEqual(readBias(true, tree({ class_name: 'Constant', config: { value: 0.1 } }), 'tfjs'), { present: true, variance: 0, scheme: 'constant' });
  assert.deepEqual(readBias(true, tree({ class_name: 'RandomNormal', config: { stddev: 0.1 } }), 'keras'), { present: true, variance: 0.1 ** 2, scheme: 'normal' });
  assert.equal(readBias(true, tree({ class_name: 'RandomUniform', config: { minval: -0.3, maxval: 0.3 } }), 'keras').variance, (0.6 * 0.6) / 12);
  assert.equal(readBias(true, tree({ class_name: 'HeNormal', config: {} }), 'keras').scheme, 'unknown');
});

test('activation names across Keras 2, Keras 3 and tfjs spellings', () => {
  const cases: [string, string | null][] = [
    ['linear', 'linear'], ['selu', 'selu'], ['hard_sigmoid', 'hard_sigmoid'], ['hardSigmoid', 'hard_sigmoid'],
    ['silu', 'swish'], ['swish', 'swish'], ['log_softmax', 'log_softmax'], ['logSoftmax', 'log_softmax'],
    ['leaky_relu', 'leaky_relu'], ['gelu', 'gelu'], ['relu6', 'relu6'], ['exponential', null], ['hard_silu', null],
  ];
  for (const [raw, want] of cases) assert.equal(normaliseActivationName(raw), want, raw);
});

test('inbound nodes: Keras 2 lists (with TFOpLambda kwargs), Keras 3 nested __keras_tensor__', () => {
  const k2 = readInbound(tree({ inbound_nodes: [[['dense_1', 0, 0, { y: ['dense', 0, 0], name: null }]], [['other', 1, 0, {}]]] }));
  assert.deepEqual(k2.inputs.map((r) => r.layer), ['dense_1', 'dense']);
  assert.equal(k2.calls, 2);
  const kt = (name: string, t = 0) => ({ class_name: '__keras_tensor__', config: { shape: [null, 4], dtype: 'float32', keras_history: [name, 0, t] } });
  const k3 = readInbound(tree({ inbound_nodes: [{ args: [[kt('a'), kt('b', 1)]], kwargs: { mask: kt('m') } }] }));
  assert.deepEqual(k3.inputs.map((r) => [r.layer, r.tensor]), [['a', 0], ['b', 1], ['m', 0]]);
  assert.deepEqual(readInbound(tree({ inbound_nodes: [] })), { inputs: [], calls: 0 });
  assert.deepEqual(readInbound(tree({})), { inputs: [], calls: 0 });
});

test('graph order: dependencies first, file order otherwise, cycles dropped and named', () => {
  const ref = (layer: string) => ({ layer, tensor: 0, at: tree(0) });
  const g = (name: string, ...inputs: string[]) => ({ name, inputs: inputs.map(ref), calls: 1 });
  // Out of file order: "b" reads "c" which comes later in the file.
  const out = orderGraph([g('in'), g('b', 'c'), g('c', 'in'), g('d', 'b', 'in')]);
  assert.deepEqual(out.order, [0, 2, 1, 3]);
  assert.deepEqual([out.cyclic, out.missing], [[], []]);
  const cyc = orderGraph([g('a', 'c'), g('b', 'a'), g('c', 'b'), g('d', 'x')]);
  assert.equal(cyc.order.length, 4);
  assert.deepEqual(cyc.cyclic.sort(), ['a', 'b', 'c']);
  assert.deepEqual(cyc.missing.map((r) => r.layer), ['x']);
  // A 20,000-layer chain listed backwards: no recursion, no stack overflow.
  const chain = Array.from({ length: 20_000 }, (_, i) => g(`l${i}`, ...(i < 19_999 ? [`l${i + 1}`] : [])));
  const long = orderGraph(chain);
  assert.equal(long.order[0], 19_999);
  assert.equal(long.order[19_999], 0);
});

test('shape and tuple readers', () => {
  assert.deepEqual(shapeOf(tree([null, 28, 28, 1])), [null, 28, 28, 1]);
  assert.equal(shapeOf(tree([null, 'x'])), null);
  assert.deepEqual(intTupleOf(tree(3), 2), [3, 3]);
  assert.deepEqual(intTupleOf(tree([3]), 2), [3, 3]);
  assert.deepEqual(intTupleOf(tree([3, 5]), 2), [3, 5]);
  assert.equal(intTupleOf(tree([3, 0]), 2), null);
  assert.equal(intTupleOf(tree('3'), 2), null);
});
