/**
 * The elementwise pass of the BatchNorm backward, the closed form of the gradient through the batch statistics:
 * dx = gamma * inv * (dy - sum(dy) / n - xhat * sum(dy * xhat) / n), inv = inversesqrt(var + eps),
 * xhat = (x - mean) * inv, with both sums from BatchNormGradSumsProgram (one texel fetch each for two columns).
 * Uniform: `eps`. Padding of odd shapes is zeroed.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { glslFloat, insideSnippet } from './shaderSnippets';

/** dX from X, DY, the batch statistics ST, the column sums S and (when present) gamma G. */
export class BatchNormGradProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [{ name: 'eps', type: 'float' }];
  userCode: string;

  constructor(rows: number, cols: number, gamma: boolean) {
    this.outputShape = [rows, cols];
    this.variableNames = ['X', 'DY', 'ST', 'S', ...(gamma ? ['G'] : [])];
    this.userCode = `
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 st = getST(0, rc.y);
        vec4 s = getS(0, rc.y) * ${glslFloat(1 / rows)};
        vec2 inv = inversesqrt(st.zw + eps);
        vec4 xhat = (getX(rc.x, rc.y) - st.xyxy) * inv.xyxy;
        vec2 scale = inv${gamma ? ' * getG(rc.y).xy' : ''};
        vec4 dx = scale.xyxy * (getDY(rc.x, rc.y) - s.xyxy - xhat * s.zwzw);
        setOutput(mix(vec4(0.0), dx, nlInside(rc)));
      }
    `;
  }
}
