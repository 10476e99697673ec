/**
 * Backward of MomentsProgram: dx = dmean / n + dvar * 2 (x - mean) / n for x packed [rows, cols], with the
 * gradients of both statistics and the statistics themselves packed [2, cols] as the forward wrote them (one
 * texel fetch gives mean, dmean and dvar for two columns).
 */
import type { GPGPUProgram } from '@tensorflow/tfjs-backend-webgl';
import { glslFloat, insideSnippet } from './shaderSnippets';

/** dX from the gradients DS of MomentsProgram's output ST. */
export class MomentsGradProgram implements GPGPUProgram {
  variableNames = ['X', 'DS', 'ST'];
  packedInputs = true;
  packedOutput = true;
  outputShape: number[];
  userCode: string;

  constructor(rows: number, cols: number) {
    this.outputShape = [rows, cols];
    this.userCode = `
      ${insideSnippet(rows, cols)}
      void main() {
        ivec2 rc = getOutputCoords();
        vec4 ds = getDS(0, rc.y);
        vec4 st = getST(0, rc.y);
        vec4 dx = ds.xyxy * ${glslFloat(1 / rows)} + ds.zwzw * ${glslFloat(2 / rows)} * (getX(rc.x, rc.y) - st.xyxy);
        setOutput(mix(vec4(0.0), dx, nlInside(rc)));
      }
    `;
  }
}
