/**
 * The in-page test registry of the WebGL suite: tests register by name, the Node driver (run.mjs) lists them and
 * runs them one at a time through page.evaluate, so one failing or hanging test cannot hide the others.
 * Comparison helpers state their tolerance and report the largest errors they saw (the suite prints them).
 */
import * as tf from '@tensorflow/tfjs-core';

/** What a test receives. */
export interface TestContext {
  /** A line printed under the test's result (measured errors, renderer, timings). */
  note(line: string): void;
}

/** One test's outcome as the driver prints it. */
export interface TestResult {
  name: string;
  ok: boolean;
  ms: number;
  error?: string;
  notes: string[];
}

type TestFn = (t: TestContext) => void | Promise<void>;
const registry = new Map<string, TestFn>();

/** Register a test (names must be unique). */
export function test(name: string, fn: TestFn): void {
  if (registry.has(name)) throw new Error(`duplicate webgl test name: ${name}`);
  registry.set(name, fn);
}

/** Registered test names, in registration order. */
export function listTests(): string[] {
  return [...registry.keys()];
}

/** Run one test; never throws (a failure is a result). */
export async function runTest(name: string): Promise<TestResult> {
  const fn = registry.get(name);
  const notes: string[] = [];
  const t0 = performance.now();
  if (!fn) return { name, ok: false, ms: 0, error: 'no such test', notes };
  try {
    await fn({ note: (line) => notes.push(line) });
    return { name, ok: true, ms: performance.now() - t0, notes };
  } catch (e) {
    const err = e as Error;
    return { name, ok: false, ms: performance.now() - t0, error: `${err.message}${err.stack ? `\n${err.stack.split('\n').slice(1, 4).join('\n')}` : ''}`, notes };
  }
}

/** A failed assertion (as opposed to an error thrown by the code under test). */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Throw an AssertionError with `message` unless `cond`. */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new AssertionError(message);
}

/** Largest errors seen by `assertClose`: abs, and relative to |expected| where |expected| >= 1e-3. */
export interface CloseReport {
  maxAbs: number;
  maxRel: number;
  count: number;
}

/**
 * actual ~ expected elementwise: |a - e| <= tol * max(1, |e|) (absolute near zero, relative for large values),
 * NaN exactly where expected is NaN, infinities equal. Returns the largest errors.
 */
export function assertClose(what: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-3): CloseReport {
  assert(actual.length === expected.length, `${what}: length ${actual.length} vs expected ${expected.length}`);
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) || Number.isNaN(a)) {
      assert(Number.isNaN(e) && Number.isNaN(a), `${what}[${i}]: ${a} vs expected ${e} (NaN must propagate the same way)`);
      continue;
    }
    if (!Number.isFinite(e) || !Number.isFinite(a)) {
      assert(a === e, `${what}[${i}]: ${a} vs expected ${e}`);
      continue;
    }
    const d = Math.abs(a - e);
    maxAbs = Math.max(maxAbs, d);
    if (Math.abs(e) >= 1e-3) maxRel = Math.max(maxRel, d / Math.abs(e));
    assert(d <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs expected ${e} (|diff| ${d.toExponential(2)} > tol ${tol})`);
  }
  return { maxAbs, maxRel, count: expected.length };
}

/** Merge reports (for one line per kernel). */
export function mergeReports(reports: CloseReport[]): CloseReport {
  return reports.reduce((a, r) => ({ maxAbs: Math.max(a.maxAbs, r.maxAbs), maxRel: Math.max(a.maxRel, r.maxRel), count: a.count + r.count }), { maxAbs: 0, maxRel: 0, count: 0 });
}

/** One line for a CloseReport. */
export function formatReport(label: string, r: CloseReport, tol = 1e-3): string {
  return `${label}: max abs err ${r.maxAbs.toExponential(2)}, max rel err ${r.maxRel.toExponential(2)} over ${r.count} values (tol ${tol})`;
}

/**
 * Run `fn` with `backend` active, inside a tidy, and return what it returns (plain data: read tensors with
 * dataSync inside). Fails when the tensor count changes across the call: every op must free its intermediates.
 */
export async function onBackend<T>(backend: 'cpu' | 'webgl', fn: () => T): Promise<T> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  let out: T | undefined;
  tf.tidy(() => {
    out = fn();
  });
  const after = tf.memory().numTensors;
  assert(after === before, `${backend}: tensor leak, ${after - before} tensors left after the call`);
  return out as T;
}

/** dataSync as a plain Float32Array (int tensors converted). */
export function values(t: tf.Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as ArrayLike<number>);
}
