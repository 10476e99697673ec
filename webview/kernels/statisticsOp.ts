/**
 * ProbeOps.statistics on WebGL, in two kinds of pass and ONE readback per sample point:
 * - per group of consecutive layers (stageOne), ColumnStatsProgram: per-unit partials of every statistic and the
 *   percentile samples;
 * - per group of up to 16 layers, StatsReduceProgram: the totals of the layers' statistics, four quarters each
 *   (decode finishes them, reduceTotals);
 * - the readback (directRead): the loss's texel, the scalar blocks and the sample regions of the stage-1 outputs,
 *   copied as they lie into one pixel buffer behind one fence (readTexelRows) and put in the flat layout below in
 *   JavaScript. A concatenation pass did that on the GPU before: on SwiftShader a copy costs ~0.03 ms and a pass
 *   ~0.1 ms plus its fetches (the 10 pieces of a SELU 8 x 128 step: concatenated and read 0.8-1.0 ms, copied
 *   0.3 ms). ConcatColumnsProgram (the [2, total] block folded about square) remains for pieces whose texture
 *   cannot be read as it lies; both ways give the same values (test/webgl).
 * Flat layout: row 0 of every piece, then row 1 of every piece, pieces in this order:
 *   [loss, loss | totals of group 0 | ... | samples of layer 0 | samples of layer 1 | ... | stock params]
 * where a group's totals are its StatsReduceProgram output read as [2, rows / 2 * width] (a 'rows' piece), a
 * layer's samples take 2 * (texels + 1) columns (what it gathers, see column_stats_gpu.ts, then the shift texel),
 * and "stock params" (only when some weight could not join the column pass) holds those layers' (gradSq | weightSq).
 * An activation's output samples (postOfPre) are not gathered: decode computes them from its pre-activation samples,
 * at the same indices (one gather instead of two per SELU layer, two instead of three per Linear -> BatchNorm ->
 * ReLU block; the readback shrinks by as much).
 *
 * Why these passes and not tfjs reductions: a full reduction costs ~2 ms on SwiftShader (performance-notes.md) and
 * a layer needs ~12 of them, while a dispatch of ours costs ~0.1 ms plus a few fetches per element. And why this
 * split: SwiftShader shades 2x2 quads in SIMD lanes, runs the straight-line code of branches no lane takes (masked)
 * and skips only loops, so a program choosing among layers by branch pays every layer's straight-line code (the
 * sample gathers: grouping 8 layers per pass made them 4x slower); the scalar pass is all loops and groups well.
 * Measured on SwiftShader (shared 2-core machine), 65 layers [128, 128] with 1024 samples each: 46 ms, the cost of
 * 2.3 elementwise adds per layer (first version, two passes per layer and tfjs' concat: 148 ms); 9 layers
 * [128, 512]: 24 ms against 196 ms for plainStatistics on the same backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerReduction, StatisticsLayerInput, StatisticsReduction, StatisticsRequest } from '../../core/probe/ops';
import { ColumnStatsProgram, groupPlacement, sampleTexels, type ColumnStatsLayout, type ColumnStatsMember, type MemberInputs, type SampleGather, type StageOnePlace } from './column_stats_gpu';
import { ConcatColumnsProgram, pieceWidth, unfold, type ConcatPiece } from './concat_columns_gpu';
import { canReadPacked, readPacked, readTexelRows, scalarTexture, texelLayout, type TexelRows } from './readback';
import { activeWebGL2, cachedProgram, runProgram } from './runProgram';
import { ScalarBlockProgram } from './scalar_block_gpu';
import { reduceTotals, StatsReduceProgram, type LayerTotals } from './stats_reduce_gpu';

/** Rows a stage-1 texel walks at most: long enough to amortize a texel, short enough for parallelism on big maps. */
const CHUNK_ROWS = 256;

