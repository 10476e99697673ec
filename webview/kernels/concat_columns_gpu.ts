/**
 * Concatenation along the columns of [2, even width] pieces, texel by texel: a piece is either a whole packed
 * [2, w] block, or a WINDOW into a stage-1 statistics output: `texels` texels read row-major from texel row
 * `rowBase / 2` on, `texelsPerRow` per row (the sample region, see column_stats_gpu.ts), i.e. a [2, 2 * texels]
 * block in place. Since every width is even, a piece boundary never splits a texel and each output texel is one
 * input texel, copied (tfjs' packed concat evaluates four channel lookups per texel).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** One input of the concatenation: a whole [2, w] block, or the sample region of a stage-1 output. */
export type ConcatPiece = { kind: 'block'; width: number } | { kind: 'window'; rowBase: number; texelsPerRow: number; texels: number };

/** Columns a piece contributes. */
export function pieceWidth(p: ConcatPiece): number {
  return p.kind === 'block' ? p.width : 2 * p.texels;
}

/** Texel-by-texel concatenation of [2, even] pieces into a packed [2, total] block (see the file comment). */
export class ConcatColumnsProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(pieces: ConcatPiece[]) {
    const widths = pieces.map(pieceWidth);
    if (widths.some((w) => w % 2)) throw new Error(`ConcatColumnsProgram: piece widths must be even, got [${widths}]`);
    this.variableNames = pieces.map((_, i) => `T${i}`);
    const total = widths.reduce((a, b) => a + b, 0);
    const offsets = widths.map((_, i) => widths.slice(0, i).reduce((a, b) => a + b, 0));
    const fetch = (p: ConcatPiece, i: number) => {
      const local = `(c - ${offsets[i]})`;
      if (p.kind === 'block') return `return getT${i}(0, ${local});`;
      return `int m = ${local} / 2; int q = m / ${p.texelsPerRow}; return getT${i}(${p.rowBase} + 2 * q, 2 * (m - q * ${p.texelsPerRow}));`;
    };
    // The texel of column c (even or odd: samplers round down to the texel) from the piece holding it.
    const chain = pieces.map((p, i) => (i === pieces.length - 1 ? `{ ${fetch(p, i)} }` : `if (c < ${offsets[i] + widths[i]}) { ${fetch(p, i)} }`)).join('\n        ');
    this.outputShape = [2, total];
    this.userCode = `
      vec4 nlTexel(int c) {
        ${chain}
      }
      void main() {
        setOutput(nlTexel(getOutputCoords().y));
      }
    `;
  }
}
