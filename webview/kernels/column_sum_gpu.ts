/**
 * Column sums of a packed [rows, cols] matrix into a packed [cols] vector: the bias gradient of a dense layer.
 * tfjs' sum over axis 0 transposes, unpacks and reduces (three passes); here each output texel walks its two
 * columns once, two rows per fetch.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** Column sums of packed X [rows, cols] as a packed [cols] vector. */
export class ColumnSumProgram implements GPGPUProgram {
  variableNames = ['X'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, cols: number) {
    this.outputShape = [cols];
    const evenRows = rows - (rows % 2);
    this.userCode = `
      void main() {
        int c = getOutputCoords();
        vec2 acc = vec2(0.0);
        for (int r = 0; r < ${evenRows}; r += 2) {
          vec4 v = getX(r, c);
          acc += v.xy + v.zw;
        }
        ${rows % 2 ? `acc += getX(${rows - 1}, c).xy;` : ''}
        setOutput(vec4(acc.x, c + 1 < ${cols} ? acc.y : 0.0, 0.0, 0.0));
      }
    `;
  }
}