/** An even number of chunks (see column_stats_gpu.ts) of at most CHUNK_ROWS (even) rows each. */
function chunking(rows: number): { chunks: number; chunkRows: number } {
  const chunks = 2 * Math.ceil(rows / (2 * CHUNK_ROWS));
  const per = Math.ceil(rows / chunks);
  return { chunks, chunkRows: per + (per % 2) };
}

/** One layer's share of a stage-1 pass: its output, and where its partials and shift texel lie there. */
interface LayerPass {
  layout: ColumnStatsLayout;
  cols: tf.Tensor;
  place: StageOnePlace;
  /** The weight cannot be viewed as [rows, units] with its gradient: its sums come from stock ops. */
  paramsByStockOps: boolean;
}

/** Whether the weight and gradient can be viewed as [size / units, units] (sums of squares ignore layout). */
function weightFits(l: StatisticsLayerInput, units: number): boolean {
  return l.weight !== null && l.grad !== null && l.weight.size > 0 && l.weight.size % units === 0 && l.grad.size === l.weight.size;
}

/** Where an earlier layer of the request holds a tensor: its index, and whether as its pre or its post. */
type Seen = Map<object, { layer: number; post: boolean }>;

/** `t` viewed as [rows, cols]: itself when it is one already (a reshape is an engine call, several per layer). */
function matrix(t: tf.Tensor, rows: number, cols: number): tf.Tensor {
  return t.rank === 2 && t.shape[0] === rows && t.shape[1] === cols ? t : tf.reshape(t, [rows, cols]);
}

/** A layer's stage-1 work before grouping: layout, inputs by role (as [rows, units] views), saturation bounds. */
interface LayerWork {
  layout: ColumnStatsLayout;
  samples: number;
  tensors: { pre: tf.Tensor; post: tf.Tensor; g?: tf.Tensor; w?: tf.Tensor; idx?: tf.Tensor };
  bounds: number[][];
  paramsByStockOps: boolean;
}

function layerWork(l: StatisticsLayerInput, same: boolean, preShared: boolean, gather: SampleGather): LayerWork {
  const units = l.pre.rank ? l.pre.shape[l.pre.rank - 1] : 1;
  const rows = units ? l.pre.size / units : 0;
  const fits = weightFits(l, units);
  const weightRows = fits ? (l.weight as tf.Tensor).size / units : 0;
  const layout: ColumnStatsLayout = {
    rows,
    units,
    ...chunking(rows),
    samePrePost: same,
    weightRows,
    saturation: l.saturation.map(([lo, hi]) => ({ finiteLo: lo !== -Infinity, finiteHi: hi !== Infinity })),
    trackDead: l.trackDead,
    preShared,
    gather,
    quads: gather !== 'none' && l.sampleQuads === true,
    postExtremesFromPre: !same && l.postOfPre !== undefined,
  };
  const pre = matrix(l.pre, rows, units);
  return {
    layout,
    samples: l.sample ? l.sample.size : 0,
    tensors: {
      pre,
      post: same ? pre : matrix(l.post, rows, units),
      ...(fits ? { g: matrix(l.grad as tf.Tensor, weightRows, units), w: matrix(l.weight as tf.Tensor, weightRows, units) } : {}),
      ...(gather !== 'none' ? { idx: l.sample as tf.Tensor1D } : {}),
    },
    bounds: l.saturation.length ? [l.saturation.map((i) => i[0]), l.saturation.map((i) => i[1])] : [],
    paramsByStockOps: !fits && (l.weight !== null || l.grad !== null),
  };
}

/**
 * Stage-1 grouping: consecutive layers with the same unit count share a pass while their distinct inputs number at
 * most PASS_INPUTS (and the layers PASS_LAYERS). A Linear -> BatchNorm -> ReLU block (D, W, dW, the indices; B,
 * gamma, dgamma; R: 8 inputs) makes one pass instead of three: micro-benchmark, 8 such blocks at [128, 128], the
 * whole reduction 6.4 -> 5.4 ms. Wider groups did not pay: SELU layers (4 inputs each, nothing shared) grouped
 * by 3 or 4 made the measured step slower, so the input bound keeps them one per pass.
 */
