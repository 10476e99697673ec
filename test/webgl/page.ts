/**
 * Entry of the WebGL test page (bundled by run.mjs): registers both tfjs backends and every test file, and
 * exposes the registry to the driver as `window.normlensWebgl`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { webglRenderer } from '../../webview/kernels/webglOps';
import { listTests, runTest, type TestResult } from './suite';
import './kernelTests';
import './statisticsTests';

/** What the driver calls in the page. */
export interface WebglTestPage {
  /** Initialize both backends; returns the WebGL renderer string (null without WebGL 2). */
  setup(): Promise<string | null>;
  list(): string[];
  run(name: string): Promise<TestResult>;
}

const api: WebglTestPage = {
  async setup() {
    // PROD skips tfjs' per-op NaN checks and debug logging: the tests measure our kernels, not tfjs' debug mode.
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
    await tf.setBackend('webgl');
    return webglRenderer();
  },
  list: listTests,
  run: runTest,
};
(globalThis as unknown as { normlensWebgl: WebglTestPage }).normlensWebgl = api;
