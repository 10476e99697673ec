/**
 * BatchNorm's running-statistics update in one pass: running' = keep * running + weight * batch, where batch is
 * row `row` of MomentsProgram's packed [2, cols] output (0: mean, 1: biased variance). The framework convention
 * lives in the uniforms (core/probe/ops.ts BatchNormRunning): keep = 1 - w, weight = w, times n / (n - 1) for
 * PyTorch's unbiased running variance.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';

/** keep * R + weight * row `row` of ST, packed [cols]. */
export class RunningStatsProgram implements GPGPUProgram {
  variableNames = ['ST', 'R'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [
    { name: 'keep', type: 'float' },
    { name: 'weight', type: 'float' },
  ];
  userCode: string;

  constructor(cols: number, row: 0 | 1) {
    this.outputShape = [cols];
    this.userCode = `
      void main() {
        int c = getOutputCoords();
        vec2 v = getR(c).xy * keep + getST(0, c).${row === 0 ? 'xy' : 'zw'} * weight;
        setOutput(vec4(v.x, c + 1 < ${cols} ? v.y : 0.0, 0.0, 0.0));
      }
    `;
  }
}
