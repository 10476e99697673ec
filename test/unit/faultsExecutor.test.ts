/**
 * The dashboard's probe executor (webview/probe/executor.ts) run in Node on the tfjs CPU backend with a recording
 * host connection: faults end in a clear reported state and nothing measured is lost. Two runs requested at once
 * are queued and computed one after the other (the decision: queue, never cancel the first); a probe that
 * diverges reports `diverged` with the step and layer and every record up to it; 'auto' without WebGL falls back
 * to the CPU and says so; absurd models are refused with the reason instead of allocating; cancelling a queued
 * run never starts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveProbeConfig } from '../../core/probe/config';
import { mlpModel } from '../../core/probe/syntheticModels';
import { parseToHost, toWire, type ExecuteProbeParams, type RunReport } from '../../core/protocol';
import type { HostConnection } from '../../webview/hostConnection';
import { fitToBackend } from '../../webview/probe/backends';
import { ProbeExecutor } from '../../webview/probe/executor';
import { plainOps } from '../../core/probe/ops';

interface Sent {
  method: string;
  params: { runId?: string; record?: { step: number } } & Partial<RunReport>;
}

/** Stands in for the page's HostConnection: keeps what would be posted, checked by the host's own guard. */
function recordingHost() {
  const sent: Sent[] = [];
  const logs: string[] = [];
  const host = {
    command(type: { method: string }, params: unknown) {
      const message = JSON.parse(JSON.stringify({ kind: 'command', method: type.method, params }));
      const parsed = parseToHost(message);
      assert.ok(parsed.ok, `the host would drop ${type.method}: ${parsed.ok ? '' : parsed.error}`);
      sent.push(message as Sent);
    },
    log(level: string, message: string) {
      logs.push(`${level}: ${message}`);
    },
  };
  return { host: host as unknown as HostConnection, sent, logs };
}

const small = mlpModel({ input: 16, width: 32, depth: 4, activation: 'relu', init: 'he_normal' });

function params(runId: string, over: Partial<ExecuteProbeParams> = {}, config = {}): ExecuteProbeParams {
  return { runId, model: toWire(small), config: resolveProbeConfig(small, { steps: 4, sampleEvery: 2, batchSize: 8, ...config }), backend: 'cpu', cpuMaxSeconds: 60, ...over };
}

