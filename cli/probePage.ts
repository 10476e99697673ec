/**
 * The browser half of `normlens probe --backend webgl` (bundled to dist/probe-page.js by scripts/build.mjs, or at
 * run time in a checkout): runs core/probe's runner on tfjs-backend-webgl with NormLens' kernels (webglOps) and
 * streams each record to the CLI through `normlensProbeRecord`, a function the CLI exposes on the page.
 * Exposes `window.normlensProbe` (ProbePageApi).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import type { Model } from '../core/ir';
import { ProbePlanError, type ProbeConfig, type ProbeRecord, type ProbeResult } from '../core/probe/config';
import { runProbe } from '../core/probe/runner';
import { webglOps, webglRenderer } from '../webview/kernels/webglOps';

/** A probe's outcome as the page returns it: the result without its records (they were streamed), or why not. */
export type PageProbeOutcome = { ok: true; result: ProbeResult; leakedTensors: number } | { ok: false; planError: boolean; message: string };

/** What the CLI calls in the page. */
export interface ProbePageApi {
  /** Starts tfjs-backend-webgl; returns the WebGL 2 renderer string, or null without WebGL 2. */
  setup(): Promise<string | null>;
  /** Probes one model; records go to `window.normlensProbeRecord(index, record)` as they are measured. */
  probe(model: Model, config: Partial<ProbeConfig>): Promise<PageProbeOutcome>;
}

type RecordSink = (record: ProbeRecord) => Promise<void>;

const api: ProbePageApi = {
  async setup() {
    tf.env().set('PROD', true);
    if (!(await tf.setBackend('webgl'))) return null;
    await tf.ready();
    return webglRenderer();
  },
  async probe(model, config) {
    const sink = (globalThis as unknown as { normlensProbeRecord?: RecordSink }).normlensProbeRecord;
    const before = tf.memory().numTensors;
    const pending: Promise<void>[] = [];
    try {
      const result = await runProbe(model, config, { ops: webglOps, onRecord: (r) => void (sink && pending.push(sink(r))) });
      await Promise.all(pending);
      return { ok: true, result: { ...result, records: [] }, leakedTensors: tf.memory().numTensors - before };
    } catch (e) {
      const planError = e instanceof ProbePlanError || e instanceof RangeError;
      return { ok: false, planError, message: e instanceof Error ? e.message : String(e) };
    }
  },
};
(globalThis as unknown as { normlensProbe: ProbePageApi }).normlensProbe = api;
