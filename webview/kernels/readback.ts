/**
 * Reading a packed [rows, cols] tensor back without tfjs' decode pass. tfjs' `data()` first runs a program that
 * unpacks the texture into a dense one, then copies that into a pixel buffer; the statistics readback is one such
 * read per sample point. Here the packed texture itself goes into the pixel buffer (each RGBA texel holds a 2x2
 * block: rows 2i, 2i + 1 x columns 2j, 2j + 1) and the blocks are put in row-major order in JavaScript, so the
 * GPU runs one pass less. The calls are GPGPUContext's own (the ones `data()` uses): the pixel buffer, the fence
 * polled on timers, the download.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeWebGL2 } from './runProgram';

/**
 * Whether readPacked can read `t`: a packed float32 matrix on the WebGL 2 backend whose texture has its own shape
 * (no squarified or sliced layout) with even sides.
 */
export function canReadPacked(t: tf.Tensor): boolean {
  const backend = activeWebGL2();
  if (!backend || t.rank !== 2 || t.dtype !== 'float32') return false;
  // Half-float textures and no pixel buffers: tfjs' own read converts.
  if (!tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') || !tf.env().getBool('WEBGL_BUFFER_SUPPORTED')) return false;
  const d = backend.texData.get(t.dataId);
  const [rows, cols] = t.shape as [number, number];
  return d.isPacked === true && d.texture != null && d.slice == null && d.texShape?.[0] === rows && d.texShape?.[1] === cols && rows % 2 === 0 && cols % 2 === 0;
}

/** The row-major values of `t` (canReadPacked), as `t.data()` would give them. */
export async function readPacked(t: tf.Tensor2D): Promise<Float32Array> {
  const backend = activeWebGL2() as NonNullable<ReturnType<typeof activeWebGL2>>;
  const [rows, cols] = t.shape;
  const [texRows, texCols] = [rows / 2, cols / 2];
  const gpgpu = backend.gpgpu;
  const texture = backend.texData.get(t.dataId).texture as NonNullable<ReturnType<typeof backend.texData.get>['texture']>;
  const buffer = gpgpu.createBufferFromTexture(texture.texture, texRows, texCols);
  try {
    await gpgpu.createAndWaitForFence();
    const texels = gpgpu.downloadFloat32MatrixFromBuffer(buffer, 4 * texRows * texCols);
    return texelsToRowMajor(texels, rows, cols);
  } finally {
    gpgpu.gl.deleteBuffer(buffer);
  }
}

/** Row-major [rows, cols] values from packed RGBA texels (texel (i, j): rows 2i, 2i + 1 x columns 2j, 2j + 1). */
export function texelsToRowMajor(texels: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  const texCols = cols / 2;
  for (let i = 0; i < rows / 2; i++) {
    const top = 2 * i * cols;
    for (let j = 0; j < texCols; j++) {
      const k = 4 * (i * texCols + j);
      out[top + 2 * j] = texels[k];
      out[top + 2 * j + 1] = texels[k + 1];
      out[top + cols + 2 * j] = texels[k + 2];
      out[top + cols + 2 * j + 1] = texels[k + 3];
    }
  }
  return out;
}
