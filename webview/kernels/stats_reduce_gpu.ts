/**
 * Stage 2 of the statistics reduction: the final numbers of a GROUP of layers from their stage-1 outputs
 * (ColumnStatsProgram), one input per layer, so one dispatch serves a group of layers (each dispatch costs
 * ~0.1 ms on SwiftShader whatever it does). Output: packed [2 * layers, 6]; layer i's rows 2 i, 2 i + 1:
 *   row 0: preMean, preVariance, preMin, preMax, saturation, dead
 *   row 1: mean,    variance,    postMin, postMax, gradSq,   weightSq
 * Pooled moments: mean = s + T1 / n, variance = T2 / n - (T1 / n)^2 over all n = rows * units elements (the shift s,
 * read from the stage-1 sample region, makes the difference well conditioned). Dead: the fraction of units with no
 * positive value in any row. Every reduction is a loop (SwiftShader skips loops no lane enters; straight-line code
 * of untaken branches it runs masked), so the chain over the group's layers costs little.
 * Inputs: COLS{i}, the stage-1 output holding layer i (a group's output is bound once per member; StageOnePlace
 * says where the layer lies in it).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { statPairs, type ColumnStatsLayout, type StageOnePlace, type StatPair } from './column_stats_gpu';
import { glslFloat, NAN_TEST } from './shaderSnippets';

/** Scalars per row of a layer's block. */
export const ROW_SCALARS = 6;

/** GLSL for layer i: reductions over COLS{i} and `vec4 nlBlock{i}(int c)` for its columns 0, 2, 4. */
function layerCode(l: ColumnStatsLayout, i: number, place: StageOnePlace): string {
  const { rows, units, chunks, samePrePost } = l;
  const pairs = statPairs(l);
  const row = (p: StatPair, second = false) => place.rowBase + 2 * pairs.indexOf(p) * chunks + (second ? 1 : 0);
  // Pairs a shared pre-activation skipped come out 0 (the decoder copies them from the earlier layer).
  const has = (p: StatPair) => pairs.includes(p);
  const postMoments: StatPair = samePrePost ? 'preMoments' : 'postMoments';
  const postExtremes: StatPair = samePrePost ? 'preExtremes' : 'postExtremes';
  const cols = `getCOLS${i}`;
  const evenUnits = units - (units % 2);
  const invN = glslFloat(1 / (rows * units));
  const tail = (stmt: (t: string) => string) => (units % 2 ? stmt(`${cols}(rk, ${units - 1})`) : '');
  const { shiftRow, shiftCol } = place;
  return `
  // Sums over chunks and units of the statistic PAIR whose chunk-0 rows are r, r + 1: one texel holds both rows of
  // two units, so each is fetched once (an odd unit count's last texel is zero-padded: no tail needed).
  vec2 nlTotals${i}(int r) {
    vec2 total = vec2(0.0);
    for (int k = 0; k < ${chunks}; k++) {
      vec2 part = vec2(0.0);
      for (int c = 0; c < ${units}; c += 2) {
        vec4 t = ${cols}(r + 2 * k, c);
        part += t.xz + t.yw;
      }
      total += part;
    }
    return total;
  }
  // (min of row r, max of row r + 1) over every chunk and unit, in one pass; NaN if any partial is NaN.
  vec2 nlExtremes${i}(int r) {
    vec2 mn = vec2(nlInf());
    vec2 mx = vec2(-nlInf());
    float nans = 0.0;
    for (int k = 0; k < ${chunks}; k++) {
      int rk = r + 2 * k;
      for (int c = 0; c < ${evenUnits}; c += 2) {
        vec4 t = ${cols}(rk, c);
        nans += dot(vec4(nlIsNan(t)), vec4(1.0));
        mn = min(mn, t.xy);
        mx = max(mx, t.zw);
      }
      ${tail((t) => `vec4 t = ${t}; nans += float(nlIsNan(t.x)) + float(nlIsNan(t.z)); mn.x = min(mn.x, t.x); mx.x = max(mx.x, t.z);`)}
    }
    return nans > 0.0 ? vec2(NAN) : vec2(min(mn.x, mn.y), max(mx.x, mx.y));
  }
  float nlDead${i}(int r) {
    float dead = 0.0;
    for (int c = 0; c < ${evenUnits}; c += 2) {
      vec2 pos = vec2(0.0);
      for (int k = 0; k < ${chunks}; k++) pos += nlPick(${cols}(r + 2 * k, c), r);
      dead += float(pos.x == 0.0) + float(pos.y == 0.0);
    }
    ${
      units % 2
        ? `float last = 0.0;
    for (int k = 0; k < ${chunks}; k++) last += nlPick(${cols}(r + 2 * k, ${units - 1}), r).x;
    dead += float(last == 0.0);`
        : ''
    }
    return dead * ${glslFloat(1 / units)};
  }
  vec2 nlMoments${i}(int r, float shift) {
    vec2 t = nlTotals${i}(r) * ${invN};
    float v = t.y - t.x * t.x;
    return vec2(shift + t.x, v < 0.0 ? 0.0 : v);
  }
  vec4 nlBlock${i}(int c) {
    if (c == 0) {
      vec4 shifts = ${cols}(${shiftRow}, ${shiftCol});
      return vec4(${has('preMoments') ? `nlMoments${i}(${row('preMoments')}, shifts.x)` : 'vec2(0.0)'}, ${has(postMoments) ? `nlMoments${i}(${row(postMoments)}, shifts.z)` : 'vec2(0.0)'});
    }
    if (c == 2) {
      return vec4(${has('preExtremes') ? `nlExtremes${i}(${row('preExtremes')})` : 'vec2(0.0)'}, ${has(postExtremes) ? `nlExtremes${i}(${row(postExtremes)})` : 'vec2(0.0)'});
    }
    return vec4(${has('preCounts') ? `nlTotals${i}(${row('preCounts')}).x * ${invN}` : '0.0'}, ${l.trackDead ? `nlDead${i}(${row('preCounts', true)})` : '0.0'},
                ${has('params') ? `nlTotals${i}(${row('params')})` : 'vec2(0.0)'});
  }`;
}

