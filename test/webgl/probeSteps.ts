/**
 * The training steps the probe benchmark times, platform-free (tfjs-core and core/probe only) so the same code
 * runs in the benchmark page on WebGL and in Node on the tfjs CPU backend:
 * - the probe's own step through core/probe's ProbeSession with a given ProbeOps: `train` (no statistics, nothing
 *   read back) and `measure` (every statistic, one readback);
 * - the step a user would write from stock tfjs ops (tf.selu, tf.moments + tf.batchNorm, tf.relu), with the
 *   per-layer statistics read back one `data()` at a time.
 * Both train on the engine's synthetic task with plain SGD (Adam's slot updates would dilute the comparison of
 * the layer kernels equally on every side).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { resolveProbeConfig, type ProbeConfig } from '../../core/probe/config';
import type { ProbeOps } from '../../core/probe/ops';
import { planNetwork, type NetworkPlan } from '../../core/probe/plan';
import { ProbeSession } from '../../core/probe/session';
import { mlpModel } from '../../core/probe/syntheticModels';
import { createTask } from '../../core/probe/task';
import type { Model } from '../../core/ir';

/** The two benchmark architectures of issue 4. */
export type BenchArch = 'selu' | 'relu+bn';

/** One benchmark MLP: hidden depth and width, batch size. */
export interface StepShape {
  arch: BenchArch;
  depth: number;
  width: number;
  batch: number;
}

/** Medians over interleaved rounds, each kind's best round, and every round (NaN where a stepper sat out). */
export interface StepTiming {
  /** A training step without statistics (steps pipelined, synchronized at the end of the round). */
  bareMs: number;
  /** A step with statistics: the probe's measured step, or the stock step with its per-layer data() reads. */
  fullMs: number;
  bareMinMs: number;
  fullMinMs: number;
  bareRuns: number[];
  fullRuns: number[];
}

/** Median of the per-round ratios a[r] / b[r] over rounds where both ran: adjacent in time, so load cancels. */
export function roundRatio(a: number[], b: number[]): number {
  const ratios = a.map((x, i) => x / b[i]).filter(Number.isFinite);
  return ratios.length ? median(ratios) : NaN;
}

/** One kind of training step, timed in rounds interleaved with the other kinds (timeSteppers). */
export interface Stepper {
  /** `n` steps without statistics, then one synchronization. */
  bare(n: number): Promise<void>;
  /** `n` steps with statistics, every one read back (the probe at sampleEvery 1, as its runner queues them). */
  full(n: number): Promise<void>;
  dispose(): void;
}

/** The benchmark MLP: SELU (Keras style, activation inside the dense, lecun_normal) or Linear + BatchNorm + ReLU. */
export function benchModel(s: StepShape): Model {
  if (s.arch === 'selu') {
    return mlpModel({ input: s.width, width: s.width, depth: s.depth, activation: 'selu', init: 'lecun_normal', framework: 'keras', inlineActivation: true, batchSize: s.batch });
  }
  return mlpModel({ input: s.width, width: s.width, depth: s.depth, activation: 'relu', batchNorm: true, framework: 'pytorch', batchSize: s.batch });
}

/** Probe settings for the benchmark: plain SGD (lr 1e-3), the shape's batch. */
export function benchConfig(s: StepShape): ProbeConfig {
  return resolveProbeConfig(benchModel(s), { batchSize: s.batch, optimizer: 'sgd', momentum: 0, learningRate: 1e-3, steps: 1000, sampleEvery: 1 });
}

/** 2 * rows * in * out per dense layer, three times (forward, dX, dW). */
export function stepFlops(plan: NetworkPlan, batch: number): number {
  return plan.layers.filter((l) => l.op === 'dense').reduce((f, l) => f + 6 * batch * l.fanIn * l.fanOut, 0);
}

/** Wait until every queued GPU command has run (a one-element readback waits on a fence after all of them). */
export async function settle(t: tf.Tensor): Promise<void> {
  const one = tf.tidy(() => tf.slice(tf.reshape(t, [-1]), [0], [1]));
  await one.data();
  one.dispose();
}

