/**
 * phi(x W + b) in ONE pass for x packed [rows, in], W packed [in, out], b packed [out]: tfjs' packed matmul
 * inner loop (two shared indices per fetch pair, the 2x2 texel products summed separately as tfjs does for
 * precision) with the bias and the activation in its epilogue. Used for the training steps between sample points,
 * where the probe needs no pre-activation; at sample points the statistics need `pre`, and the dense layer runs as
 * tfjs' fused matMul (bias) + ActivationProgram instead. The padding of odd shapes is zeroed on output and an odd
 * shared dimension is closed by a half step, so garbage in an input's padding cannot leak in.
 * Uniform: `param` (leaky slope or elu alpha).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { insideSnippet, NAN_TEST, phiSnippet, type FusedActivation } from './shaderSnippets';

/** phi(A B + BIAS) in one pass, packed [rows, cols] (see the file comment). */
export class DenseProgram implements GPGPUProgram {
  variableNames: string[];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [{ name: 'param', type: 'float' }];
  userCode: string;

  constructor(rows: number, shared: number, cols: number, activation: FusedActivation, bias: boolean) {
    this.variableNames = ['A', 'B', ...(bias ? ['BIAS'] : [])];
    this.outputShape = [rows, cols];
    const pairs = Math.floor(shared / 2);
    this.userCode = `
      ${NAN_TEST}
      ${phiSnippet(activation)}
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 acc = vec4(0.0);
        for (int i = 0; i < ${pairs}; i++) {
          vec4 a = getA(rc.x, 2 * i);
          vec4 b = getB(2 * i, rc.y);
          acc += a.xxzz * b.xyxy;
          acc += a.yyww * b.zwzw;
        }
        ${
          shared % 2
            ? `vec4 a = getA(rc.x, ${shared - 1});
        vec4 b = getB(${shared - 1}, rc.y);
        acc += a.xxzz * b.xyxy;`
            : ''
        }
        ${bias ? 'vec2 bias = getBIAS(rc.y).xy; acc += vec4(bias, bias);' : ''}
        setOutput(mix(vec4(0.0), nlPhi(acc), nlInside(rc)));
      }
    `;
  }
}
