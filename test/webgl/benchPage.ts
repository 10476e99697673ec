/**
 * Entry of the probe benchmark page (opened in headless Chromium by bench/probeBench.ts): exposes
 * `window.normlensBench`, whose calls time, on tfjs-backend-webgl (SwiftShader):
 * - a probe shape: the probe's step with webglOps without / with full statistics, and the stock-tfjs step with
 *   per-layer data() reads (probeSteps.ts);
 * - the backend's own tf.matMul time for the same step's products (every dense layer's forward, dX and dW);
 * - the fused SELU dense layer against tfjs' unfused matMul + add + selu, forward (in one pass, as between sample
 *   points, and in two, as at sample points where the statistics need the pre-activation) and forward + backward.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { resolveActivation } from '../../core/probe/activationSpec';
import { plainOps } from '../../core/probe/ops';
import { Rng } from '../../core/probe/rng';
import { webglOps, webglRenderer } from '../../webview/kernels/webglOps';
import { planNetwork } from '../../core/probe/plan';
import { benchConfig, benchModel, median, probeStepper, settle, stockStepper, timeSteppers, type Stepper, type StepShape, type StepTiming } from './probeSteps';

/** One benchmark shape, every kind of step timed in the same interleaved rounds. */
export interface ShapeResult {
  /** The probe's step with webglOps: bare = no statistics, full = every statistic and one readback. */
  ours: StepTiming;
  /** Stock tfjs: bare = the step, full = the step with `reads` per-layer data() reads. */
  stock: StepTiming;
  reads: number;
  /** plainOps on WebGL (the engine's stock-op path), when asked for. */
  plain: StepTiming | null;
  /** Matmul flops of one training step, and the step's matmuls alone on tf.matMul, timed in every round. */
  flops: number;
  matmulRuns: number[];
}

/** The fused SELU dense layer against tfjs' unfused ops, median ms per call. */
export interface DenseKernelResult {
  width: number;
  /** One pass (dense_gpu.ts), as in training steps. */
  oursFwdMs: number;
  /** Fused matMul + activation pass, as at sample points (pre kept). */
  oursTwoPassFwdMs: number;
  oursFwdBwdMs: number;
  stockFwdMs: number;
  stockFwdBwdMs: number;
}

/** How a shape is timed (few rounds on big shapes: a 64 x 512 step takes seconds). */
export interface StepOptions {
  /** Untimed (bare, full) pairs before timing: compiles shaders, fills texture pools. */
  warm: number;
  /** Interleaved rounds (see timeSteppers) and bare steps per round. */
  rounds: number;
  perRound: number;
  /** Also time plainOps on WebGL (the engine's stock-op path). */
  withPlain: boolean;
  /** Rounds of the stock step and plainOps (the slowest, informational only; at most `rounds`). */
  stockRounds: number;
  /** No warm-up step for the stock stepper (its shaders were compiled by an earlier shape of the same width). */
  coldStock?: boolean;
}

/**
 * Median ms per call of each variant: `rounds` rounds (after one warm-up round), each timing every
 * variant once as `reps` back-to-back calls with one synchronization, so load changes on the shared machine hit
 * all variants alike.
 */