async function until(fn: () => boolean, what: string, ms = 30_000) {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const finalOf = (sent: Sent[], runId: string) => sent.find((m) => m.method === 'probe/status' && m.params.runId === runId && m.params.status !== 'running');

test('two probes requested at once: both accepted, the second starts only after the first ended; a duplicate is refused', async () => {
  const { host, sent } = recordingHost();
  const ex = new ProbeExecutor(host);
  assert.deepEqual(ex.enqueue(params('run-a')), { accepted: true, reason: null });
  assert.deepEqual(ex.enqueue(params('run-b')), { accepted: true, reason: null });
  assert.equal(ex.enqueue(params('run-b')).accepted, false);
  await until(() => !!finalOf(sent, 'run-b'), 'run-b to end');
  const order = sent.filter((m) => m.method === 'probe/status').map((m) => `${m.params.runId}:${m.params.status}`);
  assert.deepEqual(order, ['run-a:running', 'run-a:done', 'run-b:running', 'run-b:done']);
  const steps = (id: string) => sent.filter((m) => m.method === 'probe/record' && m.params.runId === id).map((m) => m.params.record!.step);
  assert.deepEqual(steps('run-a'), [0, 2, 4]);
  assert.deepEqual(steps('run-b'), [0, 2, 4]);
  // Everything of run-a was sent before run-b's first message.
  const lastA = sent.map((m) => m.params.runId).lastIndexOf('run-a');
  const firstB = sent.findIndex((m) => m.params.runId === 'run-b');
  assert.ok(lastA < firstB);
});

test('a queued run cancelled before it starts is reported cancelled and never computed', async () => {
  const { host, sent } = recordingHost();
  const ex = new ProbeExecutor(host);
  ex.enqueue(params('run-long', {}, { steps: 40, sampleEvery: 1 }));
  ex.enqueue(params('run-queued'));
  ex.cancel('run-queued');
  await until(() => !!finalOf(sent, 'run-long'), 'run-long to end');
  assert.equal(finalOf(sent, 'run-queued')?.params.status, 'cancelled');
  assert.equal(sent.filter((m) => m.method === 'probe/record' && m.params.runId === 'run-queued').length, 0);
  assert.equal(finalOf(sent, 'run-long')?.params.status, 'done');
});

test('divergence (SGD at learning rate 1000): status diverged at step 2 in layer 0, every record up to it streamed', async () => {
  const { host, sent } = recordingHost();
  const ex = new ProbeExecutor(host);
  ex.enqueue(params('run-nan', {}, { steps: 60, sampleEvery: 1, batchSize: 16, optimizer: 'sgd', learningRate: 1e3, momentum: 0 }));
  await until(() => !!finalOf(sent, 'run-nan'), 'the run to end');
  const final = finalOf(sent, 'run-nan')!.params;
  assert.equal(final.status, 'diverged');
  assert.deepEqual(final.diverged, { step: 2, layer: 0 });
  assert.equal(final.stepsRun, 2);
  assert.match(final.note ?? '', /diverged \(NaN \/ Inf\) at step 2 in layer 0; the records up to it are kept/);
  const records = sent.filter((m) => m.method === 'probe/record').map((m) => m.params.record as unknown as { step: number; loss: number | string; diverged: unknown });
  assert.deepEqual(records.map((r) => r.step), [0, 1, 2]);
  assert.equal(typeof records[0].loss, 'number');
  assert.deepEqual(records[2].diverged, { step: 2, layer: 0 });
});

test("'auto' where WebGL is unavailable runs on the CPU and says why", async () => {
  const { host, sent } = recordingHost();
  const ex = new ProbeExecutor(host);
  ex.enqueue(params('run-auto', { backend: 'auto' }));
  await until(() => !!finalOf(sent, 'run-auto'), 'the run to end');
  const running = sent.find((m) => m.method === 'probe/status' && m.params.status === 'running')!.params;
  assert.equal(running.backend, 'cpu');
  assert.match(running.note ?? '', /running on the CPU backend instead/);
  assert.equal(finalOf(sent, 'run-auto')!.params.status, 'done');
  // 'webgl' only: a clear failure, no fallback.
  ex.enqueue(params('run-webgl', { backend: 'webgl' }));
  await until(() => !!finalOf(sent, 'run-webgl'), 'the webgl-only run to end');
  assert.equal(finalOf(sent, 'run-webgl')!.params.status, 'failed');
  assert.match(finalOf(sent, 'run-webgl')!.params.error ?? '', /asks for WebGL only/);
});

test('absurd models are refused by the caps with the reason before anything is allocated; slow ones run fewer steps', async () => {
  const { host, sent } = recordingHost();
  const ex = new ProbeExecutor(host);
  const wide = mlpModel({ input: 1e9, width: 1e9, depth: 2, activation: 'relu' });
  const deep = mlpModel({ input: 64, width: 64, depth: 10_000, activation: 'relu' });
  const deepish = mlpModel({ input: 64, width: 64, depth: 4_000, activation: 'relu' });
  const run = (runId: string, model: typeof small, config: object, cpuMaxSeconds = 60): ExecuteProbeParams => ({ runId, model: toWire(model), config: resolveProbeConfig(model, config), backend: 'cpu', cpuMaxSeconds });
  ex.enqueue(run('run-wide', wide, { steps: 10 }));
  ex.enqueue(run('run-deep', deep, { steps: 200 }));
  ex.enqueue(run('run-deepish', deepish, { steps: 200 }, 2));
  ex.enqueue(run('run-slow', small, { steps: 2000, sampleEvery: 500, batchSize: 8 }, 0.5));
  await until(() => ['run-wide', 'run-deep', 'run-deepish', 'run-slow'].every((id) => finalOf(sent, id)), 'all runs to end', 120_000);
  const w = finalOf(sent, 'run-wide')!.params;
  assert.equal(w.status, 'failed');
  assert.match(w.error ?? '', /^refused: its 2\.0e\+18 parameters need 2\.9e\+7 TiB \(weights, gradients, optimizer state\) before any activation, above the 1,024 MiB memory budget of the CPU backend$/);
  const d = finalOf(sent, 'run-deep')!.params;
  assert.equal(d.status, 'failed');
  assert.equal(d.error, 'refused: it has 20,001 layers; a probe measures at most 10,000');
  const di = finalOf(sent, 'run-deepish')!.params;
  assert.equal(di.status, 'failed');
  assert.match(di.error ?? '', /^refused: measuring even the initialized network at batch 1 is estimated at \d+ s on the CPU backend, above the 2 s time cap$/);
  for (const id of ['run-wide', 'run-deep', 'run-deepish']) assert.equal(sent.filter((m) => m.method === 'probe/record' && m.params.runId === id).length, 0);
  // Scaled down, and says so from its first status on.
  const slow = sent.find((m) => m.params.runId === 'run-slow' && m.params.status === 'running')!.params;
  const cut = /CPU size cap: steps 2000 -> (\d+): 2000 steps are estimated at \d+ s on the CPU backend, above the 0\.5 s time cap/.exec(slow.note ?? '');
  assert.ok(cut, slow.note ?? '');
  const final = finalOf(sent, 'run-slow')!.params;
  assert.equal(final.status, 'done');
  assert.equal(final.stepsRun, Number(cut[1]));
  assert.ok(Number(cut[1]) > 0 && Number(cut[1]) < 2000);
});

test('fitToBackend on WebGL: a small model runs as asked; a weight matrix beyond MAX_TEXTURE_SIZE² is refused (the executor then falls back to the CPU)', () => {
  const webgl = { backend: 'webgl', renderer: 'SwiftShader', ops: plainOps, note: null, canvas: null, gl: null, maxTextureSize: 4096 } as const;
  const config = resolveProbeConfig(small, { steps: 200, batchSize: 64 });
  assert.deepEqual(fitToBackend(small, config, webgl, 60), { config, note: null });
  const big = mlpModel({ input: 8192, width: 8192, depth: 1, activation: 'relu' });
  assert.equal(fitToBackend(big, resolveProbeConfig(big, { steps: 1 }), webgl, 60), "layer 0's weights have 67,108,864 elements, more than one WebGL texture holds (MAX_TEXTURE_SIZE 4096² = 16,777,216)");
  // Above the 2 GiB WebGL memory budget at batch 4096: the batch is cut, and the note says so.
  const wide = mlpModel({ input: 2048, width: 2048, depth: 4, activation: 'relu' });
  const fitted = fitToBackend(wide, resolveProbeConfig(wide, { steps: 1, batchSize: 65_536 }), webgl, 60);
  assert.ok(typeof fitted !== 'string' && fitted.config.batchSize < 65_536, JSON.stringify(fitted));
  assert.match(typeof fitted === 'string' ? fitted : (fitted.note ?? ''), /^WebGL size cap: batch 65536 -> \d+: [\d,]+ MiB at batch 65536 is above the 2,048 MiB memory budget of WebGL$/);
});
