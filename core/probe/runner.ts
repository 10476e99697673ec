/**
 * Running a probe: an async generator that streams one plain-data record per sample point (step 0, every
 * `sampleEvery` steps, and the last step), stops at the first NaN / Inf (reported as divergence, not thrown),
 * honours an AbortSignal between any two steps, and frees every tensor it made however it ends (completion,
 * divergence, abort, an exception, or the consumer breaking out of `for await`).
 *
 * The backend is whatever tfjs has active (the caller picks it); the hot ops come from `options.ops`
 * (default plainOps).
 */
import * as tf from '@tensorflow/tfjs-core';
import { isSamplePoint, resolveProbeConfig, type Divergence, type ProbeConfig, type ProbeRecord, type ProbeResult, type ProbeStatus } from './config';
import type { Model } from '../ir';
import { plainOps, type ProbeOps } from './ops';
import { planNetwork } from './plan';
import { ProbeSession } from './session';

export interface ProbeRunOptions {
  /** Cancels the run at the next step boundary; the result then has status 'cancelled'. */
  signal?: AbortSignal;
  /** Implementation of the hot operations (default plainOps; the WebGL kernels plug in here). */
  ops?: ProbeOps;
  /**
   * Await a sample point's readback only after the next step is queued (default true): the backend computes while
   * the statistics travel back. False awaits each readback before queueing more: a page that must keep drawing
   * (the dashboard) then waits idle instead of blocking in WebGL calls while the GPU is still busy.
   */
  pipeline?: boolean;
}

/**
 * Let other tasks run (an abort, a UI message) between steps without the 4 ms clamp of nested setTimeout in
 * browsers: setImmediate in Node, a MessageChannel round trip in a browser or webview.
 */
function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise((resolve) => setImmediate(resolve));
  if (typeof MessageChannel === 'function') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/**
 * Stream a probe of `model`. Yields a ProbeRecord per sample point and returns the ProbeResult.
 * Throws ProbePlanError (before allocating anything) when the model cannot be built, RangeError on bad settings.
 */
export async function* probeStream(model: Model, config: Partial<ProbeConfig> = {}, options: ProbeRunOptions = {}): AsyncGenerator<ProbeRecord, ProbeResult, void> {
  const cfg = resolveProbeConfig(model, config);
  const plan = planNetwork(model, cfg);
  const ops = options.ops ?? plainOps;
  const t0 = performance.now();
  const elapsed = () => performance.now() - t0;
  const records: ProbeRecord[] = [];
  let status: ProbeStatus = 'completed';
  let diverged: Divergence | null = null;
  let stepsRun = 0;
  const session = new ProbeSession(plan, cfg, ops);
  // One sample point in flight: its work and its update are queued, its readback not yet awaited. It is awaited
  // after the NEXT step is queued, so the backend computes that step while the statistics travel back (still one
  // readback per sample point; bench probe, "statistics overhead").
  let inFlight: Promise<ProbeRecord> | null = null;
  const pipeline = options.pipeline ?? true;
  const measure = (step: number, update: boolean): Promise<ProbeRecord> => {
    const record = session.measure(step, update, elapsed);
    // Awaited below or in finally: never an unhandled rejection meanwhile.
    record.catch(() => undefined);
    return record;
  };
  try {
    for (let step = 0; step <= cfg.steps; step++) {
      if (options.signal?.aborted) {
        status = 'cancelled';
        break;
      }
      const update = step < cfg.steps;
      const previous = inFlight;
      inFlight = null;
      if (isSamplePoint(step, cfg)) inFlight = measure(step, update);
      else session.train(step);
      if (update) stepsRun++;
      // Pipelined: the previous sample point lands now that this step is queued; else this one lands at once.
      let due = previous;
      if (!pipeline && inFlight) {
        due = inFlight;
        inFlight = null;
      }
      if (due) {
        const record = await due;
        records.push(record);
        yield record;
        if (record.diverged) {
          status = 'diverged';
          diverged = record.diverged;
          // The step queued after it ran on non-finite weights: not counted, not reported.
          stepsRun = record.step;
          break;
        }
      }
      await yieldToEventLoop();
    }
    // The last sample point, or the one in flight when cancelled: it was computed, so it is reported.
    if (inFlight && status !== 'diverged') {
      const record: ProbeRecord = await inFlight;
      inFlight = null;
      records.push(record);
      yield record;
      if (record.diverged) {
        status = 'diverged';
        diverged = record.diverged;
        stepsRun = Math.min(stepsRun, record.step);
      }
    }
  } finally {
    // Broken out of, or diverged, with a measurement in flight: it frees its own tensors once read back; wait for
    // that unless the run was aborted (a lost WebGL context may never answer).
    const left = inFlight as Promise<ProbeRecord> | null;
    if (left && !options.signal?.aborted) await left.catch(() => undefined);
    session.dispose();
  }
  return {
    status,
    config: cfg,
    backend: tf.getBackend(),
    ops: ops.name,
    task: { kind: session.task.kind, classes: session.task.classes, inputShape: [...session.task.inputShape] },
    records,
    diverged,
    stepsRun,
    elapsedMs: elapsed(),
    notes: [...plan.notes, ...session.network.notes],
  };
}

/** Run a probe to the end, calling `onRecord` per sample point; resolves with the ProbeResult. */
export async function runProbe(
  model: Model,
  config: Partial<ProbeConfig> = {},
  options: ProbeRunOptions & { onRecord?: (record: ProbeRecord) => void } = {},
): Promise<ProbeResult> {
  const stream = probeStream(model, config, options);
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
    options.onRecord?.(next.value);
  }
}
