/**
 * Dropout with a mask regenerated from the counter-based hash (so the backward needs no stored mask and every
 * backend draws the same mask): y = (x * k + dropped * (1 - k)) * scale + shift with k = hashUniform(seed, i) >= rate
 * for row-major element i. Inverted dropout: dropped 0, scale 1/(1-rate), shift 0. Alpha dropout: dropped
 * -lambda*alpha, scale a, shift b (reference.md). x * 0 keeps NaN / Inf in dropped units NaN, as PyTorch's
 * `input * mask` and the plainOps composition do.
 * Uniforms: seedHash (pcg(seed) as int), keepThreshold (ceil(rate * 2^24)), dropped, scale, shift.
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { dropoutMaskSnippet, insideSnippet } from './shaderSnippets';

/** The hash-masked affine of packed X [rows, cols] (see the file comment). */
export class DropoutProgram implements GPGPUProgram {
  variableNames = ['X'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [
    { name: 'seedHash', type: 'int' },
    { name: 'keepThreshold', type: 'int' },
    { name: 'dropped', type: 'float' },
    { name: 'scale', type: 'float' },
    { name: 'shift', type: 'float' },
  ];
  userCode: string;

  constructor(rows: number, cols: number) {
    this.outputShape = [rows, cols];
    this.userCode = `
      ${dropoutMaskSnippet(cols)}
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 k = nlKeep4(rc);
        vec4 y = (getX(rc.x, rc.y) * k + dropped * (1.0 - k)) * scale + shift;
        setOutput(mix(vec4(0.0), y, nlInside(rc)));
      }
    `;
  }
}
