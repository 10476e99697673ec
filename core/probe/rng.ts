/**
 * Seeded random numbers for the probe. Our own generators, not Math.random and not tfjs' seedrandom, so that a
 * probe is reproducible from its seed alone on every backend and a GPU kernel can regenerate the same dropout
 * masks bit for bit.
 *
 * - `Rng`: xoshiro128** (Blackman & Vigna) seeded through splitmix32; sequential draws for initial weights and
 *   the synthetic data. Normals by Box-Muller in float64.
 * - `hashUniform`: counter-based, u_i = (pcg(pcg(i) + pcg(seed)) >>> 8) * 2^-24 with the PCG hash of Jarzynski &
 *   Olano (JCGT 2020), so element i of a dropout mask needs no state and a GLSL ES 3.0 shader (uint arithmetic
 *   wraps mod 2^32) computes the same bits. Hashing i before adding the seed hash keeps the streams of different
 *   seeds from being shifted copies of each other (they would be with pcg(i + pcg(seed))); a single lowbias32 of
 *   seed ^ i was rejected: nearly linear in small i (u_2 = 2 u_1 for seed 0).
 */

const TWO_POW_M24 = 1 / 16777216;

/** PCG-RXS-M-XS 32-bit hash (Jarzynski & Olano 2020, "Hash Functions for GPU Rendering"). */
export function pcgHash(x: number): number {
  const state = (Math.imul(x >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul((state >>> ((state >>> 28) + 4)) ^ state, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** Uniform in [0, 1) with 24 bits for element `index` of the stream named by `seed` (exact in float32). */
export function hashUniform(seed: number, index: number): number {
  return (pcgHash((pcgHash(index) + pcgHash(seed)) >>> 0) >>> 8) * TWO_POW_M24;
}

/** A uint32 seed derived from a base seed and a path of integer keys (purpose, step, layer). */
export function deriveSeed(seed: number, ...keys: number[]): number {
  let h = pcgHash((seed ^ 0x9e3779b9) >>> 0);
  for (const k of keys) h = pcgHash((h + pcgHash(k >>> 0)) >>> 0);
  return h;
}

/** Sequential seeded generator (xoshiro128**). */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    // splitmix32 expands the seed so that nearby seeds give unrelated states (and the state is never all zero).
    let z = seed >>> 0;
    const next = () => {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      return (t ^ (t >>> 15)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Standard normal conditioned on [lo, hi] by rejection (as TensorFlow's truncated_normal resamples). */
  truncatedNormal(lo: number, hi: number): number {
    for (let i = 0; i < 10000; i++) {
      const z = this.normal();
      if (z >= lo && z <= hi) return z;
    }
    // Only reachable for a window far in a tail; its nearer edge is the limit of the conditional law.
    return Math.abs(lo) < Math.abs(hi) ? lo : hi;
  }

  fillUniform(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  fillNormal(n: number, mean: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** `count` distinct indices in [0, n), sorted (all of them when count >= n): Floyd's sampling. */
export function sampleIndices(n: number, count: number, rng: Rng): Int32Array {
  if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const chosen = new Set<number>();
  for (let j = n - count; j < n; j++) {
    const t = rng.int(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return Int32Array.from([...chosen].sort((a, b) => a - b));
}

/**
 * `count` sample indices of a [rows, units] row-major tensor as distinct 2x2 blocks (count / 4 of them, all when
 * there are fewer), each listed as [i, i + 1, i + units, i + units + 1] with i at an even row and column, blocks
 * in index order. Null when the tensor has no whole blocks or `count` is no multiple of 4: use sampleIndices.
 * Why blocks: a packed WebGL texture holds exactly such a block per texel, so the statistics pass fetches one
 * texel per four samples instead of one per sample (its costliest part, random access, on SwiftShader); the
 * blocks are still spread over the whole batch and all units.
 */
export function sampleQuadIndices(rows: number, units: number, count: number, rng: Rng): Int32Array | null {
  if (rows % 2 || units % 2 || count % 4 || !rows || !units) return null;
  const across = units / 2;
  const blocks = sampleIndices((rows / 2) * across, count / 4, rng);
  const out = new Int32Array(4 * blocks.length);
  blocks.forEach((b, k) => {
    const i = 2 * Math.floor(b / across) * units + 2 * (b % across);
    out.set([i, i + 1, i + units, i + units + 1], 4 * k);
  });
  return out;
}
