import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_JSON_DEPTH } from '../../core/frontends/json/jsonTree';
import { MAX_JSON_LAYERS, NOT_A_MODEL, looksLikeModelJson, readJsonModels } from '../../core/frontends/json/readJson';
import { MAX_MODEL_DEPTH } from '../../core/frontends/json/topologyWalker';

// Everything that is not a clean model must come back as an error or partial reasons, never as a throw.

const dense = (name: string, units: unknown, extra: Record<string, unknown> = {}) => ({
  class_name: 'Dense',
  config: { name, units, activation: 'selu', kernel_initializer: { class_name: 'LecunNormal', config: { seed: null } }, ...extra },
});
const sequential = (layers: unknown, name = 'seq') => ({ class_name: 'Sequential', config: { name, layers } });

test('other JSON files are format unknown with the fixed message, and the sniff rejects them cheaply', () => {
  const pkg = JSON.stringify({ name: 'x', version: '1.0.0', scripts: { test: 'node' }, dependencies: { keras: '1' } }, null, 2);
  const tsconfig = '{\n  "compilerOptions": { "strict": true }\n}\n';
  for (const text of [pkg, tsconfig, '[1, 2, 3]', '"Sequential"', '{"class_name": "Dense", "config": {"units": 3}}']) {
    assert.equal(looksLikeModelJson(text), false, text);
    const result = readJsonModels(text);
    assert.equal(result.format, 'unknown');
    assert.deepEqual(result.error, { message: NOT_A_MODEL, range: null });
    assert.deepEqual(result.models, []);
  }
  assert.equal(looksLikeModelJson('\uFEFF  {"class_name": "Sequential", "config": {"layers": []}}'), true);
  assert.equal(looksLikeModelJson('{"format": "layers-model", "modelTopology": {}}'), true);
  // A huge non-model file is still answered from its first 64 KiB and last 4 KiB.
  const big = `{"data": [${'1,'.repeat(2_000_000)}1]}`;
  const t0 = performance.now();
  assert.equal(looksLikeModelJson(big), false);
  // Hang guard only (speed is benchmarked): reading 4 MB whole would take far longer on a loaded machine.
  assert.ok(performance.now() - t0 < 2000);
});

test('syntax errors give the 1-based position in the message and a 0-based range', () => {
  const text = '{\n  "class_name": "Sequential",\n  "config": {"layers": [,]}\n}';
  const result = readJsonModels(text);
  assert.equal(result.format, 'keras-json');
  assert.equal(result.error!.message, 'JSON syntax error at line 3, column 25: value expected');
  assert.deepEqual(result.error!.range, { startLine: 2, startColumn: 24, endLine: 2, endColumn: 25 });
  assert.equal(readJsonModels('').error!.message, 'JSON syntax error at line 1, column 1: value expected (the file ends early: is it truncated?)');
  assert.equal(readJsonModels('{"a": 1} // x').format, 'unknown');
  assert.match(readJsonModels('{"modelTopology": {"class_name": "Sequential"').error!.message, /^JSON syntax error/);
  assert.equal(readJsonModels('{"modelTopology": {"class_name": "Sequential"').format, 'tfjs-json');
});

test('wrong types: units "abc" and a non-array layers end as partial reasons naming the symbol', () => {
  const m = readJsonModels(JSON.stringify(sequential([
    dense('d0', 32, { batch_input_shape: [null, 16] }), dense('d1', 'abc'), dense('d2', 8),
  ]))).models[0];
  assert.deepEqual(m.layers.map((l) => [l.in.value, l.out.value]), [[16, 32], [32, null], [null, 8]]);
  assert.equal(m.layers[1].out.symbol, 'd1.units');
  assert.equal(m.layers[2].in.symbol, 'd1.units');
  assert.equal(m.layers[2].init!.weightVariance, null);
  assert.equal(m.layers[2].init!.sigmaW2, 1); // lecun_normal is 1 / fan_in at any width
  assert.equal(m.partial.length, 1);
  assert.equal(m.partial[0].symbol, 'd1.units');
  assert.equal(m.partial[0].layer, 1);
  assert.match(m.partial[0].reason, /units is "abc", not a positive integer/);

  const noLayers = readJsonModels(JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: 5 } }));
  assert.equal(noLayers.error, null);
  assert.deepEqual(noLayers.models[0].layers, []);
  assert.ok(noLayers.models[0].partial.some((p) => p.symbol === 'layers' && /no "layers" array/.test(p.reason)));
});