/** Median (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The probe's own steps through core/probe's ProbeSession with `ops`: `train` (bare) and `measure` (full). */
export function probeStepper(s: StepShape, ops: ProbeOps): Stepper & { flops: number } {
  const cfg = benchConfig(s);
  const plan = planNetwork(benchModel(s), cfg);
  const session = new ProbeSession(plan, cfg, ops);
  const probeVar = session.network.trainableVariables()[0];
  let step = 0;
  return {
    flops: stepFlops(plan, s.batch),
    async bare(n) {
      for (let i = 0; i < n; i++) session.train(step++);
      await settle(probeVar);
    },
    async full(n) {
      // As probeStream: a sample point's readback is awaited after the next step is queued.
      let previous: Promise<unknown> | null = null;
      for (let i = 0; i < n; i++) {
        const current = session.measure(step++, true, () => 0);
        if (previous) await previous;
        previous = current;
      }
      await previous;
    },
    dispose: () => session.dispose(),
  };
}

/**
 * Time every stepper: `warm` untimed (bare, full) pairs each (shader compilation, texture pools; without warm-up
 * still one bare step, since the first allocates the textures), then `rounds` rounds in which each stepper runs
 * `perRound` bare steps (then one synchronization) and `perRound` full steps (each read back, pipelined as the
 * probe's runner does), timed per step, so a load change on the shared machine hits every kind alike
 * (`roundsOf` caps the rounds of the named steppers). `reference`, when given, is timed once per round too.
 * `warmFull` names steppers that get one untimed full step even without warm-up (their full step may compile
 * shaders that depend on the depth, like the probe's grouped statistics passes). `cold` names steppers that get no
 * warm-up at all.
 */
export async function timeSteppers(
  steppers: Record<string, Stepper>,
  opts: { warm: number; rounds: number; perRound: number; roundsOf?: Record<string, number>; warmFull?: string[]; cold?: string[]; reference?: () => Promise<number> },
): Promise<{ timings: Record<string, StepTiming>; reference: number[] }> {
  for (const [name, st] of Object.entries(steppers)) {
    if (opts.cold?.includes(name)) continue;
    for (let i = 0; i < opts.warm; i++) {
      await st.bare(1);
      await st.full(1);
    }
    if (!opts.warm) await st.bare(1);
    if (!opts.warm && opts.warmFull?.includes(name)) await st.full(1);
  }
  const times: Record<string, { bare: number[]; full: number[] }> = {};
  const reference: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    for (const [name, st] of Object.entries(steppers)) {
      const t = (times[name] ??= { bare: [], full: [] });
      // A slow stepper may sit out the later rounds (`roundsOf`): it is still timed among the others.
      if (r >= (opts.roundsOf?.[name] ?? opts.rounds)) {
        t.bare.push(NaN);
        t.full.push(NaN);
        continue;
      }
      const t0 = performance.now();
      await st.bare(opts.perRound);
      t.bare.push((performance.now() - t0) / opts.perRound);
      const t1 = performance.now();
      await st.full(opts.perRound);
      t.full.push((performance.now() - t1) / opts.perRound);
    }
    if (opts.reference) reference.push(await opts.reference());
  }
  const summary = (xs: number[]) => {
    const ran = xs.filter(Number.isFinite);
    return { med: median(ran), min: Math.min(...ran) };
  };
  const timings = Object.fromEntries(
    Object.entries(times).map(([name, t]) => {
      const b = summary(t.bare);
      const f = summary(t.full);
      return [name, { bareMs: b.med, fullMs: f.med, bareMinMs: b.min, fullMinMs: f.min, bareRuns: t.bare, fullRuns: t.full }];
    }),
  );
  return { timings, reference };
}

interface StockLayer {
  w: tf.Variable;
  b: tf.Variable;
  gamma: tf.Variable | null;
  beta: tf.Variable | null;
}

