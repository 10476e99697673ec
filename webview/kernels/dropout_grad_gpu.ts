/**
 * Backward of DropoutProgram: dx = dy * k * scale with the same hash mask, regenerated instead of stored.
 * Uniforms: seedHash, keepThreshold, scale (as in the forward).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import type { CustomUniform } from './runProgram';
import { dropoutMaskSnippet, insideSnippet } from './shaderSnippets';

/** DY * keep * scale with the forward's hash mask. */
export class DropoutGradProgram implements GPGPUProgram {
  variableNames = ['DY'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  customUniforms: CustomUniform[] = [
    { name: 'seedHash', type: 'int' },
    { name: 'keepThreshold', type: 'int' },
    { name: 'scale', type: 'float' },
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
        setOutput(mix(vec4(0.0), getDY(rc.x, rc.y) * (k * scale), nlInside(rc)));
      }
    `;
  }
}