const PASS_LAYERS = 4;
const PASS_INPUTS = 8;

/** Run the stage-1 passes: groups of consecutive layers (see PASS_LAYERS) within the texture unit limit. */
function stageOne(work: LayerWork[], units: number): { passes: LayerPass[]; windows: { tensor: tf.Tensor; piece: ConcatPiece }[] } {
  const passes: LayerPass[] = [];
  const windows: { tensor: tf.Tensor; piece: ConcatPiece }[] = [];
  let i = 0;
  while (i < work.length) {
    // Grow the group while the unit count matches and its distinct inputs fit the texture units.
    const inputs: tf.Tensor[] = [];
    const members: ColumnStatsMember[] = [];
    const uniforms: number[][] = [];
    const bound = (t: tf.Tensor, among: tf.Tensor[]) => among.findIndex((u) => u.dataId === t.dataId && u.shape.join() === t.shape.join());
    let j = i;
    while (j < work.length && j - i < PASS_LAYERS && work[j].layout.units === work[i].layout.units) {
      const roles = Object.entries(work[j].tensors).filter((e): e is [keyof MemberInputs, tf.Tensor] => e[1] !== undefined);
      const added: tf.Tensor[] = [];
      for (const [, t] of roles) if (bound(t, inputs) < 0 && bound(t, added) < 0) added.push(t);
      if (j > i && inputs.length + added.length > Math.min(units, PASS_INPUTS)) break;
      inputs.push(...added);
      const names = Object.fromEntries(roles.map(([r, t]) => [r, `T${bound(t, inputs)}`])) as unknown as MemberInputs;
      members.push({ layout: work[j].layout, samples: work[j].samples, inputs: names });
      uniforms.push(...work[j].bounds);
      j++;
    }
    const cols = runProgram(cachedProgram(ColumnStatsProgram, members, inputs.length), inputs, uniforms);
    const place = groupPlacement(members);
    members.forEach((m, k) => passes.push({ layout: m.layout, cols, place: place.places[k], paramsByStockOps: work[i + k].paramsByStockOps }));
    windows.push({ tensor: cols, piece: { kind: 'window', rowBase: place.partialRows, texelsPerRow: place.texelsPerRow, texels: place.texels } });
    i = j;
  }
  return { passes, windows };
}

/** The loss as a packed [2, 2] block (ScalarBlockProgram, reading it packed or not as it lies). */
function lossBlock(loss: tf.Tensor): tf.Tensor {
  const scalar = loss.rank === 0 && loss.dtype === 'float32' ? loss : tf.reshape(tf.cast(loss, 'float32'), []);
  const backend = activeWebGL2() as NonNullable<ReturnType<typeof activeWebGL2>>;
  const packed = backend.texData.get(scalar.dataId).isPacked === true;
  return runProgram(cachedProgram(ScalarBlockProgram, packed), [scalar]);
}

const unitsOf = new WeakMap<WebGLRenderingContext | WebGL2RenderingContext, number>();

/** Texture units a program may sample: the GL limit, at most 32 (a longer branch chain costs more than it saves). */
function textureUnits(): number {
  const gl = (activeWebGL2() as NonNullable<ReturnType<typeof activeWebGL2>>).gpgpu.gl;
  let units = unitsOf.get(gl);
  if (units === undefined) unitsOf.set(gl, (units = Math.max(8, Math.min(32, gl.getParameter(gl.MAX_TEXTURE_IMAGE_UNITS) as number))));
  return units;
}

/**
 * Layers per scalar pass. Not more: a group's program is compiled per distinct group (a 32-layer one took seconds
 * on SwiftShader at the first sample point), and past ~16 the saved dispatches no longer show in a step.
 */
const GROUP_LAYERS = 16;

