/**
 * Stage 1 of the statistics reduction, one pass per group of layers with the same unit count: per column (unit)
 * and row chunk, every partial statistic a layer reports, from its packed [rows, units] pre-activation and output
 * and its packed [weightRows, units] gradient and weight; and the layer's percentile sample.
 * Output of one layer: packed [partialRows + 2 * sampleTexelRows, units]. A group's output holds its members'
 * partials one below the other, then their sample regions back to back (groupPlacement).
 * Partials: row 2 (pair * chunks + chunk) + (0 | 1). Each output texel computes a PAIR of statistics for two units
 * over its chunk's rows, two rows per fetch, so every fetched texel value is used:
 *   pair preMoments   (sum of x - s, sum of (x - s)^2), s = PRE[0, 0] (the shifted one-pass form)
 *   pair preExtremes  (min, max), NaN when the chunk holds a NaN (as the CPU backend's min / max)
 *   pair preCounts    (elements inside the saturation intervals, elements > 0 for the dead-unit test; only when
 *                     the layer has saturation intervals or tracks dead units: otherwise both are 0 and skipped)
 *   pair postMoments, postExtremes (only when the output is a different tensor; no postExtremes when they follow
 *                     from the pre-activation's through a monotone activation, postExtremesFromPre)
 *   pair params       (sum of g^2, sum of w^2) over the weight rows of the chunk (only with a weight)
 * Sample region (from row partialRows, texels row-major, ceil(units / 2) per texel row), by what the layer gathers
 * (`gather`: a tensor an earlier layer of the request gathered at the same indices is not gathered again, nor
 * an activation's output, which statisticsOp computes from its pre-activation samples):
 *   both  texel m = (pre[2m], pre[2m + 1], post[2m], post[2m + 1]), ceil(samples / 2) texels;
 *   pre / post, one tensor t: texel m = (t[2m], t[2m + 1], t[h + 2m], t[h + 2m + 1]), h = 2 ceil(samples / 4),
 *         ceil(samples / 4) texels (first half in the texels' first row, second half in their second);
 *   none  no texel;
 * and when the indices come in 2x2 blocks (`quads`, sampleQuadIndices): texel m = block m of the tensor, the one
 * texel holding it (both: the pre blocks, then the post blocks), samples / 4 texels per tensor;
 * then one texel (PRE[0, 0], 0, POST[0, 0], 0): the shifts stage 2 needs, so it reads nothing but this output.
 * StatsReduceProgram (stage 2) finishes the sums; ConcatColumnsProgram copies the sample region out.
 * NaN never counts as saturated or positive. Chunk counts are even, so the two texel rows of a 2x2 pixel quad
 * (SwiftShader shades quads in SIMD lanes) hold the same pair: no lane runs another pair's fold, each loop is half
 * as long. (SwiftShader runs the straight-line code of branches no lane takes, masked; loops it skips: so the
 * folds are loops and the sample gather, straight-line, is small.)
 * Uniforms: satLo{k}[n], satHi{k}[n], member k's saturation intervals [lo, hi). Which ends are infinite is compiled
 * in (an open end is no test at all, so +Inf counts in [a, +Inf) as in plainStatistics); the bounds are uniforms.
 * Inputs: T0, T1, ...: each distinct tensor the members read once; member k's roles PRE, POST (= PRE's when
 * samePrePost), G and W (with a weight), IDX (when it gathers samples) name them (MemberInputs).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { NAN_TEST } from './shaderSnippets';

/** Which of a layer's tensors its pass gathers percentile samples from (see the file comment). */
export type SampleGather = 'both' | 'pre' | 'post' | 'none';

/** A pair of statistics one stage-1 texel computes (see the file comment). */
export type StatPair = 'preMoments' | 'preExtremes' | 'preCounts' | 'postMoments' | 'postExtremes' | 'params';

