/**
 * Computes the runs the host hands this page, one at a time: picks the backend, streams one record per sample
 * point to the host as soon as it is measured, honours cancellation between steps, and when the WebGL context
 * is lost mid-run starts the run again from step 0 on the CPU backend (saying so) instead of failing.
 */
import type { Model } from '../../core/ir';
import type { LayerSample, ProbeConfig, ProbeRecord, ProbeResult } from '../../core/probe/config';
import { probeStream } from '../../core/probe/runner';
import { ProbeRecordCommand, ProbeStatusCommand, fromWire, toWire, type ExecuteProbeParams, type RunReport } from '../../core/protocol';
import type { HostConnection } from '../hostConnection';
import { activateBackend, fitToBackend, type ActiveBackend } from './backends';

/** Exactly the protocol's record fields: the engine may add fields the protocol does not carry (yet). */
function projectRecord(r: ProbeRecord): ProbeRecord {
  const layer = (s: LayerSample): LayerSample => ({
    index: s.index,
    mean: s.mean,
    variance: s.variance,
    preMean: s.preMean,
    preVariance: s.preVariance,
    percentilesPre: [...s.percentilesPre],
    percentilesPost: [...s.percentilesPost],
    saturation: s.saturation,
    dead: s.dead,
    gradNorm: s.gradNorm,
    updateRatio: s.updateRatio,
  });
  return { step: r.step, loss: r.loss, elapsedMs: r.elapsedMs, layers: r.layers.map(layer), diverged: r.diverged ? { step: r.diverged.step, layer: r.diverged.layer } : null };
}