/** The scalar blocks: one StatsReduceProgram per run of up to GROUP_LAYERS layers (and texture units). */
function scalarBlocks(passes: LayerPass[], units: number): { tensor: tf.Tensor; layouts: ColumnStatsLayout[] }[] {
  const blocks: { tensor: tf.Tensor; layouts: ColumnStatsLayout[] }[] = [];
  const size = Math.min(units, GROUP_LAYERS);
  for (let i = 0; i < passes.length; i += size) {
    const group = passes.slice(i, i + size);
    const program = cachedProgram(
      StatsReduceProgram,
      group.map((p) => p.layout),
      group.map((p) => p.place),
    );
    blocks.push({ tensor: runProgram(program, group.map((p) => p.cols)), layouts: group.map((p) => p.layout) });
  }
  return blocks;
}

/** (gradSq, weightSq) of the layers whose weight skipped the column pass, as a [2, even] block (rows: g, w). */
function stockParamsBlock(layers: StatisticsLayerInput[]): tf.Tensor {
  const sq = (t: tf.Tensor | null) => (t ? tf.sum(tf.square(t)) : tf.scalar(0));
  const pad = layers.length % 2 ? [tf.scalar(0)] : [];
  return tf.stack([tf.stack([...layers.map((l) => sq(l.grad)), ...pad]), tf.stack([...layers.map((l) => sq(l.weight)), ...pad])]);
}

/**
 * Concatenate pieces into one packed [2, total] block, whose row-major values are the flat layout, in its folded
 * form (foldedShape, about square: see ConcatColumnsProgram; `unfold` restores the flat layout): levels of
 * ConcatColumnsProgram of up to `fanIn` pieces each, the last one folded. The readback puts the packed texels in
 * row-major order (readback.ts). Why not flatten the pieces in our last pass: SwiftShader runs every piece's fetch
 * for every output element (masked straight-line code), and a flat output has four elements per packed texel, so a
 * 27-piece flatten cost four times a 27-piece packed level.
 */
function concatPieces(items: { tensor: tf.Tensor; piece: ConcatPiece }[], fanIn: number): { tensor: tf.Tensor; total: number; fold: number } {
  let level = items;
  const width = (pieces: ConcatPiece[]) => pieces.reduce((w, p) => w + pieceWidth(p), 0);
  while (level.length > fanIn) {
    const next: { tensor: tf.Tensor; piece: ConcatPiece }[] = [];
    for (let i = 0; i < level.length; i += fanIn) {
      const group = level.slice(i, i + fanIn);
      const pieces = group.map((g) => g.piece);
      if (group.length === 1 && group[0].piece.kind === 'block') next.push(group[0]);
      else next.push({ tensor: runProgram(cachedProgram(ConcatColumnsProgram, pieces), group.map((g) => g.tensor)), piece: { kind: 'block', width: width(pieces) } });
    }
    level = next;
  }
  const pieces = level.map((g) => g.piece);
  const total = width(pieces);
  const fold = Math.max(1, Math.round(Math.sqrt(total / 2)));
  return { tensor: runProgram(cachedProgram(ConcatColumnsProgram, pieces, fold), level.map((g) => g.tensor)), total, fold };
}

/** A piece of the flat layout and the tensor holding it. */
interface StatisticsPiece {
  tensor: tf.Tensor;
  piece: ConcatPiece;
}

/**
 * The flat layout read from the pieces as they lie, with no concatenation pass (readTexelRows: one pixel buffer,
 * one fence): the loss's texel, then each piece's texel rows (a window's from its row base), put in place here.
 * Texel q of a piece holds its flat columns 2q, 2q + 1 of both rows, as ConcatColumnsProgram copies it. Null when
 * a texture does not allow it (then the pieces are concatenated first). `held` keeps the loss's texture (the
 * engine frees the loss before reading); it and the pieces must stay alive until `read` is called (it queues the
 * copies before it first awaits).
 */
