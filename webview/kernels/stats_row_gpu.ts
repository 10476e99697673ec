/**
 * One row of a packed [2, cols] statistics matrix (MomentsProgram's or BatchNormGradSumsProgram's layout) as a
 * packed [cols] vector: the gamma and beta gradients of the fused BatchNorm, without tfjs' slice + reshape.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** Row `row` (0 or 1) of packed S [2, cols] as packed [cols]. */
export class StatsRowProgram implements GPGPUProgram {
  variableNames = ['S'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(cols: number, row: 0 | 1) {
    this.outputShape = [cols];
    this.userCode = `
      void main() {
        int c = getOutputCoords();
        vec2 v = getS(0, c).${row === 0 ? 'xy' : 'zw'};
        setOutput(vec4(v.x, c + 1 < ${cols} ? v.y : 0.0, 0.0, 0.0));
      }
    `;
  }
}
