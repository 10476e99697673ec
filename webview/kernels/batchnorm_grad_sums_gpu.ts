/**
 * The one reduction of the BatchNorm backward: per column of packed [rows, channels] X and DY, sum(dy) (the beta
 * gradient) and sum(dy * xhat) with xhat = (x - mean) * inversesqrt(var + eps) (the gamma gradient), both in one
 * walk down the column, two rows per fetch. Output packed [2, channels] like MomentsProgram's: row 0 the sums of
 * dy, row 1 the sums of dy * xhat. Accumulated in blocks of 64 row pairs (float32 error grows with the block
 * length plus the number of blocks). Uniform: `eps`.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';

const BLOCK_PAIRS = 64;

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
    const rowPairs = Math.floor(rows / 2);
    const blocks = Math.floor(rowPairs / BLOCK_PAIRS);
    const rest = rowPairs % BLOCK_PAIRS;
    // Constant trip counts: every texel of a quad runs the same iterations.
    const fold = (start: string, count: number) => `
          for (int i = 0; i < ${count}; i++) {
            int r = ${start} + 2 * i;
            vec4 d = getDY(r, c);
            vec4 dx = d * (getX(r, c) - mean4) * inv4;
            p1 += d.xy + d.zw;
            p2 += dx.xy + dx.zw;
          }`;
    this.userCode = `
      void main() {
        int c = getOutputCoords().y;
        vec4 st = getST(0, c);
        vec4 mean4 = st.xyxy;
        vec4 inv4 = inversesqrt(st.zw + eps).xyxy;
        vec2 s1 = vec2(0.0);
        vec2 s2 = vec2(0.0);
        vec2 p1;
        vec2 p2;
        for (int block = 0; block < ${blocks}; block++) {
          p1 = vec2(0.0);
          p2 = vec2(0.0);
          ${fold(`block * ${2 * BLOCK_PAIRS}`, BLOCK_PAIRS)}
          s1 += p1;
          s2 += p2;
        }
        p1 = vec2(0.0);
        p2 = vec2(0.0);
        ${rest ? fold(`${2 * BLOCK_PAIRS * blocks}`, rest) : ''}
        ${rows % 2 ? `vec2 dl = getDY(${rows - 1}, c).xy; p1 += dl; p2 += dl * (getX(${rows - 1}, c).xy - st.xy) * inv4.xy;` : ''}
        s1 += p1;
        s2 += p2;
        bool c1 = c + 1 < ${cols};
        setOutput(vec4(s1.x, c1 ? s1.y : 0.0, s2.x, c1 ? s2.y : 0.0));
      }
    `;
  }
}