function directRead(loss: tf.Tensor, pieces: StatisticsPiece[]): { read: () => Promise<Float32Array>; held: tf.Tensor } | null {
  const regions: TexelRows[] = [];
  for (const { tensor, piece } of pieces) {
    const layout = texelLayout(tensor);
    if (!layout || (piece.kind === 'window' && piece.texelsPerRow !== layout.texCols)) return null;
    const texels = pieceWidth(piece) / 2;
    regions.push({ texture: layout.texture, row0: piece.kind === 'window' ? piece.rowBase / 2 : 0, rows: Math.ceil(texels / layout.texCols), width: layout.texCols });
  }
  // The loss is channel 0 of one texel: its own (a clone holds it), or its packed [2, 2] block of four copies.
  const own = scalarTexture(loss);
  const held = own ? tf.clone(loss) : lossBlock(loss);
  const lossTexture = own ?? texelLayout(held)?.texture;
  if (!lossTexture) {
    held.dispose();
    return null;
  }
  const widths = pieces.map((p) => pieceWidth(p.piece));
  const total = 2 + widths.reduce((a, b) => a + b, 0);
  return {
    held,
    read: async () => {
      const [lossTexel, ...texels] = await readTexelRows([{ texture: lossTexture, row0: 0, rows: 1, width: 1 }, ...regions]);
      const out = new Float32Array(2 * total);
      out[0] = out[1] = out[total] = out[total + 1] = (lossTexel as Float32Array)[0];
      let at = 2;
      texels.forEach((t, i) => {
        for (let q = 0; q < widths[i] / 2; q++) {
          out[at + 2 * q] = t[4 * q];
          out[at + 2 * q + 1] = t[4 * q + 1];
          out[total + at + 2 * q] = t[4 * q + 2];
          out[total + at + 2 * q + 1] = t[4 * q + 3];
        }
        at += widths[i];
      });
      return out;
    },
  };
}

/** How webglStatistics reads back (tests compare the two ways). */
export interface WebGLStatisticsOptions {
  /** Read the pieces as they lie (directRead) when they allow it; false: always concatenate first. Default true. */
  direct?: boolean;
}

/**
 * `ProbeOps.statistics` for webglOps (see the file comment for the layout); `direct` says whether the pieces are
 * read as they lie or concatenated first.
 */
