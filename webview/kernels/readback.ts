/**
 * Reading a packed [rows, cols] tensor back without tfjs' decode pass. tfjs' `data()` first runs a program that
 * unpacks the texture into a dense one, then copies that into a pixel buffer; the statistics readback is one such
 * read per sample point. Here the packed texture itself goes into the pixel buffer (each RGBA texel holds a 2x2
 * block: rows 2i, 2i + 1 x columns 2j, 2j + 1) and the blocks are put in row-major order in JavaScript, so the
 * GPU runs one pass less. The calls are GPGPUContext's own (the ones `data()` uses): the pixel buffer, the fence
 * polled on timers, the download. readTexelRows reads several textures (or their lower rows) into one buffer with
 * one fence: the statistics of a measured step come back that way without being concatenated first.
 */
import * as tf from '@tensorflow/tfjs-core';
import { activeWebGL2 } from './runProgram';

/**
 * The texture of packed matrix `t` and its size in texels, when its texels can be read as they lie: a packed
 * float32 matrix on the WebGL 2 backend, on the GPU, whose texture has its own shape (odd sides rounded up; no
 * squarified or sliced layout). Null otherwise (half-float textures and no pixel buffers included: tfjs' own read converts).
 */
export function texelLayout(t: tf.Tensor): { texture: WebGLTexture; texRows: number; texCols: number } | null {
  const backend = activeWebGL2();
  if (!backend || t.rank !== 2 || t.dtype !== 'float32' || !floatReadable()) return null;
  const d = backend.texData.get(t.dataId);
  const [rows, cols] = t.shape as [number, number];
  // tfjs gives a packed matrix a texture of its shape, odd sides rounded up (whole 2x2 texels).
  const even = (n: number) => n + (n % 2);
  if (d.isPacked !== true || d.texture == null || d.slice != null || d.texShape?.[0] !== even(rows) || d.texShape?.[1] !== even(cols)) return null;
  return { texture: d.texture.texture, texRows: Math.ceil(rows / 2), texCols: Math.ceil(cols / 2) };
}

/**
 * The texture holding float32 scalar `t` on the GPU, when element 0 can be read as it lies: channel 0 of texel
 * (0, 0), packed or not (no slice offset). Null otherwise.
 */
export function scalarTexture(t: tf.Tensor): WebGLTexture | null {
  const backend = activeWebGL2();
  if (!backend || t.size !== 1 || t.dtype !== 'float32' || !floatReadable()) return null;
  const d = backend.texData.get(t.dataId);
  return d.texture != null && d.slice == null ? d.texture.texture : null;
}

function floatReadable(): boolean {
  return tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED') && tf.env().getBool('WEBGL_BUFFER_SUPPORTED');
}

/** Whether readPacked can read `t`: texelLayout, with even sides. */
export function canReadPacked(t: tf.Tensor): boolean {
  return texelLayout(t) !== null && (t.shape[0] as number) % 2 === 0 && (t.shape[1] as number) % 2 === 0;
}

/** The row-major values of `t` (canReadPacked), as `t.data()` would give them. */
export async function readPacked(t: tf.Tensor2D): Promise<Float32Array> {
  const { texture, texRows, texCols } = texelLayout(t) as NonNullable<ReturnType<typeof texelLayout>>;
  const texels = (await readTexelRows([{ texture, row0: 0, rows: texRows, width: texCols }]))[0] as Float32Array;
  return texelsToRowMajor(texels, t.shape[0], t.shape[1]);
}

/** Texel rows [row0, row0 + rows) of a texture, `width` texels each (from column 0). */
export interface TexelRows {
  texture: WebGLTexture;
  row0: number;
  rows: number;
  width: number;
}

const readFramebuffers = new WeakMap<WebGL2RenderingContext, WebGLFramebuffer>();

/**
 * Several regions of textures in ONE readback: each copied into its part of one pixel buffer (readPixels from our
 * own read framebuffer, so tfjs' framebuffer keeps its attachment), then one fence polled on tfjs' timers and one
 * download. Returns each region's RGBA texels, row-major. The copies are queued when this is called, before it
 * first awaits: the textures' tensors may be disposed as soon as it returns (GL runs commands in order).
 */
export async function readTexelRows(regions: TexelRows[]): Promise<Float32Array[]> {
  const gpgpu = (activeWebGL2() as NonNullable<ReturnType<typeof activeWebGL2>>).gpgpu;
  const gl = gpgpu.gl as WebGL2RenderingContext;
  let framebuffer = readFramebuffers.get(gl);
  if (!framebuffer) readFramebuffers.set(gl, (framebuffer = gl.createFramebuffer() as WebGLFramebuffer));
  const floats = regions.map((r) => 4 * r.rows * r.width);
  const total = floats.reduce((a, b) => a + b, 0);
  const buffer = gl.createBuffer() as WebGLBuffer;
  const previous = gl.getParameter(gl.READ_FRAMEBUFFER_BINDING) as WebGLFramebuffer | null;
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, buffer);
  gl.bufferData(gl.PIXEL_PACK_BUFFER, 4 * total, gl.STREAM_READ);
  gl.bindFramebuffer(gl.READ_FRAMEBUFFER, framebuffer);
  let offset = 0;
  regions.forEach((r, i) => {
    gl.framebufferTexture2D(gl.READ_FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, r.texture, 0);
    gl.readPixels(0, r.row0, r.width, r.rows, gl.RGBA, gl.FLOAT, 4 * offset);
    offset += floats[i];
  });
  // Nothing stays attached: tfjs may delete or reuse the textures.
  gl.framebufferTexture2D(gl.READ_FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, null, 0);
  gl.bindFramebuffer(gl.READ_FRAMEBUFFER, previous);
  gl.bindBuffer(gl.PIXEL_PACK_BUFFER, null);
  try {
    await gpgpu.createAndWaitForFence();
    const all = gpgpu.downloadFloat32MatrixFromBuffer(buffer, total);
    let at = 0;
    return floats.map((n) => all.subarray(at, (at += n)));
  } finally {
    gl.deleteBuffer(buffer);
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
