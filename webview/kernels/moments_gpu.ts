/**
 * One-pass per-column mean and biased variance of a packed [rows, cols] matrix (BatchNorm's batch statistics;
 * other normalizations reach this layout by a transpose in webglOps.moments). Output: packed [2, cols], row 0 the
 * means, row 1 the variances, so one texel holds both statistics of two columns.
 *
 * Accuracy: sums of (x - s) and (x - s)^2 with the shift s = the column's first value (the shifted form of
 * E[x^2] - E[x]^2), accumulated in blocks of 64 row pairs, so neither a large mean nor a long column cancels
 * digits in float32. A negative rounding residue is clamped to 0; NaN passes through.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { columnPairSums, glslFloat } from './shaderSnippets';

/** Column means (row 0) and biased variances (row 1) of packed X [rows, cols], packed [2, cols]. */
export class MomentsProgram implements GPGPUProgram {
  variableNames = ['X'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, cols: number) {
    this.outputShape = [2, cols];
    const sums = columnPairSums(
      rows,
      `vec4 v = getX(r, c);
          vec2 a = v.xy - s;
          vec2 b = v.zw - s;
          p1 += a + b;
          p2 += a * a + b * b;`,
      (last) => `vec2 t = getX(${last}, c).xy - s; p1 += t; p2 += t * t;`,
    );
    this.userCode = `
      void main() {
        int c = getOutputCoords().y;
        vec2 s = getX(0, c).xy;
        ${sums}
        vec2 m = s1 * ${glslFloat(1 / rows)};
        vec2 mean = s + m;
        vec2 variance = s2 * ${glslFloat(1 / rows)} - m * m;
        variance = mix(variance, vec2(0.0), lessThan(variance, vec2(0.0)));
        bool c1 = c + 1 < ${cols};
        setOutput(vec4(mean.x, c1 ? mean.y : 0.0, variance.x, c1 ? variance.y : 0.0));
      }
    `;
  }
}