export function webglStatistics(req: StatisticsRequest, options: WebGLStatisticsOptions = {}): StatisticsReduction & { direct: boolean } {
  const sampleSizes = req.layers.map((l) => (l.sample ? l.sample.size : 0));
  const hasWeight = req.layers.map((l) => l.weight !== null);
  const quads = req.layers.map((l) => l.sampleQuads === true);
  const sampleWidth = (g: SampleGather, s: number, q: boolean) => 2 * (sampleTexels(g, s, q) + 1);
  // A layer whose pre-activation an earlier layer already reduced (the dense output feeding an activation layer,
  // a norm output feeding its ReLU) copies its pre moments and extremes from there.
  const seen: Seen = new Map();
  const samePrePost = req.layers.map((l) => l.post === l.pre || l.post.dataId === l.pre.dataId);
  const sharedFrom = req.layers.map((l, i) => {
    const from = seen.get(l.pre.dataId) ?? null;
    if (!seen.has(l.pre.dataId)) seen.set(l.pre.dataId, { layer: i, post: false });
    if (!seen.has(l.post.dataId)) seen.set(l.post.dataId, { layer: i, post: true });
    return from;
  });
  // Samples: a tensor an earlier layer gathered at the same indices (its output is this layer's input, or the
  // layer has no separate output) is not gathered again; `sampleFrom` says where each layer's samples come from.
  const gathered = new Map<object, { layer: number; post: boolean; idx: object }>();
  const gathers: SampleGather[] = [];
  const derivedPost: boolean[] = [];
  const sampleFrom = req.layers.map((l, i) => {
    const idx = l.sample?.dataId;
    const earlier = (t: tf.Tensor) => {
      const g = gathered.get(t.dataId);
      return g && g.idx === idx ? g : null;
    };
    const pre = idx ? earlier(l.pre) : null;
    const post = idx && !samePrePost[i] ? earlier(l.post) : null;
    const needPre = idx !== undefined && !pre;
    const ownPost = idx !== undefined && !samePrePost[i] && !post;
    // An elementwise activation's output samples are its images of the pre samples (same indices): not gathered.
    derivedPost.push(ownPost && l.postOfPre !== undefined);
    const needPost = ownPost && l.postOfPre === undefined;
    gathers.push(needPre && needPost ? 'both' : needPre ? 'pre' : needPost ? 'post' : 'none');
    if (idx && needPre) gathered.set(l.pre.dataId, { layer: i, post: false, idx });
    if (idx && ownPost) gathered.set(l.post.dataId, { layer: i, post: true, idx });
    const preRef = pre ?? { layer: i, post: false };
    return { pre: preRef, post: samePrePost[i] ? preRef : (post ?? { layer: i, post: true }) };
  });
  // Layers whose output sample another layer reads (as its pre, or as its own single tensor).
  const readByOthers = new Set<number>();
  sampleFrom.forEach((f, j) => {
    for (const r of [f.pre, f.post]) if (r.post && r.layer !== j) readByOthers.add(r.layer);
  });
  let stockParams: number[] = [];
  // Per scalar block: its members' layouts and its width in the flat layout (after the loss).
  const reduced: { layouts: ColumnStatsLayout[]; rowWidth: number; width: number }[] = [];
  // How the pieces come back: read as they lie (directRead), or concatenated first and read as one tensor.
  let read: (() => Promise<Float32Array>) | undefined;
  let direct = false;
  const items = tf.tidy(() => {
    const units = textureUnits();
    const { passes, windows } = stageOne(
      req.layers.map((l, i) => layerWork(l, samePrePost[i], sharedFrom[i] !== null, gathers[i])),
      units,
    );
    stockParams = passes.flatMap((p, i) => (p.paramsByStockOps ? [i] : []));
    const pieces: StatisticsPiece[] = [];
    for (const b of scalarBlocks(passes, units)) {
      const [rows, width] = b.tensor.shape as [number, number];
      pieces.push({ tensor: b.tensor, piece: { kind: 'rows', count: rows / 2, width } });
      reduced.push({ layouts: b.layouts, rowWidth: width, width: (rows / 2) * width });
    }
    pieces.push(...windows);
    if (stockParams.length) {
      const block = stockParamsBlock(stockParams.map((i) => req.layers[i]));
      pieces.push({ tensor: block, piece: { kind: 'block', width: block.shape[1] as number } });
    }
    const asTheyLie = options.direct !== false ? directRead(req.loss, pieces) : null;
    if (asTheyLie) {
      ({ read } = asTheyLie);
      direct = true;
      return [...pieces.map((p) => p.tensor), asTheyLie.held];
    }
    const out = concatPieces([{ tensor: lossBlock(req.loss), piece: { kind: 'block', width: 2 } }, ...pieces], units);
    const packed = out.tensor;
    const readFolded = canReadPacked(packed) ? () => readPacked(packed as tf.Tensor2D) : async () => (await packed.data()) as Float32Array;
    read = async () => unfold(await readFolded(), out.total, out.fold);
    return [packed];
  });
  let held: tf.Tensor[] | null = items;
  const dispose = () => {
    if (held) tf.dispose(held);
    held = null;
  };
  return {
    direct,
    read() {
      // Both ways queue their copies (or tfjs' read) before they first await: the tensors may go right away.
      try {
        return (read as () => Promise<Float32Array>)();
      } finally {
        dispose();
      }
    },
    dispose,
    decode(values: Float32Array) {
      const total = values.length / 2;
      // Stage 2's totals, finished here: block b's texel (r, c) is columns at + r * rowWidth + 2c, + 1 of both rows.
      let sampleAt = 2;
      const totals: LayerTotals[] = reduced.flatMap((b) => {
        const at = sampleAt;
        sampleAt += b.width;
        return reduceTotals(b.layouts, (r, c) => {
          const k = at + r * b.rowWidth + 2 * c;
          return [values[k], values[k + 1], values[total + k], values[total + k + 1]];
        });
      });
      // What each pass gathered, [pre, post]: tensor k (0, and 1 for 'both') of its region, as laid out by
      // column_stats_gpu.ts (2x2 blocks; pre and post rows; or one tensor in halves over the two rows).
      const own: [Float32Array, Float32Array][] = [];
      const gatheredBy = (s: number, i: number): [Float32Array, Float32Array] => {
        const at = sampleAt;
        sampleAt += sampleWidth(gathers[i], s, quads[i]);
        const tensor = (k: number): Float32Array => {
          const out = new Float32Array(s);
          if (quads[i]) {
            // Texel m of the region is block m: (row 0, cols 2m, 2m + 1), then (row 1, same columns).
            for (let m = 0; m < s / 4; m++) {
              const c = at + 2 * (k * (s / 4) + m);
              out[4 * m] = values[c];
              out[4 * m + 1] = values[c + 1];
              out[4 * m + 2] = values[total + c];
              out[4 * m + 3] = values[total + c + 1];
            }
          } else if (gathers[i] === 'both') {
            out.set(values.subarray(k * total + at, k * total + at + s));
          } else {
            const h = 2 * Math.ceil(s / 4);
            out.set(values.subarray(at, at + h));
            out.set(values.subarray(total + at, total + at + s - h), h);
          }
          return out;
        };
        switch (gathers[i]) {
          case 'both':
            return [tensor(0), tensor(1)];
          case 'pre': {
            const one = tensor(0);
            return [one, one];
          }
          case 'post':
            return [new Float32Array(0), tensor(0)];
          case 'none':
            return [new Float32Array(0), new Float32Array(0)];
        }
      };
      sampleSizes.forEach((s, i) => {
        const pair = gatheredBy(s, i);
        // Only a later layer reading it needs the output sample itself; the layer's own percentiles come from
        // its pre sample's order statistics (postOfPreSample).
        if (derivedPost[i] && readByOthers.has(i)) {
          const from = sampleFrom[i].pre;
          const phi = req.layers[i].postOfPre as (pre: number) => number;
          pair[1] = (from.layer === i ? pair[0] : own[from.layer][from.post ? 1 : 0]).map(phi);
        } else if (derivedPost[i]) pair[1] = new Float32Array(0);
        own.push(pair);
      });
      const sampleOf = (from: { layer: number; post: boolean }) => own[from.layer][from.post ? 1 : 0];
      const layers: LayerReduction[] = sampleSizes.map((_, i) => {
        const t = totals[i];
        return {
          ...t,
          gradSquared: hasWeight[i] ? t.gradSquared : null,
          weightSquared: hasWeight[i] ? t.weightSquared : null,
          preSample: sampleOf(sampleFrom[i].pre),
          postSample: sampleOf(sampleFrom[i].post),
          ...(derivedPost[i] && !readByOthers.has(i) ? { postOfPreSample: req.layers[i].postOfPre } : {}),
        };
      });
      // In layer order, so a layer copying from an earlier one gets that layer's finished numbers.
      layers.forEach((l, i) => {
        const from = sharedFrom[i];
        if (from) {
          const src = layers[from.layer];
          [l.preMean, l.preVariance, l.preMin, l.preMax] = from.post ? [src.mean, src.variance, src.postMin, src.postMax] : [src.preMean, src.preVariance, src.preMin, src.preMax];
          if (samePrePost[i]) [l.mean, l.variance, l.postMin, l.postMax] = [l.preMean, l.preVariance, l.preMin, l.preMax];
        }
        const phi = req.layers[i].postOfPre;
        if (phi && !samePrePost[i]) [l.postMin, l.postMax] = [phi(l.preMin), phi(l.preMax)];
      });
      stockParams.forEach((layer, k) => {
        if (!hasWeight[layer]) return; // plainStatistics reports no norms without a weight
        layers[layer].gradSquared = values[sampleAt + k];
        layers[layer].weightSquared = values[total + sampleAt + k];
      });
      return { loss: values[0], layers };
    },
  };
}
