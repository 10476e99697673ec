/**
 * Training-mode BatchNorm forward in one pass over a packed [rows, channels] matrix: y = (x - mean) *
 * inversesqrt(var + eps) * gamma + beta, the statistics read from MomentsProgram's packed [2, channels] output (one
 * texel gives mean and variance of the texel's two columns). Written as (x - mean) * scale, not x * scale + shift,
 * so a large mean with a small variance cancels nothing. Uniform: `eps`. Padding of odd shapes is zeroed.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { insideSnippet } from './shaderSnippets';

/** Y from X, the batch statistics ST and (when present) gamma G and beta B, all packed. */
export class BatchNormProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [{ name: 'eps', type: 'float' }];
  userCode: string;

  constructor(rows: number, cols: number, gamma: boolean, beta: boolean) {
    this.outputShape = [rows, cols];
    this.variableNames = ['X', 'ST', ...(gamma ? ['G'] : []), ...(beta ? ['B'] : [])];
    this.userCode = `
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 st = getST(0, rc.y);
        vec2 scale = inversesqrt(st.zw + eps)${gamma ? ' * getG(rc.y).xy' : ''};
        vec4 y = (getX(rc.x, rc.y) - st.xyxy) * scale.xyxy;
        ${beta ? 'y += getB(rc.y).xyxy;' : ''}
        setOutput(mix(vec4(0.0), y, nlInside(rc)));
      }
    `;
  }
}
