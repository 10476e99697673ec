/**
 * The statistics reduction and the probe engine on WebGL: webglOps' decoded numbers equal plainOps' (CPU) for
 * layers of every kind the engine hands over (distinct / shared pre and post, odd unit counts, rank-4 maps long
 * enough to be chunked, weights and gradients, saturation intervals with infinite ends, dead units, NaN), and a
 * short probe through core/probe gives the same records with webglOps on WebGL as with plainOps on the CPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { resolveActivation } from '../../core/probe/activationSpec';
import { plainOps, type ProbeOps, type ReducedStatistics, type StatisticsLayerInput } from '../../core/probe/ops';
import { Rng, sampleIndices, sampleQuadIndices } from '../../core/probe/rng';
import { runProbe } from '../../core/probe/runner';
import { mlpModel } from '../../core/probe/syntheticModels';
import type { ProbeConfig, ProbeResult } from '../../core/probe/config';
import type { Model } from '../../core/ir';
import { activationModel } from '../../core/theory/activations';
import { webglOps } from '../../webview/kernels/webglOps';
import { readPacked, readTexelRows, texelLayout } from '../../webview/kernels/readback';
import { webglStatistics } from '../../webview/kernels/statisticsOp';
import { assert, assertClose, formatReport, mergeReports, test, type CloseReport, type TestContext } from './suite';

interface LayerSpec {
  shape: number[];
  /** Reuse an earlier layer's tensor as this layer's pre-activation (as an activation layer after a dense does). */
  preOf?: { layer: number; post: boolean };
  act: 'tanh' | 'selu' | 'relu' | 'sigmoid' | null;
  weight: number[] | null;
  samples: number;
  /** Sample at an earlier layer's indices (the engine shares one index set per size): its tensors are not gathered twice. */
  sampleOf?: number;
  /** Sample 2x2 blocks (sampleQuadIndices; `samples` a multiple of 4, even rows and units). */
  quads?: boolean;
  /**
   * Hand the engine's postOfPre (the activation, float32-rounded): the output's extremes and samples come from the
   * pre's (WebGL gathers no output samples then; they must still equal the CPU backend's gathered ones).
   */
  monotone?: boolean;
  mean?: number;
  nan?: boolean;
  deadUnit?: boolean;
}

const LAYERS: LayerSpec[] = [
  { shape: [37, 29], act: 'tanh', weight: [13, 29], samples: 50, mean: 0.3, monotone: true },
  { shape: [3, 7], act: null, weight: [5, 7], samples: 21 },
  { shape: [2, 5], act: 'relu', weight: null, samples: 0, deadUnit: true },
  { shape: [1, 9], act: 'selu', weight: [9], samples: 4, monotone: true },
  { shape: [4, 9, 7, 5], act: 'relu', weight: [3, 3, 2, 5], samples: 64, deadUnit: true }, // 252 rows x 5 channels
  { shape: [600, 3], act: 'sigmoid', weight: [7, 3], samples: 33, mean: 40 }, // 3 chunks, a large mean
  { shape: [6, 6], act: 'selu', weight: [6, 6], samples: 10, nan: true, monotone: true },
  { shape: [4, 7], act: 'tanh', weight: [5], samples: 3 }, // a weight that is no [rows, units] view: stock sums
  { shape: [37, 29], act: 'relu', weight: null, samples: 9, preOf: { layer: 0, post: true }, deadUnit: true },
  { shape: [3, 7], act: null, weight: null, samples: 4, preOf: { layer: 1, post: false } },
  // Shared indices: layer 0's output is gathered once (this gathers only its own output, 50 samples, split in halves);
  { shape: [37, 29], act: 'relu', weight: null, samples: 50, preOf: { layer: 0, post: true }, sampleOf: 0, deadUnit: true },
  // layer 1's pre (= its post) was gathered: nothing to gather; then an activation of it gathers its output only (21).
  { shape: [3, 7], act: null, weight: [7], samples: 21, preOf: { layer: 1, post: false }, sampleOf: 1 },
  { shape: [3, 7], act: 'tanh', weight: null, samples: 21, preOf: { layer: 1, post: false }, sampleOf: 1 },
  // 2x2 blocks: pre and post of a tanh layer (8 blocks of 12 x 10), then its output alone, then nothing new.
  { shape: [12, 10], act: 'tanh', weight: [4, 10], samples: 32, quads: true, mean: 0.5 },
  { shape: [12, 10], act: 'relu', weight: null, samples: 32, preOf: { layer: 13, post: true }, sampleOf: 13, deadUnit: true, monotone: true },
  { shape: [12, 10], act: null, weight: [10], samples: 32, preOf: { layer: 14, post: true }, sampleOf: 13 },
  // A linear layer's blocks (pre = post), every block of a small map (6 blocks of 4 x 6).
  { shape: [4, 6], act: null, weight: [6, 6], samples: 24, quads: true },
];

