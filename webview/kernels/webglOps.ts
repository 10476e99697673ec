/**
 * `webglOps`: the probe's hot operations on tfjs-backend-webgl with NormLens' own programs (this folder, one
 * program per `*_gpu.ts` file), held to `plainOps` (core/probe/ops.ts) by test/webgl:
 * - dense: matmul, bias and activation (SELU, tanh, ReLU, leaky ReLU, ELU, sigmoid) in one pass, or in two when the
 *   statistics need the pre-activation; backward: one derivative pass, two matMuls, one column sum (denseOp.ts);
 * - dropout / alpha dropout: the mask regenerated in the shader from the same counter hash as the CPU path;
 * - moments: one pass per feature (shifted sums), used by Layer / Group / Instance Norm and Batch Renorm;
 * - batchNorm (training mode, affine and running statistics included): moments + one normalize pass forward, one
 *   reduction + one elementwise pass backward, the closed-form gradient (batchNormOp.ts);
 * - statistics: every layer's numbers and samples, read back once per sample point.
 *
 * On any other backend (or WebGL 1, which lacks the uint arithmetic of the hash) every op is plainOps', so the
 * engine can take webglOps unconditionally. Convolutions are plainOps' in both cases.
 */
import { plainOps, type ProbeOps } from '../../core/probe/ops';
import { webglBatchNorm } from './batchNormOp';
import { denseFused, denseKeepingPre, fusable, linear } from './denseOp';
import { hashAlphaDropout, hashDropout } from './dropoutOp';
import { webglMoments } from './momentsOp';
import { activeWebGL2 } from './runProgram';
import { webglStatistics } from './statisticsOp';

/** The WebGL implementation of ProbeOps (see the file comment). */
export const webglOps: ProbeOps = {
  name: 'webgl',
  dense(x, kernel, bias, activation, wantPre) {
    if (!activeWebGL2() || !fusable(activation)) return plainOps.dense(x, kernel, bias, activation, wantPre);
    if (activation.name === 'linear') {
      const pre = linear(x, kernel, bias);
      return { pre: wantPre ? pre : null, post: pre };
    }
    return wantPre ? denseKeepingPre(x, kernel, bias, activation) : { pre: null, post: denseFused(x, kernel, bias, activation) };
  },
  conv: plainOps.conv,
  dropout(x, rate, seed) {
    if (rate <= 0) return x;
    if (!activeWebGL2() || rate >= 1 || x.size === 0) return plainOps.dropout(x, rate, seed);
    return hashDropout(x, rate, seed);
  },
  alphaDropout(x, rate, seed) {
    if (rate <= 0) return x;
    if (!activeWebGL2() || x.size === 0) return plainOps.alphaDropout(x, rate, seed);
    return hashAlphaDropout(x, rate, seed);
  },
  moments(x, axes) {
    if (!activeWebGL2() || x.size === 0 || x.dtype !== 'float32') return plainOps.moments(x, axes);
    return webglMoments(x, axes);
  },
  batchNorm(x, gamma, beta, eps, running) {
    if (!activeWebGL2() || x.size === 0 || x.dtype !== 'float32') return plainOps.batchNorm(x, gamma, beta, eps, running);
    return webglBatchNorm(x, gamma, beta, eps, running);
  },
  statistics(request) {
    if (!activeWebGL2() || request.layers.some((l) => l.pre.size === 0)) return plainOps.statistics(request);
    return webglStatistics(request);
  },
};

/** The renderer string of the active WebGL context (SwiftShader in CI and headless Chromium), or null. */
export function webglRenderer(): string | null {
  const backend = activeWebGL2();
  if (!backend) return null;
  const gl = backend.gpgpu.gl;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
}