/** Shape of one layer's stage-1 reduction. */
export interface ColumnStatsLayout {
  rows: number;
  units: number;
  /** Rows per chunk (even); chunks * chunkRows >= rows (trailing chunks may be empty). */
  chunkRows: number;
  /** Even. */
  chunks: number;
  /** The output is the pre-activation itself (no separate post statistics). */
  samePrePost: boolean;
  /** Rows of the weight / gradient viewed as [weightRows, units]; 0 without a weight. */
  weightRows: number;
  /** Saturation intervals (disjoint): which ends are finite. Empty: never saturated. */
  saturation: { finiteLo: boolean; finiteHi: boolean }[];
  /** Count units never active (ReLU family). */
  trackDead: boolean;
  /**
   * The pre-activation is a tensor an earlier layer of the request already reduced (an activation layer after a
   * dense or norm layer): its moments and extremes are copied from there when decoding, not recomputed.
   */
  preShared: boolean;
  /** The tensors whose samples this pass gathers ('none' without samples). */
  gather: SampleGather;
  /** The sample indices come in 2x2 blocks (StatisticsLayerInput.sampleQuads): one texel fetch per block. */
  quads: boolean;
  /** The output's extremes follow from the pre-activation's (StatisticsLayerInput.postOfPre): not reduced here. */
  postExtremesFromPre: boolean;
}

/** The statistic pairs of a layout, in output row order (pair p, chunk k occupies rows 2 (p chunks + k) + 0, 1). */
export function statPairs(layout: Pick<ColumnStatsLayout, 'samePrePost' | 'weightRows' | 'saturation' | 'trackDead' | 'preShared' | 'postExtremesFromPre'>): StatPair[] {
  const pairs: StatPair[] = layout.preShared ? [] : ['preMoments', 'preExtremes'];
  if (layout.saturation.length || layout.trackDead) pairs.push('preCounts');
  if (!layout.samePrePost) pairs.push('postMoments');
  if (!layout.samePrePost && !layout.postExtremesFromPre) pairs.push('postExtremes');
  if (layout.weightRows > 0) pairs.push('params');
  return pairs;
}

/** Rows of the partials in the stage-1 output (the sample region starts there). */
export function partialRows(layout: ColumnStatsLayout): number {
  return 2 * statPairs(layout).length * layout.chunks;
}

/** Texels of gathered samples (the shift texel not counted). */
export function sampleTexels(gather: SampleGather, samples: number, quads: boolean): number {
  if (gather === 'none') return 0;
  if (quads) return (gather === 'both' ? 2 : 1) * (samples / 4);
  return gather === 'both' ? Math.ceil(samples / 2) : Math.ceil(samples / 4);
}

/** Where the sample region lies: texels per texel row, and texels in all (gathered samples and the shift texel). */
export function sampleRegion(layout: ColumnStatsLayout, samples: number): { texelsPerRow: number; texels: number } {
  return { texelsPerRow: Math.ceil(layout.units / 2), texels: sampleTexels(layout.gather, samples, layout.quads) + 1 };
}

/**
 * A GLSL function `vec4 fn(int r0, int c)` folding rows r0 .. r0 + 2 * pairsPerChunk - 1 of columns c, c + 1 into
 * `result`: `declare` sets up accumulators, `accumulate` folds `vec2 x` (one row of the two columns; also `vec2 y`
 * from `second` when given). The trip count is a compile-time constant, the same for every texel of a quad; rows
 * past `rows` are tested for only when the chunks overhang it (a layer whose row count is a multiple of the chunk
 * count, like batch 128, folds with no test at all).
 */
function rowFold(fn: string, args: string, inputs: [string, string?], declare: string, accumulate: string, result: string, pairsPerChunk: number, rows: number, exact: boolean): string {
  const [first, second] = inputs;
  const fetch = `vec4 v = get${first}(r, c);${second ? ` vec4 w = get${second}(r, c);` : ''}`;
  const half = (sw: string) => `{ vec2 x = v.${sw};${second ? ` vec2 y = w.${sw};` : ''} ${accumulate} }`;
  const body = exact ? `${half('xy')} ${half('zw')}` : `if (r < ${rows}) ${half('xy')} if (r + 1 < ${rows}) ${half('zw')}`;
  return `
  vec4 ${fn}(int r0, int c${args}) {
    ${declare}
    for (int i = 0; i < ${pairsPerChunk}; i++) {
      int r = r0 + 2 * i;
      ${fetch}
      ${body}
    }
    ${result}
  }`;
}