test('missing input shape: partial reason, or the inputSize default; batchSize default', () => {
  const text = JSON.stringify(sequential([dense('d0', 32), dense('d1', 8)]));
  const m = readJsonModels(text).models[0];
  assert.deepEqual(m.input, { shape: null, assumed: false });
  assert.deepEqual(m.layers[0].in, { value: null, symbol: 'input_shape' });
  assert.ok(m.partial.some((p) => p.symbol === 'input_shape'));
  assert.equal(m.batchSize, null);

  const withDefaults = readJsonModels(text, { defaults: { inputSize: 128, batchSize: 64 } }).models[0];
  assert.deepEqual(withDefaults.input, { shape: [128], assumed: true });
  assert.deepEqual(withDefaults.layers[0].in, { value: 128, symbol: null });
  assert.equal(withDefaults.layers[0].init!.weightVariance, 1 / 128);
  assert.equal(withDefaults.batchSize, 64);
  assert.deepEqual(withDefaults.partial, []);

  // A fixed batch axis (stateful models) is the file's own batch size.
  const fixed = readJsonModels(JSON.stringify(sequential([dense('d0', 4, { batch_input_shape: [32, 10] })]))).models[0];
  assert.equal(fixed.batchSize, 32);
  // Variable-length sequences: widths known, the shape is not.
  const seq = readJsonModels(JSON.stringify(sequential([dense('d0', 4, { batch_input_shape: [null, null, 10] })]))).models[0];
  assert.equal(seq.input.shape, null);
  assert.equal(seq.layers[0].in.value, 10);
  assert.match(seq.partial[0].reason, /input shape \[None, 10\] has axes of unknown size/);
});

test('deep nesting: bracket depth is refused before parsing, model nesting stops at 64 levels', () => {
  const deep = '{"class_name": "Sequential", "config": {"layers": ' + '['.repeat(100_000) + ']'.repeat(100_000) + '}}';
  const r = readJsonModels(deep);
  assert.match(r.error!.message, new RegExp(`^JSON syntax error at line 1, column \\d+: nesting deeper than ${MAX_JSON_DEPTH} levels`));

  let model: unknown = sequential([dense('leaf', 4, { batch_input_shape: [null, 3] })], 'm70');
  for (let i = 69; i >= 0; i--) model = sequential([model], `m${i}`);
  const m = readJsonModels(JSON.stringify(model)).models[0];
  assert.ok(m.partial.some((p) => p.reason === `models nested deeper than ${MAX_MODEL_DEPTH} levels are not read`));
  assert.deepEqual(m.layers, []);
});

test('functional graphs: cyclic and dangling inbound_nodes are reported, not followed forever', () => {
  const ref = (name: string) => [[[name, 0, 0, {}]]];
  const cyclic = {
    class_name: 'Functional',
    config: {
      name: 'loop',
      layers: [
        { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 8] }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'a', config: { name: 'a', units: 8 }, inbound_nodes: ref('b') },
        { class_name: 'Dense', name: 'b', config: { name: 'b', units: 8 }, inbound_nodes: ref('a') },
        { class_name: 'Dense', name: 'c', config: { name: 'c', units: 2 }, inbound_nodes: ref('ghost') },
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['c', 0, 0]],
    },
  };
  const m = readJsonModels(JSON.stringify(cyclic)).models[0];
  assert.deepEqual(m.layers.map((l) => l.name), ['b', 'a', 'c']);
  assert.ok(m.partial.some((p) => /cycle through/.test(p.reason) && /\ba\b/.test(p.reason) && /\bb\b/.test(p.reason)));
  assert.ok(m.partial.some((p) => p.symbol === 'ghost' && /not a layer of this model/.test(p.reason)));
  assert.equal(m.layers[2].in.value, null);
});

test(`more than ${MAX_JSON_LAYERS} layers: the first ${MAX_JSON_LAYERS} are read, the rest reported`, () => {
  const layers: unknown[] = [dense('d0', 64, { batch_input_shape: [null, 64] })];
  for (let i = 1; i < 10_000; i++) layers.push(dense(`d${i}`, 64));
  const text = JSON.stringify(sequential(layers), null, 1);
  const t0 = performance.now();
  const m = readJsonModels(text).models[0];
  const ms = performance.now() - t0;
  console.log(`10,000-layer topology (${(text.length / 1e6).toFixed(1)} MB): ${ms.toFixed(0)} ms`);
  assert.equal(m.layers.length, MAX_JSON_LAYERS);
  assert.ok(m.partial.some((p) => p.reason === `the model has more than ${MAX_JSON_LAYERS} layers; NormLens reads the first ${MAX_JSON_LAYERS}`));
  assert.equal(m.layers[MAX_JSON_LAYERS - 1].in.value, 64);
  assert.ok(ms < 5000);
});