async function timeInterleaved(variants: Record<string, () => tf.Tensor[]>, reps: number, rounds: number): Promise<Record<string, number>> {
  const times: Record<string, number[]> = {};
  for (let round = 0; round <= rounds; round++) {
    for (const [name, fn] of Object.entries(variants)) {
      const t0 = performance.now();
      const out: tf.Tensor[] = [];
      for (let i = 0; i < reps; i++) out.push(...fn());
      await settle(out[out.length - 1]);
      const ms = (performance.now() - t0) / reps;
      tf.dispose(out);
      if (round > 0) (times[name] ??= []).push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/**
 * The backend's own time for the matmuls of one training step of `s`: every dense layer's forward, dX and dW
 * products on tf.matMul, issued back to back with one synchronization at the end, as the step issues them (a
 * per-shape sample scaled up would pay the synchronization per sample and understate the throughput).
 */
async function stepMatmulMs(s: StepShape): Promise<number> {
  const plan = planNetwork(benchModel(s), benchConfig(s));
  const rng = new Rng(3);
  const operands = new Map<string, tf.Tensor2D[]>();
  for (const l of plan.layers) {
    const key = `${l.fanIn}x${l.fanOut}`;
    if (l.op !== 'dense' || operands.has(key)) continue;
    operands.set(key, [
      tf.tensor2d(rng.fillNormal(s.batch * l.fanIn, 0, 1), [s.batch, l.fanIn]),
      tf.tensor2d(rng.fillNormal(l.fanIn * l.fanOut, 0, 1 / Math.sqrt(l.fanIn)), [l.fanIn, l.fanOut]),
      tf.tensor2d(rng.fillNormal(s.batch * l.fanOut, 0, 1), [s.batch, l.fanOut]),
    ]);
  }
  await settle([...operands.values()][0][0]);
  const t0 = performance.now();
  const out: tf.Tensor[] = [];
  for (const l of plan.layers) {
    if (l.op !== 'dense') continue;
    const [x, w, dy] = operands.get(`${l.fanIn}x${l.fanOut}`) as tf.Tensor2D[];
    out.push(tf.matMul(x, w), tf.matMul(dy, w, false, true), tf.matMul(x, dy, true, false));
  }
  await settle(out[out.length - 1]);
  const ms = performance.now() - t0;
  tf.dispose(out);
  tf.dispose([...operands.values()].flat());
  return ms;
}

/** What bench/probeBench.ts calls in the page. */
export interface ProbeBenchPage {
  setup(): Promise<string | null>;
  shape(s: StepShape, opts: StepOptions): Promise<ShapeResult>;
  denseKernel(width: number, batch: number): Promise<DenseKernelResult>;
}

const api: ProbeBenchPage = {
  async setup() {
    tf.env().set('PROD', true);
    await tf.setBackend('webgl');
    return webglRenderer();
  },
  async shape(s, opts) {
    const before = tf.memory().numTensors;
    const ours = probeStepper(s, webglOps);
    const stock = stockStepper(s);
    const steppers: Record<string, Stepper> = { ours, stock };
    if (opts.withPlain) steppers.plain = probeStepper(s, plainOps);
    try {
      const { timings: t, reference } = await timeSteppers(steppers, {
        ...opts,
        roundsOf: { stock: opts.stockRounds, plain: opts.stockRounds },
        warmFull: ['ours', 'plain'],
        cold: opts.coldStock ? ['stock'] : [],
        reference: () => stepMatmulMs(s),
      });
      return { ours: t.ours, stock: t.stock, reads: stock.reads, plain: t.plain ?? null, flops: ours.flops, matmulRuns: reference };
    } finally {
      Object.values(steppers).forEach((st) => st.dispose());
      if (tf.memory().numTensors !== before) throw new Error(`benchmark leaked ${tf.memory().numTensors - before} tensors`);
    }
  },
  async denseKernel(width, batch) {
    const rng = new Rng(2);
    const x = tf.tensor2d(rng.fillNormal(batch * width, 0, 1), [batch, width]);
    const w = tf.tensor2d(rng.fillNormal(width * width, 0, 1 / Math.sqrt(width)), [width, width]);
    const b = tf.tensor1d(rng.fillNormal(width, 0, 0.1));
    const r = tf.tensor2d(rng.fillNormal(batch * width, 0, 1), [batch, width]);
    const selu = resolveActivation('selu', 'keras');
    type DenseFn = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.Tensor;
    const ours: DenseFn = (xx, ww, bb) => webglOps.dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, selu, false).post;
    const stock: DenseFn = (xx, ww, bb) => tf.selu(tf.add(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D), bb));
    const fwdBwd = (f: DenseFn) => () => tf.grads((xx, ww, bb) => tf.sum(tf.mul(f(xx, ww, bb), r)))([x, w, b]);
    const reps = width >= 512 ? 2 : width >= 256 ? 4 : 8;
    const t = await timeInterleaved(
      {
        oursFwdMs: () => [ours(x, w, b)],
        oursTwoPassFwdMs: () => {
          const r2 = webglOps.dense(x, w, b, selu, true);
          return [r2.pre as tf.Tensor, r2.post];
        },
        stockFwdMs: () => [stock(x, w, b)],
        oursFwdBwdMs: fwdBwd(ours),
        stockFwdBwdMs: fwdBwd(stock),
      },
      reps,
      width >= 512 ? 3 : 5,
    );
    const result: DenseKernelResult = { width, oursFwdMs: t.oursFwdMs, oursTwoPassFwdMs: t.oursTwoPassFwdMs, stockFwdMs: t.stockFwdMs, oursFwdBwdMs: t.oursFwdBwdMs, stockFwdBwdMs: t.stockFwdBwdMs };
    tf.dispose([x, w, b, r]);
    return result;
  },
};
(globalThis as unknown as { normlensBench: ProbeBenchPage }).normlensBench = api;
