import type { ConvSpec, PoolSpec } from './ir';

/**
 * Largest width NormLens takes at face value: 2^53 - 1, past which integers are not exact in a double and fans
 * multiplied together overflow. No real layer comes near it; a file that says 10^300 is not describing one.
 */
export const MAX_WIDTH = Number.MAX_SAFE_INTEGER;

/** True for a usable feature / channel count: a positive integer no larger than MAX_WIDTH. */
export function isWidth(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= MAX_WIDTH;
}

/** How a width that is not one reads in a message ("-1792", "1e+300", "0.5", "NaN"). */
export function describeBadWidth(n: number): string {
  return Number.isNaN(n) ? 'not a number' : Number.isFinite(n) ? String(n) : n > 0 ? 'infinite' : '-infinite';
}

/**
 * Output size of one spatial dimension of a convolution or pooling window.
 * - 'valid': floor((n - d*(k-1) - 1) / s) + 1
 * - 'same' : ceil(n / s) (Keras / tfjs; PyTorch only allows 'same' with stride 1, where it is n)
 * - explicit symmetric padding p (PyTorch): floor((n + 2p - d*(k-1) - 1) / s) + 1
 * Returns null when the window does not fit (a shape error the findings report) or n is unknown.
 */
export function windowOutputSize(
  n: number | null,
  kernel: number,
  stride: number,
  padding: 'valid' | 'same' | number,
  dilation = 1,
): number | null {
  if (n === null || !Number.isFinite(n) || n <= 0 || kernel <= 0 || stride <= 0) return null;
  if (padding === 'same') return Math.ceil(n / stride);
  const p = padding === 'valid' ? 0 : padding;
  const effective = dilation * (kernel - 1) + 1;
  const out = Math.floor((n + 2 * p - effective) / stride) + 1;
  return out >= 1 ? out : null;
}

function perDim(values: number[], i: number): number {
  return values.length === 1 ? values[0] : values[i];
}

function paddingAt(padding: ConvSpec['padding'], i: number): 'valid' | 'same' | number {
  return typeof padding === 'string' ? padding : perDim(padding, i);
}

/** Spatial output of a conv layer for spatial input `spatial` (one entry per spatial dim). */
export function convOutputSpatial(spatial: (number | null)[] | null, conv: ConvSpec): number[] | null {
  if (!spatial) return null;
  const out: number[] = [];
  for (let i = 0; i < spatial.length; i++) {
    const o = windowOutputSize(
      spatial[i],
      perDim(conv.kernel, i),
      perDim(conv.stride, i),
      paddingAt(conv.padding, i),
      perDim(conv.dilation, i),
    );
    if (o === null) return null;
    out.push(o);
  }
  return out;
}

/** Spatial output of a pooling layer; global pools return [] (no spatial dims left). */
export function poolOutputSpatial(spatial: (number | null)[] | null, pool: PoolSpec): number[] | null {
  if (pool.op === 'global_avg' || pool.op === 'global_max') return [];
  if (pool.op === 'adaptive_avg' || pool.op === 'adaptive_max') return pool.outputSize ?? null;
  if (!spatial) return null;
  const out: number[] = [];
  for (let i = 0; i < spatial.length; i++) {
    const o = windowOutputSize(spatial[i], perDim(pool.kernel, i), perDim(pool.stride, i), paddingAt(pool.padding, i));
    if (o === null) return null;
    out.push(o);
  }
  return out;
}

/** Receptive-field size of a conv kernel (product of kernel dims): fan_in = in_channels * this / groups. */
export function kernelVolume(conv: ConvSpec, dims: number): number {
  let v = 1;
  for (let i = 0; i < dims; i++) v *= perDim(conv.kernel, i);
  return v;
}
