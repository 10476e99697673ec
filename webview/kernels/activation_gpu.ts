/**
 * phi(h) elementwise on a packed [rows, cols] matrix: the second half of the fused dense forward (tfjs' packed
 * matMul adds the bias, this applies SELU / tanh / ... in the same packed layout, so no texture is repacked).
 * Uniform: `param` (leaky slope or elu alpha; unused otherwise).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { insideSnippet, NAN_TEST, phiSnippet, type FusedActivation } from './shaderSnippets';

/** phi(H) on a packed [rows, cols] matrix, padding zeroed. */
export class ActivationProgram implements GPGPUProgram {
  variableNames = ['H'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [{ name: 'param', type: 'float' }];
  userCode: string;

  constructor(rows: number, cols: number, activation: FusedActivation) {
    this.outputShape = [rows, cols];
    this.userCode = `
      ${NAN_TEST}
      ${phiSnippet(activation)}
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        setOutput(mix(vec4(0.0), nlPhi(getH(rc.x, rc.y)), nlInside(rc)));
      }
    `;
  }
}
