/**
 * Stage 2 of the statistics reduction: the totals of every statistic pair (statPairs) of a GROUP of layers from
 * their stage-1 outputs (ColumnStatsProgram), one input per layer, so one dispatch serves a group of layers (each
 * dispatch costs ~0.1 ms on SwiftShader whatever it does). The decoder finishes the numbers (reduceTotals).
 *
 * Item j of the group is (member, pair) in member order, each member's pairs in statPairs order. A 2x2 texel quad
 * reduces one item, each of its four texels a quarter of the units (unit texel u goes to quarter u mod 4):
 * SwiftShader shades a quad in SIMD lanes and runs a loop while any lane is in it, so four texels of one item
 * share every loop trip, where one texel per item (the first version: a layer's three blocks side by side in one
 * texel row) ran the quad's four different loops one after another, one lane busy in each. Quads lie
 * `quadsPerRow` to a row and the rows stack, so both SwiftShader threads get quad rows. Texel (of the quarter q of
 * item j) value:
 *   moments  (sum of (x - s), sum of (x - s)^2, s, 0): s the layer's shift for that tensor (stage-1 shift texel)
 *   extremes (min, max, number of NaN partials, 0)
 *   counts   (elements inside the saturation intervals, units never positive (0 unless tracked), 0, 0)
 *   params   (sum of g^2, sum of w^2, 0, 0)
 * Loops only: SwiftShader skips loops no lane enters but runs the straight-line code of untaken branches (masked),
 * so the dispatch over items is a zero-or-one-trip loop per item.
 * Inputs: COLS{i}, the stage-1 output holding member i (a group's output is bound once per member; StageOnePlace
 * says where the layer lies in it).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { statPairs, type ColumnStatsLayout, type StageOnePlace, type StatPair } from './column_stats_gpu';
import { NAN_TEST } from './shaderSnippets';

/** One statistic pair of one member of a group. */
export interface ReduceItem {
  member: number;
  pair: StatPair;
}

/** The items of a group, in output order. */
export function reduceItems(layouts: ColumnStatsLayout[]): ReduceItem[] {
  return layouts.flatMap((l, member) => statPairs(l).map((pair) => ({ member, pair })));
}

/** Quads per row for `items` items (about square), and the packed output shape: [4 quad rows, 4 quadsPerRow]. */
export function reduceGrid(items: number): { quadsPerRow: number; shape: [number, number] } {
  const quadsPerRow = Math.max(1, Math.ceil(Math.sqrt(items)));
  return { quadsPerRow, shape: [4 * Math.max(1, Math.ceil(items / quadsPerRow)), 4 * quadsPerRow] };
}

/** Texel (row, column) of quarter q of item j in the output's texel grid. */
export function quarterTexel(j: number, q: number, quadsPerRow: number): [number, number] {
  return [2 * Math.floor(j / quadsPerRow) + (q >> 1), 2 * (j % quadsPerRow) + (q & 1)];
}

/** GLSL `vec4 nlItem{j}(int q)`: quarter q of item j (see the file comment). */
function itemCode(l: ColumnStatsLayout, item: ReduceItem, j: number, place: StageOnePlace): string {
  const { units, chunks } = l;
  const pairs = statPairs(l);
  const cols = `getCOLS${item.member}`;
  const row = place.rowBase + 2 * pairs.indexOf(item.pair) * chunks;
  // Unit texels c / 2 = q, q + 4, ...: columns c = 2 q + 8 i.
  const forUnits = `for (int c = 2 * q; c < ${units}; c += 8)`;
  const odd = units % 2 === 1;
  switch (item.pair) {
    case 'preMoments':
    case 'postMoments':
    case 'params': {
      const shift = item.pair === 'params' ? '0.0' : `${cols}(${place.shiftRow}, ${place.shiftCol}).${item.pair === 'preMoments' ? 'x' : 'z'}`;
      // An odd unit count's last texel is zero-padded: no tail needed.
      return `
  vec4 nlItem${j}(int q) {
    vec2 total = vec2(0.0);
    ${forUnits} {
      for (int k = 0; k < ${chunks}; k++) {
        vec4 t = ${cols}(${row} + 2 * k, c);
        total += t.xz + t.yw;
      }
    }
    return vec4(total, ${shift}, 0.0);
  }`;
    }
    case 'preExtremes':
    case 'postExtremes': {
      // Row 0 holds the minima, row 1 the maxima; an odd unit count's last texel holds one unit (x, z).
      const fold = (last: boolean) =>
        last
          ? 'nans += float(nlIsNan(t.x)) + float(nlIsNan(t.z)); mn = min(mn, t.x); mx = max(mx, t.z);'
          : 'nans += dot(vec4(nlIsNan(t)), vec4(1.0)); mn = min(mn, min(t.x, t.y)); mx = max(mx, max(t.z, t.w));';
      return `
  vec4 nlItem${j}(int q) {
    float mn = nlInf();
    float mx = -nlInf();
    float nans = 0.0;
    ${forUnits} {
      for (int k = 0; k < ${chunks}; k++) {
        vec4 t = ${cols}(${row} + 2 * k, c);
        ${odd ? `if (c + 1 < ${units}) { ${fold(false)} } else { ${fold(true)} }` : fold(false)}
      }
    }
    return vec4(mn, mx, nans, 0.0);
  }`;
    }
    case 'preCounts':
      // Row 0: elements inside the saturation intervals; row 1: elements > 0, per unit (dead: none over all chunks).
      return `
  vec4 nlItem${j}(int q) {
    float saturated = 0.0;
    float dead = 0.0;
    ${forUnits} {
      vec2 positive = vec2(0.0);
      for (int k = 0; k < ${chunks}; k++) {
        vec4 t = ${cols}(${row} + 2 * k, c);
        saturated += t.x + t.y;
        positive += t.zw;
      }
      ${l.trackDead ? `dead += float(positive.x == 0.0)${odd ? ` + (c + 1 < ${units} ? float(positive.y == 0.0) : 0.0)` : ' + float(positive.y == 0.0)'};` : ''}
    }
    return vec4(saturated, dead, 0.0, 0.0);
  }`;
  }
}