/** GLSL of member k's folds and `vec4 nlPartials_k(int row, int c)` for a row of its partials. */
function partialsCode(l: ColumnStatsLayout, k: number, names: MemberInputs): string {
  const { rows, units, chunkRows, chunks, samePrePost, weightRows, saturation } = l;
  const pairs = statPairs(l);
  const pre = names.pre;
  const post = names.post;
  const exact = chunks * chunkRows === rows;
  const weightChunkRows = weightRows > 0 ? 2 * Math.ceil(weightRows / chunks / 2) : 0;
  const fold = (fn: string, args: string, input: string, declare: string, acc: string, result: string) => rowFold(fn, args, [input], declare, acc, result, chunkRows / 2, rows, exact);
  const moments = (input: string) => fold(`nlMoments${input}_${k}`, ', float s', input, 'vec2 s1 = vec2(0.0); vec2 s2 = vec2(0.0);', 'vec2 a = x - s; s1 += a; s2 += a * a;', 'return vec4(s1, s2);');
  // min / max of a NaN is implementation-defined in GLSL: count NaNs and override at the end.
  const extremes = (input: string) =>
    fold(
      `nlExtremes${input}_${k}`,
      '',
      input,
      'vec2 mn = vec2(nlInf()); vec2 mx = vec2(-nlInf()); vec2 nans = vec2(0.0);',
      'mn = min(mn, x); mx = max(mx, x); nans += vec2(notEqual(x, x));',
      'bvec2 hasNan = greaterThan(nans, vec2(0.0)); return vec4(mix(mn, vec2(NAN), hasNan), mix(mx, vec2(NAN), hasNan));',
    );
  // Unrolled with constant indices: a loop over a uniform array with per-end tests cost more than all the other
  // statistics together on SwiftShader. Disjoint intervals, so the indicators add up.
  const inside = saturation.map(({ finiteLo, finiteHi }, j) => {
    const tests = [finiteLo ? `vec2(greaterThanEqual(v, vec2(satLo${k}[${j}])))` : '', finiteHi ? `vec2(lessThan(v, vec2(satHi${k}[${j}])))` : ''].filter(Boolean);
    return tests.length ? tests.join(' * ') : 'vec2(1.0)';
  });
  const call = (p: StatPair): string => {
    switch (p) {
      case 'preMoments':
        return `nlMoments${pre}_${k}(r0, c, get${pre}(0, 0).x)`;
      case 'preExtremes':
        return `nlExtremes${pre}_${k}(r0, c)`;
      case 'preCounts':
        return `nlCounts_${k}(r0, c)`;
      case 'postMoments':
        return `nlMoments${post}_${k}(r0, c, get${post}(0, 0).x)`;
      case 'postExtremes':
        return `nlExtremes${post}_${k}(r0, c)`;
      case 'params':
        return `nlParams_${k}(chunk * ${weightChunkRows}, c)`;
    }
  };
  return `
  vec2 nlSaturated_${k}(vec2 v) { return ${inside.length ? inside.join(' + ') : 'vec2(0.0)'}; }
  ${pairs.includes('preMoments') ? moments(pre) : ''}
  ${pairs.includes('preExtremes') ? extremes(pre) : ''}
  ${pairs.includes('preCounts') ? fold(`nlCounts_${k}`, '', pre, 'vec2 sat = vec2(0.0); vec2 pos = vec2(0.0);', `sat += nlSaturated_${k}(x); pos += vec2(greaterThan(x, vec2(0.0)));`, 'return vec4(sat, pos);') : ''}
  ${samePrePost ? '' : `${moments(post)}\n${extremes(post)}`}
  ${
    weightRows > 0
      ? rowFold(`nlParams_${k}`, '', [names.g as string, names.w as string], 'vec2 g2 = vec2(0.0); vec2 w2 = vec2(0.0);', 'g2 += x * x; w2 += y * y;', 'return vec4(g2, w2);', weightChunkRows / 2, weightRows, chunks * weightChunkRows === weightRows)
      : ''
  }
  vec4 nlPartials_${k}(int row, int c) {
    ${pairs.length ? '' : 'return vec4(0.0);'}
    int slot = row / 2;
    int pair = slot / ${chunks};
    int chunk = slot - pair * ${chunks};
    int r0 = chunk * ${chunkRows};
    vec4 res = vec4(0.0);
    ${pairs.map((p, j) => `${j ? 'else ' : ''}if (pair == ${j}) res = ${call(p)};`).join('\n    ')}
    return c + 1 < ${units} ? res : vec4(res.x, 0.0, res.z, 0.0);
  }`;
}