/**
 * The same model from stock tfjs ops, as a user would write it: bare, a training step; full, the same step with
 * the per-layer statistics the probe reports as scalars (mean, variance, saturation, dead fraction, gradient norm)
 * and the loss read back with one awaited `data()` each (`reads` per step).
 */
export function stockStepper(s: StepShape): Stepper & { reads: number } {
  const model = benchModel(s);
  const cfg = benchConfig(s);
  const plan = planNetwork(model, cfg);
  const task = createTask(plan, cfg);
  const opt = tf.train.sgd(cfg.learningRate);
  const dense = plan.layers.filter((l) => l.op === 'dense');
  // tf.variable keeps its initial tensor alive: free each one once the variable holds it.
  const variable = (init: tf.Tensor) => {
    const v = tf.variable(init);
    init.dispose();
    return v;
  };
  const layers: StockLayer[] = dense.map((l, i) => {
    const bn = i < dense.length - 1 && s.arch === 'relu+bn';
    return {
      w: variable(tf.randomNormal([l.fanIn, l.fanOut], 0, 1 / Math.sqrt(l.fanIn))),
      b: variable(tf.zeros([l.fanOut])),
      gamma: bn ? variable(tf.ones([l.fanOut])) : null,
      beta: bn ? variable(tf.zeros([l.fanOut])) : null,
    };
  });
  const seluSaturation = -2.65; // SELU's saturated side (|phi'| < 0.0707 max |phi'|): h < ln(0.0707 lambda / (lambda alpha))
  const varList = layers.flatMap((l) => [l.w, l.b, l.gamma, l.beta].filter((v): v is tf.Variable => v !== null));
  let step = 0;
  let reads = 0;
  const run = async (read: boolean) => {
    const { x, target } = task.batch(step++);
    const taps: { pre: tf.Tensor; post: tf.Tensor }[] = [];
    const { value, grads } = tf.variableGrads(() => {
      let h: tf.Tensor = x;
      layers.forEach((l, i) => {
        const pre = tf.add(tf.matMul(h as tf.Tensor2D, l.w), l.b);
        if (i === layers.length - 1) {
          h = pre;
          return;
        }
        let post: tf.Tensor;
        if (l.gamma && l.beta) {
          const m = tf.moments(pre, 0);
          post = tf.relu(tf.batchNorm(pre, m.mean, m.variance, l.beta, l.gamma, 1e-5));
        } else post = tf.selu(pre);
        if (read) taps.push({ pre: tf.keep(pre), post: tf.keep(post) });
        h = post;
      });
      return tf.losses.softmaxCrossEntropy(target, h) as tf.Scalar;
    }, varList);
    opt.applyGradients(grads);
    if (read) {
      const scalar = async (f: () => tf.Tensor) => {
        const t = tf.tidy(f);
        await t.data();
        t.dispose();
        reads++;
      };
      await scalar(() => value);
      for (let i = 0; i < taps.length; i++) {
        const { pre, post } = taps[i];
        await scalar(() => tf.mean(post));
        await scalar(() => tf.moments(post).variance);
        await scalar(() => (s.arch === 'selu' ? tf.mean(tf.cast(tf.less(pre, seluSaturation), 'float32')) : tf.scalar(0)));
        await scalar(() => tf.mean(tf.cast(tf.equal(tf.sum(tf.cast(tf.greater(pre, 0), 'float32'), 0), 0), 'float32')));
        await scalar(() => tf.norm(grads[layers[i].w.name]));
      }
    }
    tf.dispose([x, target, value, ...Object.values(grads), ...taps.flatMap((t) => [t.pre, t.post])]);
  };
  return {
    get reads() {
      return reads;
    },
    async bare(n) {
      for (let i = 0; i < n; i++) await run(false);
      await settle(layers[0].w);
    },
    async full(n) {
      reads = 0;
      for (let i = 0; i < n; i++) await run(true);
      reads /= n;
    },
    dispose() {
      tf.dispose(varList);
      task.dispose();
      opt.dispose();
    },
  };
}
