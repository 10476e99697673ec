/**
 * GLSL ES 3.0 pieces shared by the NormLens WebGL programs: the counter-based dropout hash (the GLSL twin of
 * core/probe/rng.ts `hashUniform`), activations and their derivatives on vec4 texels, a NaN test that no compiler
 * can fold away, and the packed-texel bounds mask.
 *
 * Constants that never change per call (SELU's alpha and lambda) are GLSL literals; everything that does (slopes,
 * rates, seeds) is a uniform declared by the program that uses it.
 */
import { SELU_ALPHA, SELU_LAMBDA } from '../../core/theory/selu';

/** Activations with a fused forward and a derivative computable from the output alone (ProbeActivation names). */
export type FusedActivation = 'linear' | 'relu' | 'leaky_relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid';

const FUSED: ReadonlySet<string> = new Set<FusedActivation>(['linear', 'relu', 'leaky_relu', 'elu', 'selu', 'tanh', 'sigmoid']);

/** Whether `name` has fused kernels (others fall back to stock tfjs compositions). */
export function isFusedActivation(name: string): name is FusedActivation {
  return FUSED.has(name);
}

/** A float literal GLSL accepts (always with a decimal point or exponent), rounding like Math.fround does. */
export function glslFloat(v: number): string {
  const s = String(Math.fround(v));
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/**
 * IEEE NaN test by bits. tfjs only installs its bitwise isnan when WEBGL2_ISNAN_CUSTOM is on; the builtin may be
 * folded to false by a driver that assumes finite math, so our reductions use this one.
 */
export const NAN_TEST = `
  bool nlIsNan(float v) { return (floatBitsToUint(v) & 0x7fffffffu) > 0x7f800000u; }
  bvec2 nlIsNan(vec2 v) { return bvec2(nlIsNan(v.x), nlIsNan(v.y)); }
  bvec4 nlIsNan(vec4 v) { return bvec4(nlIsNan(v.x), nlIsNan(v.y), nlIsNan(v.z), nlIsNan(v.w)); }
`;

/**
 * PCG-RXS-M-XS (Jarzynski & Olano 2020), bit for bit the JS `pcgHash`: GLSL ES 3.0 uint arithmetic wraps mod 2^32
 * like Math.imul / >>> 0. `nlKeep(i)` is `hashUniform(seed, i) >= rate` evaluated on the 24-bit integer
 * (pcg(pcg(i) + pcg(seed)) >> 8) against ceil(rate * 2^24), so no float rounding of the rate can flip a mask
 * bit. Uniforms: `seedHash` (pcg(seed) as a signed int: the cast back to uint keeps the bits), `keepThreshold`.
 */
const DROPOUT_HASH_BODY = `
  uint nlPcg(uint x) {
    uint state = x * 747796405u + 2891336453u;
    uint word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
  }
  float nlKeep(int i) {
    uint h = nlPcg(nlPcg(uint(i)) + uint(seedHash)) >> 8u;
    return int(h) >= keepThreshold ? 1.0 : 0.0;
  }
`;

/**
 * The hash and `vec4 nlKeep4(ivec2 rc)`: the keep mask of the four elements a packed texel holds (row-major index
 * rc.x * cols + rc.y and its right, lower and lower-right neighbours), the one mask dropout forward and backward share.
 */
export function dropoutMaskSnippet(cols: number): string {
  return `${DROPOUT_HASH_BODY}
  vec4 nlKeep4(ivec2 rc) {
    int i = rc.x * ${cols} + rc.y;
    return vec4(nlKeep(i), nlKeep(i + 1), nlKeep(i + ${cols}), nlKeep(i + ${cols + 1}));
  }
`;
}

/**
 * `vec4 nlPhi(vec4 x)`: the activation, NaN in -> NaN out, written as core/probe/activations.ts computes it
 * (exp(x) - 1 on the negative side; tanh through exp(-2|x|) so that large |x| cannot overflow to Inf/Inf).
 * Uses the uniform `param` (leaky slope, elu alpha) where the activation has one.
 */
export function phiSnippet(act: FusedActivation): string {
  const lambda = glslFloat(SELU_LAMBDA);
  const lambdaAlpha = glslFloat(SELU_LAMBDA * SELU_ALPHA);
  const body: Record<FusedActivation, string> = {
    linear: 'return x;',
    relu: 'y = max(x, vec4(0.0));',
    leaky_relu: 'y = mix(param * x, x, greaterThan(x, vec4(0.0)));',
    elu: 'y = mix(param * (exp(min(x, vec4(0.0))) - 1.0), x, greaterThan(x, vec4(0.0)));',
    selu: `y = mix(${lambdaAlpha} * (exp(min(x, vec4(0.0))) - 1.0), ${lambda} * x, greaterThan(x, vec4(0.0)));`,
    tanh: 'vec4 e = exp(-2.0 * abs(x)); y = sign(x) * (1.0 - e) / (1.0 + e);',
    sigmoid: 'y = 1.0 / (1.0 + exp(-x));',
  };
  return `
  vec4 nlPhi(vec4 x) {
    vec4 y;
    ${body[act]}
    // Boolean mix selects without arithmetic, so an infinite unused branch cannot leak NaN (0 * Inf).
    return mix(y, x, nlIsNan(x));
  }
`;
}

/**
 * `vec4 nlDPhi(vec4 y)`: phi'(h) from the output y = phi(h), so the backward needs no pre-activation:
 * selu h<=0: lambda alpha e^h = y + lambda alpha; elu: y + alpha; tanh: 1 - y^2; sigmoid: y (1 - y);
 * relu / leaky (slope >= 0): y > 0 exactly when h > 0. At h = 0 the one-sided value tfjs' own gradients use.
 */
export function dphiSnippet(act: FusedActivation): string {
  const lambda = glslFloat(SELU_LAMBDA);
  const lambdaAlpha = glslFloat(SELU_LAMBDA * SELU_ALPHA);
  const body: Record<FusedActivation, string> = {
    linear: 'd = vec4(1.0);',
    relu: 'd = vec4(greaterThan(y, vec4(0.0)));',
    leaky_relu: 'd = mix(vec4(param), vec4(1.0), greaterThan(y, vec4(0.0)));',
    elu: 'd = mix(y + param, vec4(1.0), greaterThan(y, vec4(0.0)));',
    selu: `d = mix(y + ${lambdaAlpha}, vec4(${lambda}), greaterThan(y, vec4(0.0)));`,
    tanh: 'd = 1.0 - y * y;',
    sigmoid: 'd = y * (1.0 - y);',
  };
  return `
  vec4 nlDPhi(vec4 y) {
    vec4 d;
    ${body[act]}
    return mix(d, y, nlIsNan(y));
  }
`;
}

/**
 * `bvec4 nlInside(ivec2 rc)`: which components of the packed texel at even (row, col) `rc` lie inside a
 * [rows, cols] matrix (false for the padding of odd shapes). Padding is zeroed on output (tfjs' packed matmul reads
 * it when the shared dimension is odd) and skipped in reductions.
 */
export function insideSnippet(rows: number, cols: number): string {
  return `
  bvec4 nlInside(ivec2 rc) {
    bool c1 = rc.y + 1 < ${cols};
    bool r1 = rc.x + 1 < ${rows};
    return bvec4(true, c1, r1, c1 && r1);
  }
`;
}

/** Row pairs per partial sum of columnPairSums: the float32 error grows with the block length plus the number of blocks. */
const SUM_BLOCK_PAIRS = 64;

/**
 * GLSL: two running sums down one packed column pair `c` of a [rows, cols] matrix, two rows per texel fetch,
 * accumulated in blocks of 64 row pairs into `vec2 s1, s2` (declared here). `pair` is GLSL that adds the terms of
 * the rows `r` and `r + 1` to `p1` and `p2`; `lastRow` adds those of the odd last row (index given). Constant trip
 * counts throughout: every texel of a quad runs the same iterations. Shared by the moments and BatchNorm-gradient
 * reductions.
 */
export function columnPairSums(rows: number, pair: string, lastRow: (row: number) => string): string {
  const rowPairs = Math.floor(rows / 2);
  const blocks = Math.floor(rowPairs / SUM_BLOCK_PAIRS);
  const rest = rowPairs % SUM_BLOCK_PAIRS;
  const fold = (start: string, count: number) => `
        for (int i = 0; i < ${count}; i++) {
          int r = ${start} + 2 * i;
          ${pair}
        }`;
  return `
        vec2 s1 = vec2(0.0);
        vec2 s2 = vec2(0.0);
        vec2 p1;
        vec2 p2;
        for (int block = 0; block < ${blocks}; block++) {
          p1 = vec2(0.0);
          p2 = vec2(0.0);
          ${fold(`block * ${2 * SUM_BLOCK_PAIRS}`, SUM_BLOCK_PAIRS)}
          s1 += p1;
          s2 += p2;
        }
        p1 = vec2(0.0);
        p2 = vec2(0.0);
        ${rest ? fold(`${2 * SUM_BLOCK_PAIRS * blocks}`, rest) : ''}
        ${rows % 2 ? lastRow(rows - 1) : ''}
        s1 += p1;
        s2 += p2;`;
}
