/**
 * A scalar as a packed [2, 2] block of four copies: the loss as the first piece of the statistics concatenation
 * (statisticsOp.ts). One pass reading the scalar in whichever layout it already has, where tfjs' reshape + tile
 * (an unpacked program) cost an unpack, the tile and a pack (three passes, ~0.5 ms of a measured step on
 * SwiftShader at depth 8).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';

/** Scalar X (packed or not, as `packedInput` says) as packed [2, 2], every element X. */
export class ScalarBlockProgram implements GPGPUProgram {
  variableNames = ['X'];
  packedInputs: boolean;
  packedOutput = true;
  outputShape = [2, 2];
  userCode: string;

  constructor(packedInput: boolean) {
    this.packedInputs = packedInput;
    this.userCode = `
      void main() {
        setOutput(vec4(getX()${packedInput ? '.x' : ''}));
      }
    `;
  }
}
