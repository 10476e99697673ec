/**
 * Concatenation along the columns of [2, even width] pieces, texel by texel: a piece is either a whole packed
 * [2, w] block, or a WINDOW into a stage-1 statistics output: `texels` texels read row-major from texel row
 * `rowBase / 2` on, `texelsPerRow` per row (the sample region, see column_stats_gpu.ts), i.e. a [2, 2 * texels]
 * block in place. Since every width is even, a piece boundary never splits a texel and each output texel is one
 * input texel, copied (tfjs' packed concat evaluates four channel lookups per texel).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/**
 * One input of the concatenation: a whole [2, w] block; `count` [2, w] blocks stacked as a packed [2 count, w]
 * (StatsReduceProgram's layers), read as [2, count w]; or the sample region of a stage-1 output.
 */
export type ConcatPiece =
  | { kind: 'block'; width: number }
  | { kind: 'rows'; count: number; width: number }
  | { kind: 'window'; rowBase: number; texelsPerRow: number; texels: number };

/** Columns a piece contributes. */
export function pieceWidth(p: ConcatPiece): number {
  return p.kind === 'block' ? p.width : p.kind === 'rows' ? p.count * p.width : 2 * p.texels;
}

/**
 * The output of a `fold`-fold concatenation of `total` columns: packed [2 fold, width], the [2, total] block cut
 * into `fold` runs of `width` (even) columns, run f in rows 2 f, 2 f + 1 (the last run zero-padded).
 */
export function foldedShape(total: number, fold: number): [number, number] {
  return [2 * fold, 2 * Math.ceil(total / (2 * fold))];
}

/** Flat [2, total] values (row 0, then row 1) from the row-major values of a `fold`-fold output (foldedShape). */
export function unfold(values: Float32Array, total: number, fold: number): Float32Array {
  if (fold === 1) return values;
  const width = foldedShape(total, fold)[1];
  const out = new Float32Array(2 * total);
  for (let f = 0; f < fold; f++) {
    const n = Math.min(width, total - f * width);
    if (n <= 0) break;
    for (let r = 0; r < 2; r++) out.set(values.subarray((2 * f + r) * width, (2 * f + r) * width + n), r * total + f * width);
  }
  return out;
}

/**
 * Texel-by-texel concatenation of [2, even] pieces into a packed [2, total] block, or with `fold` > 1 into its
 * folded form (foldedShape): SwiftShader hands each thread whole rows of 2x2 quads, so an output one texel high
 * runs on one thread with half of every quad idle (the final concatenation of a measured step, ~0.5 ms at depth 8).
 */
export class ConcatColumnsProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(pieces: ConcatPiece[], fold = 1) {
    const widths = pieces.map(pieceWidth);
    if (widths.some((w) => w % 2)) throw new Error(`ConcatColumnsProgram: piece widths must be even, got [${widths}]`);
    this.variableNames = pieces.map((_, i) => `T${i}`);
    const total = widths.reduce((a, b) => a + b, 0);
    const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
    const fetch = (p: ConcatPiece, i: number) => {
      const local = `(c - ${offsets[i]})`;
      if (p.kind === 'block') return `return getT${i}(0, ${local});`;
      if (p.kind === 'rows') return `int k = ${local} / ${p.width}; return getT${i}(2 * k, ${local} - k * ${p.width});`;
      return `int m = ${local} / 2; int q = m / ${p.texelsPerRow}; return getT${i}(${p.rowBase} + 2 * q, 2 * (m - q * ${p.texelsPerRow}));`;
    };
    // The texel of column c (even or odd: samplers round down to the texel) from the piece holding it.
    const chain = pieces.map((p, i) => (i === pieces.length - 1 ? `{ ${fetch(p, i)} }` : `if (c < ${offsets[i] + widths[i]}) { ${fetch(p, i)} }`)).join('\n        ');
    this.outputShape = fold === 1 ? [2, total] : foldedShape(total, fold);
    const width = this.outputShape[1];
    this.userCode = `
      vec4 nlTexel(int c) {
        ${chain}
      }
      void main() {
        ivec2 o = getOutputCoords();
        int c = (o.x / 2) * ${width} + o.y;
        setOutput(c < ${total} ? nlTexel(c) : vec4(0.0));
      }
    `;
  }
}
