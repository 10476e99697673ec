/**
 * dh = dy * phi'(h) on packed [rows, cols] matrices, with phi' computed from the layer output y = phi(h)
 * (shaderSnippets.ts `dphiSnippet`): the whole activation backward of the fused dense layer in one pass, before
 * the two matmuls (dX = dh W^T, dW = X^T dh) and the bias column sum.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { dphiSnippet, insideSnippet, NAN_TEST, type FusedActivation } from './shaderSnippets';

/** DY * phi'(Y) on packed [rows, cols] matrices, phi' read from the output Y. */
export class ActivationGradProgram implements GPGPUProgram {
  variableNames = ['DY', 'Y'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [{ name: 'param', type: 'float' }];
  userCode: string;

  constructor(rows: number, cols: number, activation: FusedActivation) {
    this.outputShape = [rows, cols];
    this.userCode = `
      ${NAN_TEST}
      ${dphiSnippet(activation)}
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 dh = getDY(rc.x, rc.y) * nlDPhi(getY(rc.x, rc.y));
        setOutput(mix(vec4(0.0), dh, nlInside(rc)));
      }
    `;
  }
}