/**
 * Enough layers for 33 groups and so two concatenation levels (32 blocks per level on SwiftShader). Alike, so the
 * group programs compile once (a group of distinct layers compiles in ~2 s on SwiftShader).
 */
const MANY_LAYERS: LayerSpec[] = Array.from({ length: 260 }, () => ({ shape: [2, 3], act: 'selu', weight: [2, 3], samples: 3 }));

/** Build a request from `specs` with fixed seeds, reduce it with `ops`, decode. */
async function reduce(ops: ProbeOps, specs: LayerSpec[]): Promise<ReducedStatistics> {
  const rng = new Rng(21);
  const owned: tf.Tensor[] = [];
  const values: Float32Array[] = [];
  const layers: StatisticsLayerInput[] = [];
  specs.forEach((s, li) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const units = s.shape[s.shape.length - 1];
    const pv = s.preOf ? Float32Array.from(values[2 * s.preOf.layer + (s.preOf.post ? 1 : 0)]) : rng.fillNormal(n, s.mean ?? 0, 2);
    if (s.deadUnit && !s.preOf) for (let i = 1; i < n; i += units) pv[i] = -Math.abs(pv[i]) - 0.1;
    if (s.nan) pv[7] = NaN;
    const source = s.preOf ? layers[s.preOf.layer] : null;
    const pre = source ? (s.preOf!.post ? source.post : source.pre) : tf.tensor(pv, s.shape);
    const act = s.act ? resolveActivation(s.act, 'pytorch') : null;
    // Post values computed here, not by each backend's activation, so both reductions see identical inputs.
    const phi = s.act ? activationModel(s.act, 'pytorch').phi : null;
    const postValues = phi ? pv.map((h) => phi(h)) : pv;
    const post = phi ? tf.tensor(postValues, s.shape) : pre;
    values.push(pv, postValues);
    const wn = s.weight ? s.weight.reduce((a, b) => a * b, 1) : 0;
    const weight = s.weight ? tf.tensor(rng.fillNormal(wn, 0, 0.5), s.weight) : null;
    const grad = s.weight ? tf.tensor(rng.fillNormal(wn, 0, 0.01 * (li + 1)), s.weight) : null;
    const shared = s.sampleOf !== undefined ? layers[s.sampleOf].sample : null;
    const rows = n / units;
    const indices = () => (s.quads ? sampleQuadIndices(rows, units, s.samples, rng) : null) ?? sampleIndices(n, s.samples, rng);
    const sample = shared ?? (s.samples ? tf.tensor1d(indices(), 'int32') : null);
    owned.push(...[source ? null : pre, post === pre ? null : post, weight, grad, shared ? null : sample].filter((t): t is tf.Tensor => t !== null));
    const quads = (s.sampleOf !== undefined ? specs[s.sampleOf].quads : s.quads) === true;
    const postOfPre = s.monotone && phi ? (h: number) => (Number.isNaN(h) ? NaN : Math.fround(phi(h))) : undefined;
    layers.push({ pre, post, saturation: act?.saturation ?? [], trackDead: act?.deadBelowZero ?? false, sample, sampleQuads: quads, postOfPre, weight, grad });
  });
  const loss = tf.scalar(1.75);
  owned.push(loss);
  const red = ops.statistics({ loss, layers });
  const read = await red.read();
  if (tf.getBackend() === 'webgl') {
    // The pieces read as they lie give exactly the values of the concatenation pass, value for value.
    assert((red as { direct?: boolean }).direct === true, 'webgl: the statistics pieces are read as they lie, not concatenated first');
    const concatenated = await webglStatistics({ loss, layers }, { direct: false }).read();
    assert(concatenated.length === read.length && concatenated.every((v, i) => Object.is(v, read[i])), 'the direct read differs from the concatenated one');
  }
  const decoded = red.decode(read);
  tf.dispose(owned);
  return decoded;
}