/** GLSL of `vec4 nlSamples_k(int m)`: texel m of member k's sample region. */
function samplesCode(l: ColumnStatsLayout, samples: number, k: number, names: MemberInputs): string {
  const pre = names.pre;
  const post = names.post;
  const texels = sampleTexels(l.gather, samples, l.quads);
  const shift = `vec4(get${pre}(0, 0).x, 0.0, get${post}(0, 0).x, 0.0)`;
  if (!texels) return `vec4 nlSamples_${k}(int m) { return m == 0 ? ${shift} : vec4(0.0); }`;
  const idx = names.idx as string;
  if (l.quads) {
    // Block q's texel, whose first index is idx[4q]: the texel is the block (both: pre blocks, then post blocks).
    const blocks = samples / 4;
    const call = (t: string, q: string) => `nlBlock${t}_${k}(${q})`;
    const block = (t: string) => `
  vec4 nlBlock${t}_${k}(int q) {
    int f = int(get${idx}(4 * q).x + 0.5);
    int r = f / ${l.units};
    return get${t}(r, f - r * ${l.units});
  }`;
    const body =
      l.gather === 'both'
        ? `return m < ${blocks} ? ${call(pre, 'm')} : ${call(post, `m - ${blocks}`)};`
        : `return ${call(l.gather === 'pre' ? pre : post, 'm')};`;
    return `${block(pre)}${post === pre ? '' : block(post)}
  vec4 nlSamples_${k}(int m) {
    if (m >= ${texels}) return m == ${texels} ? ${shift} : vec4(0.0);
    ${body}
  }`;
  }
  // Element (r, c) of a packed matrix from the texel holding it; one tensor at flat index f (row-major).
  const element = (t: string) => `
  float nlAt${t}_${k}(float fIndex) {
    int f = int(fIndex + 0.5);
    int r = f / ${l.units};
    int c = f - r * ${l.units};
    vec4 t = get${t}(r, c);
    return (r & 1) == 0 ? ((c & 1) == 0 ? t.x : t.y) : ((c & 1) == 0 ? t.z : t.w);
  }`;
  const at = (t: string, i: string, j: string) => `(${j} < ${samples} ? nlAt${t}_${k}(${i}) : 0.0)`;
  let body: string;
  let fns: string;
  if (l.gather === 'both') {
    fns = element(pre) + (post === pre ? '' : element(post));
    body = `vec4 idx = get${idx}(2 * m);
    return vec4(nlAt${pre}_${k}(idx.x), ${at(pre, 'idx.y', '2 * m + 1')}, nlAt${post}_${k}(idx.x), ${at(post, 'idx.y', '2 * m + 1')});`;
  } else {
    const t = l.gather === 'pre' ? pre : post;
    const h = 2 * Math.ceil(samples / 4);
    fns = element(t);
    body = `vec4 a = get${idx}(2 * m);
    vec4 b = get${idx}(${h} + 2 * m);
    return vec4(nlAt${t}_${k}(a.x), ${at(t, 'a.y', '2 * m + 1')}, ${at(t, 'b.x', `${h} + 2 * m`)}, ${at(t, 'b.y', `${h} + 2 * m + 1`)});`;
  }
  return `${fns}
  vec4 nlSamples_${k}(int m) {
    if (m >= ${texels}) return m == ${texels} ? ${shift} : vec4(0.0);
    ${body}
  }`;
}

/** Names of a member's inputs among the program's variables (the POST name is PRE's when they are one tensor). */
export interface MemberInputs {
  pre: string;
  post: string;
  g?: string;
  w?: string;
  idx?: string;
}

/** One layer of a grouped stage-1 pass: its layout, sample count and input names. */
export interface ColumnStatsMember {
  layout: ColumnStatsLayout;
  samples: number;
  inputs: MemberInputs;
}