/**
 * A group of layers' scalars from their stage-1 outputs, packed [2 * layers, 6]: layer i's block in rows 2 i and
 * 2 i + 1 (ConcatPiece 'rows' reads it as the [2, 6 * layers] block). One texel row per layer, not all layers in
 * one [2, 6 * layers] row: SwiftShader shades 2x2 quads and hands each thread whole quad rows, so an output one
 * texel high runs on one thread with half of every quad idle (a 9-layer SELU group: ~0.6 ms, most of the pass).
 */
export class StatsReduceProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(layouts: ColumnStatsLayout[], places: StageOnePlace[]) {
    this.variableNames = layouts.map((_, i) => `COLS${i}`);
    this.outputShape = [2 * layouts.length, ROW_SCALARS];
    const dispatch = layouts
      .map((_, i) => {
        const call = `v = nlBlock${i}(o.y);`;
        return i === layouts.length - 1 ? call : `if (layer == ${i}) ${call} else`;
      })
      .join('\n        ');
    this.userCode = `
      ${NAN_TEST}
      float nlInf() { return uintBitsToFloat(0x7f800000u); }
      // The two values of COLS row r for units c, c + 1 from the texel holding them.
      vec2 nlPick(vec4 t, int r) { return (r & 1) == 0 ? t.xy : t.zw; }
      ${layouts.map((l, i) => layerCode(l, i, places[i])).join('\n')}
      void main() {
        ivec2 o = getOutputCoords();
        int layer = o.x / 2;
        vec4 v;
        ${dispatch}
        setOutput(v);
      }
    `;
  }
}