/** A group of layers' statistic totals from their stage-1 outputs: packed reduceGrid(items).shape. */
export class StatsReduceProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(layouts: ColumnStatsLayout[], places: StageOnePlace[]) {
    this.variableNames = layouts.map((_, i) => `COLS${i}`);
    const items = reduceItems(layouts);
    const { quadsPerRow, shape } = reduceGrid(items.length);
    this.outputShape = shape;
    this.userCode = `
      ${NAN_TEST}
      float nlInf() { return uintBitsToFloat(0x7f800000u); }
      ${items.map((it, j) => itemCode(layouts[it.member], it, j, places[it.member])).join('\n')}
      void main() {
        ivec2 o = getOutputCoords() / 2;
        int j = (o.x / 2) * ${quadsPerRow} + o.y / 2;
        int q = (o.x & 1) * 2 + (o.y & 1);
        vec4 v = vec4(0.0);
        ${items.map((_, j) => `for (int i = 0; i < (j == ${j} ? 1 : 0); i++) v = nlItem${j}(q);`).join('\n        ')}
        setOutput(v);
      }
    `;
  }
}

/** A layer's finished scalars (the fields of LayerReduction that stage 2 gives). */
export interface LayerTotals {
  preMean: number;
  preVariance: number;
  mean: number;
  variance: number;
  preMin: number;
  preMax: number;
  postMin: number;
  postMax: number;
  saturation: number;
  dead: number;
  gradSquared: number;
  weightSquared: number;
}

/**
 * Finish every member's numbers from the four quarters of each item; `texel(row, col)` reads the output's texel
 * grid. Pooled moments over all n = rows * units elements: mean = s + T1 / n, variance = T2 / n - (T1 / n)^2 (the
 * shift s makes the difference well conditioned), in float64. Extremes: NaN when any partial is NaN. Pairs a
 * layout lacks (a shared pre-activation, no weight) come out 0; a single tensor's post numbers are its pre's.
 */
export function reduceTotals(layouts: ColumnStatsLayout[], texel: (row: number, col: number) => ArrayLike<number>): LayerTotals[] {
  const items = reduceItems(layouts);
  const { quadsPerRow } = reduceGrid(items.length);
  const out = layouts.map(
    (): LayerTotals => ({ preMean: 0, preVariance: 0, mean: 0, variance: 0, preMin: 0, preMax: 0, postMin: 0, postMax: 0, saturation: 0, dead: 0, gradSquared: 0, weightSquared: 0 }),
  );
  items.forEach((it, j) => {
    const l = layouts[it.member];
    const n = l.rows * l.units;
    const quarters = [0, 1, 2, 3].map((q) => texel(...quarterTexel(j, q, quadsPerRow)));
    const sum = (k: number) => quarters.reduce((s, t) => s + t[k], 0);
    const t = out[it.member];
    const moments = (): [number, number] => {
      const m = sum(0) / n;
      const v = sum(1) / n - m * m;
      return [quarters[0][2] + m, v < 0 ? 0 : v];
    };
    const extremes = (): [number, number] =>
      sum(2) > 0 ? [NaN, NaN] : [Math.min(...quarters.map((q) => q[0])), Math.max(...quarters.map((q) => q[1]))];
    switch (it.pair) {
      case 'preMoments':
        [t.preMean, t.preVariance] = moments();
        break;
      case 'postMoments':
        [t.mean, t.variance] = moments();
        break;
      case 'preExtremes':
        [t.preMin, t.preMax] = extremes();
        break;
      case 'postExtremes':
        [t.postMin, t.postMax] = extremes();
        break;
      case 'preCounts':
        t.saturation = sum(0) / n;
        t.dead = sum(1) / l.units;
        break;
      case 'params':
        t.gradSquared = sum(0);
        t.weightSquared = sum(1);
        break;
    }
  });
  layouts.forEach((l, i) => {
    if (!l.samePrePost) return;
    const t = out[i];
    [t.mean, t.variance, t.postMin, t.postMax] = [t.preMean, t.preVariance, t.preMin, t.preMax];
  });
  return out;
}