/** Where a layer's partials and shift texel lie in its stage-1 output (a group's output holds several layers). */
export interface StageOnePlace {
  /** First row of the layer's partials. */
  rowBase: number;
  /** Row and column of its shift texel. */
  shiftRow: number;
  shiftCol: number;
}

/**
 * Where the members of a group lie in its output: member k's partials from row partialBase[k] (partialRows in
 * all), its sample region from texel texelBase[k] of the sample area (rows partialRows on, texelsPerRow texels per
 * texel row), its shift texel last; `texels` in all. `places[k]`: the same for stage 2.
 */
export function groupPlacement(members: Pick<ColumnStatsMember, 'layout' | 'samples'>[]): {
  partialBase: number[];
  partialRows: number;
  texelBase: number[];
  texels: number;
  texelsPerRow: number;
  places: StageOnePlace[];
} {
  const partialBase: number[] = [];
  const texelBase: number[] = [];
  const shifts: number[] = [];
  let rows = 0;
  let texels = 0;
  for (const m of members) {
    partialBase.push(rows);
    texelBase.push(texels);
    rows += partialRows(m.layout);
    texels += sampleRegion(m.layout, m.samples).texels;
    shifts.push(texels - 1);
  }
  const texelsPerRow = Math.ceil(members[0].layout.units / 2);
  const places = shifts.map((t, k) => ({ rowBase: partialBase[k], shiftRow: rows + 2 * Math.floor(t / texelsPerRow), shiftCol: 2 * (t % texelsPerRow) }));
  return { partialBase, partialRows: rows, texelBase, texels, texelsPerRow, places };
}

/** `call(k)` for the member whose [base[k], base[k + 1]) range holds `v`: a zero-or-one-trip loop per member. */
function byRange(v: string, base: number[], end: number, call: (k: number) => string): string {
  if (base.length === 1) return `res = ${call(0)};`;
  // SwiftShader runs the straight-line code of branches no lane takes (masked) but skips loops no lane enters.
  return base.map((b, k) => `for (int i = 0; i < (${v} >= ${b} && ${v} < ${k + 1 < base.length ? base[k + 1] : end} ? 1 : 0); i++) res = ${call(k)};`).join('\n        ');
}

/**
 * The stage-1 partials and sample regions of a GROUP of layers with the same unit count, in one pass (each pass
 * costs ~0.05 ms of GPU and ~0.04 ms of page time on SwiftShader whatever it does): member k's code reads its
 * own inputs among the program's T0, T1, ... (a tensor several members read is bound once).
 */
export class ColumnStatsProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[];
  userCode: string;

  constructor(members: ColumnStatsMember[], inputCount: number) {
    this.variableNames = Array.from({ length: inputCount }, (_, i) => `T${i}`);
    this.customUniforms = members.flatMap(({ layout }, k) =>
      layout.saturation.length
        ? [
            { name: `satLo${k}`, type: 'float' as const, arrayIndex: layout.saturation.length },
            { name: `satHi${k}`, type: 'float' as const, arrayIndex: layout.saturation.length },
          ]
        : [],
    );
    const place = groupPlacement(members);
    const units = members[0].layout.units;
    this.outputShape = [place.partialRows + 2 * Math.ceil(place.texels / place.texelsPerRow), units];
    this.userCode = `
      ${NAN_TEST}
      float nlInf() { return uintBitsToFloat(0x7f800000u); }
      ${members.map((m, k) => partialsCode(m.layout, k, m.inputs)).join('\n')}
      ${members.map((m, k) => samplesCode(m.layout, m.samples, k, m.inputs)).join('\n')}
      void main() {
        ivec2 o = getOutputCoords();
        vec4 res = vec4(0.0);
        if (o.x < ${place.partialRows}) {
          ${byRange('o.x', place.partialBase, place.partialRows, (k) => `nlPartials_${k}(o.x - ${place.partialBase[k]}, o.y)`)}
        } else {
          int m = ((o.x - ${place.partialRows}) / 2) * ${place.texelsPerRow} + o.y / 2;
          ${byRange('m', place.texelBase, place.texels, (k) => `nlSamples_${k}(m - ${place.texelBase[k]})`)}
        }
        setOutput(res);
      }
    `;
  }
}