async function reduceOn(backend: 'cpu' | 'webgl', ops: ProbeOps, specs: LayerSpec[]): Promise<ReducedStatistics> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const d = await reduce(ops, specs);
  assert(tf.memory().numTensors === before, `${backend}: statistics leaked ${tf.memory().numTensors - before} tensors`);
  return d;
}

/** Compare two decoded reductions: moments and norms to 1e-4, counts, extremes and samples exactly. */
function compareReductions(t: TestContext, specs: LayerSpec[], a: ReducedStatistics, e: ReducedStatistics): void {
  assert(a.loss === e.loss, `loss ${a.loss} vs ${e.loss}`);
  const moments: CloseReport[] = [];
  const exact: CloseReport[] = [];
  const params: CloseReport[] = [];
  e.layers.forEach((el, i) => {
    const al = a.layers[i];
    const label = `layer ${i} [${specs[i].shape}]`;
    moments.push(assertClose(`${label} moments`, [al.preMean, al.preVariance, al.mean, al.variance], [el.preMean, el.preVariance, el.mean, el.variance], 1e-4));
    // Same inputs on both backends: counts, extremes and samples must agree exactly.
    exact.push(assertClose(`${label} saturation/dead/min/max`, [al.saturation, al.dead, al.preMin, al.preMax, al.postMin, al.postMax], [el.saturation, el.dead, el.preMin, el.preMax, el.postMin, el.postMax], 1e-7));
    // An activation's output sample may come as its pre sample's image (postOfPreSample): compare it materialized.
    const alPost = al.postOfPreSample ? al.preSample.map(al.postOfPreSample) : al.postSample;
    exact.push(assertClose(`${label} pre sample`, al.preSample, el.preSample, 0), assertClose(`${label} post sample`, alPost, el.postSample, 0));
    assert((al.gradSquared === null) === (el.gradSquared === null), `${label}: weight presence differs`);
    if (el.gradSquared !== null) params.push(assertClose(`${label} grad/weight squares`, [al.gradSquared as number, al.weightSquared as number], [el.gradSquared, el.weightSquared as number], 1e-4));
  });
  t.note(formatReport(`${specs.length} layers: moments`, mergeReports(moments), 1e-4));
  t.note(formatReport(`${specs.length} layers: counts/extremes/samples`, mergeReports(exact), 1e-7));
  t.note(formatReport(`${specs.length} layers: grad/weight sums of squares`, mergeReports(params), 1e-4));
}

test('readback: packed texels read as they lie equal data(), whole textures and row ranges in one buffer', async () => {
  await tf.setBackend('webgl');
  const before = tf.memory().numTensors;
  const rng = new Rng(4);
  // tf.matMul writes packed outputs; [6, 10] and [4, 8]: texels of 2x2 blocks, 3 x 5 and 2 x 4 of them.
  const [a, b] = [[6, 10], [4, 8]].map(([r, c]) => tf.tidy(() => tf.matMul(tf.tensor2d(rng.fillNormal(r * 3, 0, 1), [r, 3]), tf.tensor2d(rng.fillNormal(3 * c, 0, 1), [3, c]))));
  const expected = [(await a.data()) as Float32Array, (await b.data()) as Float32Array];
  const read = await readPacked(a as tf.Tensor2D);
  assert(read.every((v, i) => Object.is(v, expected[0][i])), 'readPacked differs from data()');
  const la = texelLayout(a);
  const lb = texelLayout(b);
  assert(la !== null && la.texRows === 3 && la.texCols === 5 && lb !== null, 'packed matMul outputs are readable as they lie');
  // Texel rows 1..2 of a (its rows 2..5) and all of b, in one buffer: texel (i, j) = rows 2i, 2i + 1 x cols 2j, 2j + 1.
  const [ra, rb] = await readTexelRows([{ texture: la!.texture, row0: 1, rows: 2, width: 5 }, { texture: lb!.texture, row0: 0, rows: 2, width: 4 }]);
  const texelOf = (v: Float32Array, cols: number, i: number, j: number) => [v[2 * i * cols + 2 * j], v[2 * i * cols + 2 * j + 1], v[(2 * i + 1) * cols + 2 * j], v[(2 * i + 1) * cols + 2 * j + 1]];
  for (let i = 0; i < 2; i++) for (let j = 0; j < 5; j++) assert(texelOf(expected[0], 10, i + 1, j).every((v, k) => Object.is(v, (ra as Float32Array)[4 * (5 * i + j) + k])), `texel (${i + 1}, ${j}) of a`);
  for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) assert(texelOf(expected[1], 8, i, j).every((v, k) => Object.is(v, (rb as Float32Array)[4 * (4 * i + j) + k])), `texel (${i}, ${j}) of b`);
  tf.dispose([a, b]);
  assert(tf.memory().numTensors === before, 'readback test leaked');
});