/** Watches a WebGL canvas for a lost context and aborts the run when it happens. */
function watchContextLoss(canvas: ActiveBackend['canvas'], abort: AbortController): { lost: () => boolean; dispose(): void } {
  let lost = false;
  const onLost = () => {
    lost = true;
    abort.abort();
  };
  canvas?.addEventListener('webglcontextlost', onLost as EventListener);
  return { lost: () => lost, dispose: () => canvas?.removeEventListener('webglcontextlost', onLost as EventListener) };
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class ProbeExecutor {
  private readonly queue: ExecuteProbeParams[] = [];
  private current: { runId: string; abort: AbortController; cancelled: boolean } | null = null;
  private webglLost = false;
  private starting = false;

  constructor(private readonly host: HostConnection) {}

  /** The answer to an execute request: accepted runs are queued and computed in order. */
  enqueue(params: ExecuteProbeParams): { accepted: boolean; reason: string | null } {
    if (this.current?.runId === params.runId || this.queue.some((q) => q.runId === params.runId)) return { accepted: false, reason: `run ${params.runId} is already here` };
    this.queue.push(params);
    // Start on a later task: activating WebGL blocks the page for seconds on a software renderer, and the host
    // is waiting for this reply with a timeout.
    if (!this.current && !this.starting) {
      this.starting = true;
      setTimeout(() => {
        this.starting = false;
        void this.drain();
      }, 0);
    }
    return { accepted: true, reason: null };
  }

  cancel(runId: string): void {
    if (this.current?.runId === runId) {
      this.current.cancelled = true;
      this.current.abort.abort();
      return;
    }
    const i = this.queue.findIndex((q) => q.runId === runId);
    if (i >= 0) {
      this.queue.splice(i, 1);
      this.report({ runId, status: 'cancelled', backend: 'none', renderer: null, ops: 'none', note: 'cancelled before it started', error: null });
    }
  }

  private report(r: Partial<RunReport> & Pick<RunReport, 'runId' | 'status' | 'backend' | 'renderer' | 'ops'>): void {
    this.host.command(ProbeStatusCommand, { note: null, error: null, restarted: false, stepsRun: null, diverged: null, notes: [], ...r });
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      this.current = { runId: next.runId, abort: new AbortController(), cancelled: false };
      try {
        await this.execute(next);
      } catch (err) {
        this.report({ runId: next.runId, status: 'failed', backend: 'none', renderer: null, ops: 'none', error: message(err) });
      }
      this.current = null;
    }
  }

  private async execute(p: ExecuteProbeParams): Promise<void> {
    const run = this.current!;
    const model = fromWire<Model>(p.model);
    const t0 = performance.now();
    const chosen = await activateBackend(p.backend, this.webglLost);
    const activatedMs = performance.now() - t0;
    if (typeof chosen === 'string') return this.report({ runId: p.runId, status: 'failed', backend: 'none', renderer: null, ops: 'none', error: chosen });
    let active = chosen;
    let note = active.note;
    let fitted = fitToBackend(model, p.config, active, p.cpuMaxSeconds);
    if (typeof fitted === 'string' && active.backend === 'webgl' && p.backend === 'auto') {
      // Too big for one texture or the GPU budget: the CPU backend (with its own caps) may still take it.
      note = `${fitted}: running on the CPU backend instead`;
      active = await activateBackend('cpu', this.webglLost).then((b) => (typeof b === 'string' ? active : b));
      fitted = fitToBackend(model, p.config, active, p.cpuMaxSeconds);
    }
    if (typeof fitted === 'string') return this.report({ runId: p.runId, status: 'failed', backend: active.backend, renderer: active.renderer, ops: active.ops.name, note, error: `refused: ${fitted}` });
    let config = fitted.config;
    note = [note, fitted.note].filter(Boolean).join('; ') || null;
    const loseAt = p.faults?.loseWebglContextAtStep;
    let restarted = false;
    for (;;) {
      if (run.cancelled) return this.report({ runId: p.runId, status: 'cancelled', backend: active.backend, renderer: active.renderer, ops: active.ops.name });
      this.report({ runId: p.runId, status: 'running', backend: active.backend, renderer: active.renderer, ops: active.ops.name, note, restarted });
      const watch = watchContextLoss(active.canvas, run.abort);
      // The flag is set at once when the context goes; the event that aborts the run comes a task later.
      const gl = active.gl;
      const lost = () => watch.lost() || !!gl?.isContextLost();
      let result: ProbeResult | null = null;
      let failure: unknown = null;
      let lastStep = 0;
      try {
        // Not pipelined: this page also draws the dashboard. Queueing the next step while the GPU is still busy
        // blocks the page inside WebGL calls; awaiting each readback first leaves the waiting idle (bench dashboard,
        // 64-layer probe: long tasks 17.5 s -> 8.7 s, frame p95 721 -> 483 ms, the run 49 -> 47 s).
        const stream = probeStream(model, config, { signal: run.abort.signal, ops: active.ops, pipeline: false });
        for (let next = await stream.next(); ; next = await stream.next()) {
          if (next.done) {
            result = next.value;
            break;
          }
          // Numbers read back from a lost context are not measurements: stop without sending them.
          if (lost()) {
            run.abort.abort();
            break;
          }
          if (next.value.step === 0) this.host.log('info', `probe ${p.runId}: ${active.backend} ready after ${activatedMs.toFixed(0)} ms, step 0 measured ${(performance.now() - t0).toFixed(0)} ms after the request`);
          lastStep = next.value.step;
          this.host.command(ProbeRecordCommand, { runId: p.runId, record: toWire(projectRecord(next.value)) });
          if (loseAt !== undefined && gl && lastStep >= loseAt && !gl.isContextLost()) {
            this.host.log('warn', `probe ${p.runId}: test fault: losing the WebGL context after step ${lastStep}`);
            gl.getExtension('WEBGL_lose_context')?.loseContext();
          }
        }
        if (lost()) await stream.return(undefined as never).catch(() => undefined);
      } catch (err) {
        failure = err;
      } finally {
        watch.dispose();
      }
      if (lost() && !run.cancelled && p.backend !== 'webgl') {
        // The GPU went away (driver reset, too many contexts): the same run, same seed, from step 0 on the CPU.
        this.webglLost = true;
        const cpu = await activateBackend('cpu', true);
        if (typeof cpu === 'string') throw new Error(cpu);
        const capped = fitToBackend(model, p.config, cpu, p.cpuMaxSeconds);
        if (typeof capped === 'string') throw new Error(`WebGL context lost at step ${lastStep}; the CPU backend refuses the run: ${capped}`);
        active = cpu;
        config = capped.config;
        note = [`WebGL context lost at step ${lastStep}: restarted on the CPU backend`, capped.note].filter(Boolean).join('; ');
        run.abort = new AbortController();
        restarted = true;
        continue;
      }
      if (lost()) {
        this.webglLost = true;
        throw new Error(`the WebGL context was lost at step ${lastStep} (the backend setting asks for WebGL only)`);
      }
      if (failure) throw failure;
      return this.finish(p.runId, active, result!, config);
    }
  }

  private finish(runId: string, active: ActiveBackend, result: ProbeResult, config: ProbeConfig): void {
    const status = result.status === 'completed' ? 'done' : result.status === 'diverged' ? 'diverged' : 'cancelled';
    const d = result.diverged;
    const note = result.status === 'diverged' && d ? `diverged (NaN / Inf) at step ${d.step} ${d.layer === null ? 'in the loss' : `in layer ${d.layer}`}; the records up to it are kept` : result.stepsRun < config.steps && status === 'done' ? `${result.stepsRun} of ${config.steps} steps` : null;
    this.report({ runId, status, backend: active.backend, renderer: active.renderer, ops: active.ops.name, note, stepsRun: result.stepsRun, diverged: result.diverged, notes: result.notes.slice(0, 200).map((n) => n.slice(0, 2000)) });
  }
}
