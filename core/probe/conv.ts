/**
 * Convolution as a sum of matmuls, one per kernel tap: y = sum_(i,j) shift_(i,j)(x) . W[i, j], with the shifts taken
 * by differentiable slices (strides by slice + reshape: tfjs-core registers no StridedSlice gradient).
 *
 * Why not tf.conv2d: on the tfjs CPU backend its filter gradient (Conv2DBackpropFilter) is a naive loop, measured
 * at ~14 MFLOP/s; this form runs the same step 3-4x faster on CPU and equals tf.conv2d within float32 rounding
 * (test/unit/probeNetwork.test.ts). Padding follows tfjs / Keras: 'same' puts the extra row / column at the end.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ConvPlan } from './plan';

/** `count` elements of `axis` from `start` every `step` (differentiable: slice, pad and reshape only). */
function take(x: tf.Tensor, axis: number, start: number, count: number, step: number): tf.Tensor {
  const begin = x.shape.map(() => 0);
  const size = x.shape.map(() => -1);
  begin[axis] = start;
  if (step === 1) {
    size[axis] = count;
    return tf.slice(x, begin, size);
  }
  let y = x;
  const need = start + count * step;
  if (need > x.shape[axis]) {
    const pad = x.shape.map(() => [0, 0] as [number, number]);
    pad[axis] = [0, need - x.shape[axis]];
    y = tf.pad(x, pad);
  }
  size[axis] = count * step;
  y = tf.slice(y, begin, size);
  const split = [...x.shape.slice(0, axis), count, step, ...x.shape.slice(axis + 1)];
  const first = split.map(() => -1);
  first[axis + 1] = 1;
  return tf.reshape(tf.slice(tf.reshape(y, split), split.map(() => 0), first), [...x.shape.slice(0, axis), count, ...x.shape.slice(axis + 1)]);
}

/** (before, after) padding of one spatial dim for the plan's padding and output size. */
function padsOf(n: number, k: number, s: number, d: number, out: number, padding: ConvPlan['padding'], i: number): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') {
    const total = Math.max((out - 1) * s + (k - 1) * d + 1 - n, 0);
    return [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return [padding[i], padding[i]];
}

/** One group: x [N, H, W, C], w [kh, kw, C, O] -> [N, Ho, Wo, O]. */
function conv2dBySlices(x: tf.Tensor4D, w: tf.Tensor4D, c: ConvPlan2d, out: [number, number]): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [n, h, wd] = x.shape;
  const ph = padsOf(h, kh, c.stride[0], c.dilation[0], out[0], c.padding, 0);
  const pw = padsOf(wd, kw, c.stride[1], c.dilation[1], out[1], c.padding, 1);
  const xp = ph[0] || ph[1] || pw[0] || pw[1] ? tf.pad(x, [[0, 0], ph, pw, [0, 0]]) : x;
  const rows = n * out[0] * out[1];
  const terms: tf.Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    const band = take(xp, 1, i * c.dilation[0], out[0], c.stride[0]);
    for (let j = 0; j < kw; j++) {
      const patch = tf.reshape(take(band, 2, j * c.dilation[1], out[1], c.stride[1]), [rows, ci]);
      terms.push(tf.matMul(patch, tf.reshape(tf.slice(w, [i, j, 0, 0], [1, 1, ci, co]), [ci, co])));
    }
  }
  return tf.reshape(terms.length === 1 ? terms[0] : tf.addN(terms), [n, out[0], out[1], co]);
}

interface ConvPlan2d {
  stride: number[];
  dilation: number[];
  padding: ConvPlan['padding'];
}

/**
 * conv1d (x [N, L, C], kernel [k, C/g, O]) or conv2d (x [N, H, W, C], kernel [kh, kw, C/g, O]) with groups,
 * producing `outSpatial`; 1-d runs as 2-d over a [1, L] image.
 */
export function convBySlices(x: tf.Tensor, kernel: tf.Tensor, c: ConvPlan, outSpatial: number[]): tf.Tensor {
  const one = c.dims === 1;
  const x4 = (one ? tf.expandDims(x, 1) : x) as tf.Tensor4D;
  const w4 = (one ? tf.expandDims(kernel, 0) : kernel) as tf.Tensor4D;
  const c2: ConvPlan2d = one
    ? { stride: [1, c.stride[0]], dilation: [1, c.dilation[0]], padding: typeof c.padding === 'string' ? c.padding : [0, c.padding[0]] }
    : c;
  const out: [number, number] = one ? [1, outSpatial[0]] : [outSpatial[0], outSpatial[1]];
  let y: tf.Tensor4D;
  if (c.groups === 1) y = conv2dBySlices(x4, w4, c2, out);
  else {
    const xs = tf.split(x4, c.groups, 3);
    const ws = tf.split(w4, c.groups, 3);
    y = tf.concat(xs.map((xi, g) => conv2dBySlices(xi as tf.Tensor4D, ws[g] as tf.Tensor4D, c2, out)), 3);
  }
  return one ? tf.squeeze(y, [1]) : y;
}