test('unknown classes, activations and initializers become partial reasons with ranges', () => {
  const m = readJsonModels(JSON.stringify(sequential([
    dense('d0', 16, { batch_input_shape: [null, 4], activation: 'exponential' }),
    { class_name: 'MyCustomLayer', config: { name: 'custom' } },
    dense('d1', 8, { kernel_initializer: { class_name: 'MyInit', config: {} } }),
    { class_name: 'Conv2D', config: { name: 'c', filters: 4, kernel_size: 3 } },
  ]), null, 2)).models[0];
  assert.equal(m.layers[0].activation, null);
  assert.equal(m.layers[1].kind, 'other');
  assert.equal(m.layers[1].sourceType, 'MyCustomLayer');
  assert.equal(m.layers[2].in.symbol, 'custom');
  assert.equal(m.layers[2].init!.scheme, 'unknown');
  assert.equal(m.layers[2].init!.weightVariance, null);
  const reasons = m.partial.map((p) => [p.symbol, p.layer, p.range?.startLine]);
  assert.deepEqual(reasons.slice(0, 3), [
    ['exponential', 0, 10], // the "exponential" value
    ['custom', 1, 23], // the layer object
    ['MyInit', 2, 35], // the kernel_initializer value
  ]);
  assert.match(m.partial[1].reason, /layer class "MyCustomLayer" is not modelled/);
  assert.ok(m.partial.some((p) => /Conv2D expects a rank-3 input per sample, got \[8\]/.test(p.reason)));
});

test('no input throws: random garbage and odd shapes', () => {
  const samples = [
    '{"class_name": "Sequential", "config": {"layers": [null, 1, "x", {"class_name": 3}, {"class_name": "Dense"}]}}',
    '{"class_name": "Functional", "config": {"layers": [{"class_name": "Add", "inbound_nodes": [[["nope"]]]}], "output_layers": 7}}',
    '{"class_name": "Model", "config": {"layers": [{"class_name": "Dense", "name": "x", "config": {"units": 2}, "inbound_nodes": {"args": 1}}]}}',
    '{"modelTopology": {"model_config": {"class_name": "Sequential", "config": {"layers": [{"class_name": "Conv2D", "config": {"kernel_size": "big"}}]}}}}',
    '{"class_name": "Sequential", "config": {"layers": [{"class_name": "BatchNormalization", "config": {"axis": [9, "x"]}}]}}',
  ];
  for (const text of samples) {
    const r = readJsonModels(text);
    assert.equal(r.error, null, text);
    assert.ok(r.models[0].partial.length > 0, text);
  }
});

test('Python json.dumps literals Infinity / NaN (Keras to_json writes them) are read as "not given"', () => {
  const text = [
    '{"class_name": "Sequential", "config": {"name": "s", "layers": [',
    '  {"class_name": "Dense", "config": {"name": "d", "units": 4, "batch_input_shape": [null, 3], "note": "NaN Infinity"}},',
    '  {"class_name": "BatchNormalization", "config": {"name": "bn", "renorm": true, "renorm_clipping": {"rmax": Infinity, "rmin": -Infinity, "dmax": NaN}}},',
    '  {"class_name": "ReLU", "config": {"name": "r", "max_value": Infinity}}',
    ']}}',
  ].join('\n');
  const r = readJsonModels(text);
  assert.equal(r.error, null, r.error?.message);
  const m = r.models[0];
  assert.deepEqual(m.layers[1].norm!.renorm, { rmax: Number.MAX_VALUE, dmax: Number.MAX_VALUE });
  assert.equal(m.layers[2].activation!.name, 'relu');
  assert.deepEqual([m.layers[2].range.startLine, m.layers[2].range.startColumn, m.layers[2].range.endColumn], [3, 2, 72]);
  assert.deepEqual(m.partial, []);
});

test('an Add whose skip branch names a missing layer gets no residual.from (never the model input by mistake)', () => {
  const node = (...names: string[]) => [names.map((n) => [n, 0, 0, {}])];
  const m = readJsonModels(JSON.stringify({
    class_name: 'Model',
    config: {
      name: 'm',
      layers: [
        { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 4] }, inbound_nodes: [] },
        { class_name: 'Dense', name: 'a', config: { name: 'a', units: 4 }, inbound_nodes: node('in') },
        { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: node('a', 'ghost') },
      ],
      input_layers: [['in', 0, 0]],
      output_layers: [['sum', 0, 0]],
    },
  })).models[0];
  assert.equal(m.layers[1].kind, 'residual');
  assert.equal(m.layers[1].residual, undefined);
  assert.equal(m.layers[1].in.value, 4);
  assert.ok(m.partial.some((p) => p.symbol === 'ghost'));
});
