/**
 * The one reduction of the BatchNorm backward: per column of packed [rows, channels] X and DY, sum(dy) (the beta
 * gradient) and sum(dy * xhat) with xhat = (x - mean) * inversesqrt(var + eps) (the gamma gradient), both in one
 * walk down the column, two rows per fetch. Output packed [2, channels] like MomentsProgram's: row 0 the sums of
 * dy, row 1 the sums of dy * xhat. Accumulated in blocks of 64 row pairs (float32 error grows with the block
 * length plus the number of blocks). Uniform: `eps`.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { columnPairSums } from './shaderSnippets';

/** Column sums of DY and DY * xhat from X, DY and the batch statistics ST, packed [2, cols]. */
export class BatchNormGradSumsProgram implements GPGPUProgram {
  variableNames = ['X', 'DY', 'ST'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [{ name: 'eps', type: 'float' }];
  userCode: string;

  constructor(rows: number, cols: number) {
    this.outputShape = [2, cols];
    const sums = columnPairSums(
      rows,
      `vec4 d = getDY(r, c);
          vec4 dx = d * (getX(r, c) - mean4) * inv4;
          p1 += d.xy + d.zw;
          p2 += dx.xy + dx.zw;`,
      (last) => `vec2 dl = getDY(${last}, c).xy; p1 += dl; p2 += dl * (getX(${last}, c).xy - st.xy) * inv4.xy;`,
    );
    this.userCode = `
      void main() {
        int c = getOutputCoords().y;
        vec4 st = getST(0, c);
        vec4 mean4 = st.xyxy;
        vec4 inv4 = inversesqrt(st.zw + eps).xyxy;
        ${sums}
        bool c1 = c + 1 < ${cols};
        setOutput(vec4(s1.x, c1 ? s1.y : 0.0, s2.x, c1 ? s2.y : 0.0));
      }
    `;
  }
}