test('statistics reduction: decoded numbers equal plainOps on CPU, one readback, no leak', async (t) => {
  const e = await reduceOn('cpu', plainOps, LAYERS);
  const a = await reduceOn('webgl', webglOps, LAYERS);
  compareReductions(t, LAYERS, a, e);
  assert(a.layers[2].dead > 0 && a.layers[4].dead > 0, 'dead units not detected');
  assert(a.layers[0].saturation > 0, 'tanh saturation not counted');
  assert(Number.isNaN(a.layers[6].mean) && Number.isNaN(a.layers[6].preMin), 'NaN layer must report NaN moments and extremes');
  assert(a.layers[8].preMean === a.layers[0].mean && a.layers[9].mean === a.layers[1].preMean, 'a shared pre-activation reports the earlier layer\'s numbers');
  assert(a.layers[0].postOfPreSample && !a.layers[0].postSample.length, 'a tanh output sample is not gathered (its image of the pre sample)');
  assert(a.layers[14].postSample.length === 32 && !a.layers[14].postOfPreSample, 'an output sample a later layer reads is materialized');
});

test('statistics reduction over 260 layers (grouped passes, two concatenation levels) equals plainOps', async (t) => {
  const e = await reduceOn('cpu', plainOps, MANY_LAYERS);
  const a = await reduceOn('webgl', webglOps, MANY_LAYERS);
  compareReductions(t, MANY_LAYERS, a, e);
});

/** Everything a probe reports, flattened, for comparing two runs. */
function flatten(r: ProbeResult): number[] {
  return r.records.flatMap((rec) => [rec.loss, ...rec.layers.flatMap((l) => [l.mean, l.variance, l.preMean, l.preVariance, l.saturation, l.dead, l.gradNorm ?? 0, l.updateRatio ?? 0, ...l.percentilesPre, ...l.percentilesPost])]);
}

async function probeOn(backend: 'cpu' | 'webgl', ops: ProbeOps, model: Model, config: Partial<ProbeConfig>): Promise<ProbeResult> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const r = await runProbe(model, config, { ops });
  assert(tf.memory().numTensors === before, `${backend}: the probe leaked ${tf.memory().numTensors - before} tensors`);
  return r;
}

test('probe engine: webglOps on WebGL gives the records of plainOps on CPU (SELU + alpha dropout, ReLU + BatchNorm, tanh)', async (t) => {
  const models: [string, Model][] = [
    ['selu', mlpModel({ input: 13, width: 19, depth: 3, activation: 'selu', init: 'lecun_normal', framework: 'keras', inlineActivation: true, alphaDropout: 0.1 })],
    ['relu+bn', mlpModel({ input: 9, width: 15, depth: 2, activation: 'relu', batchNorm: true })],
    ['tanh', mlpModel({ input: 7, width: 11, depth: 2, activation: 'tanh', inlineActivation: true, framework: 'keras' })],
  ];
  // SGD keeps the two runs comparable step by step (Adam's first steps divide by sqrt(v) ~ |g| and amplify rounding).
  const config: Partial<ProbeConfig> = { steps: 4, sampleEvery: 2, batchSize: 6, optimizer: 'sgd', learningRate: 1e-3, momentum: 0, percentileSample: 16 };
  for (const [name, model] of models) {
    const e = await probeOn('cpu', plainOps, model, config);
    const a = await probeOn('webgl', webglOps, model, config);
    assert(a.status === e.status && a.records.length === e.records.length, `${name}: status ${a.status}/${e.status}, records ${a.records.length}/${e.records.length}`);
    assert(a.ops === 'webgl' && a.backend === 'webgl', `${name}: ran on ${a.backend} with ${a.ops}`);
    const rep = assertClose(`${name} probe records`, flatten(a), flatten(e), 2e-3);
    t.note(formatReport(`probe ${name} (${a.records.length} records)`, rep, 2e-3));
  }
});
