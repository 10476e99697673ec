/**
 * `normlens probe FILE... [--steps N] [--backend cpu|webgl] [--seed S] [--lr X] [--batch B] [--every K] [--json]`:
 * reads the models like `normlens analyze` does, runs a probe of each on the tfjs CPU backend in Node or, with
 * `--backend webgl`, in headless Chromium with WebGL (cli/webglBackend.ts), and prints a table per model or,
 * with --json, `{ files: [{ file, error, models: [{ name, backend, renderer, steps, diverged, loss,
 * layers: [{ index, line, kind, measured: { initial, final } }] }] }] }` (layer indices and 1-based lines as in
 * analyze; extra fields are additions).
 *
 * Exit codes: 0 when every model was probed (a divergence is a result, not a failure), 1 when a model could not
 * be built for probing, 2 on usage errors, unreadable files, or when `--backend webgl` finds no usable Chromium.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import type { CliArgs } from './main';
import type { Model } from '../core/ir';
import { ProbePlanError, type LayerSample, type ProbeConfig, type ProbeResult } from '../core/probe/config';
import { estimateProbeCost } from '../core/probe/cost';
import { runProbe } from '../core/probe/runner';
import { Analyzer } from '../core/analyzer';
import { BrowserUnavailableError } from './headlessChromium';
import type { ProbeBackend } from './webglBackend';

/** How the command gets models from a file; injectable so tests need not load the Python parser. */
export type ModelReader = (path: string, text: string) => { models: Model[]; error: string | null };

export interface ProbeCommandDeps {
  createReader?: () => Promise<ModelReader>;
  /** Starts the WebGL backend (default: headless Chromium, cli/webglBackend.ts). */
  createWebglBackend?: (log: (line: string) => void) => Promise<ProbeBackend>;
}

/** The tfjs CPU backend in this Node process. */
async function createCpuBackend(): Promise<ProbeBackend> {
  await import('@tensorflow/tfjs-backend-cpu');
  tf.env().set('PROD', true); // silences the "install tfjs-node" banner, which would pollute stderr
  await tf.setBackend('cpu');
  return {
    name: 'cpu',
    renderer: `tfjs-backend-cpu ${tf.version_core} (Node ${process.version})`,
    probe: (model, config, onRecord) => runProbe(model, config, { onRecord }),
    close: async () => undefined,
  };
}

/** Probes longer than this (at the CPU reference throughput) get a warning with the way to shorten them. */
const SLOW_PROBE_SECONDS = 300;

async function analyzerReader(): Promise<ModelReader> {
  const analyzer = await Analyzer.create();
  return (path, text) => {
    const a = analyzer.analyze(path, text);
    return { models: a.models, error: a.error?.message ?? null };
  };
}

function parseOptions(options: Record<string, string>): Partial<ProbeConfig> | string {
  const cfg: Partial<ProbeConfig> = {};
  const int = (key: string, min: number): number | string => {
    const v = Number(options[key]);
    return Number.isInteger(v) && v >= min ? v : `--${key} must be an integer >= ${min}, got "${options[key]}"`;
  };
  const fields: [string, keyof ProbeConfig, number][] = [['steps', 'steps', 0], ['seed', 'seed', 0], ['batch', 'batchSize', 1], ['every', 'sampleEvery', 1]];
  for (const [key, field, min] of fields) {
    if (options[key] === undefined) continue;
    const v = int(key, min);
    if (typeof v === 'string') return v;
    (cfg as Record<string, number>)[field] = v;
  }
  if (options.lr !== undefined) {
    const lr = Number(options.lr);
    if (!(lr > 0) || !Number.isFinite(lr)) return `--lr must be a positive number, got "${options.lr}"`;
    cfg.learningRate = lr;
  }
  return cfg;
}

const measuredOf = (s: LayerSample | undefined) =>
  s ? { mean: s.mean, variance: s.variance, saturation: s.saturation, dead: s.dead, gradNorm: s.gradNorm, updateRatio: s.updateRatio } : null;

/** The --json entry of one probed model. */
function modelJson(model: Model, r: ProbeResult, backend: string, renderer: string) {
  const first = r.records[0];
  const last = r.records[r.records.length - 1];
  return {
    name: model.name,
    backend,
    renderer,
    error: null,
    status: r.status,
    steps: r.stepsRun,
    diverged: r.diverged,
    task: r.task,
    config: { optimizer: r.config.optimizer, learningRate: r.config.learningRate, batchSize: r.config.batchSize, seed: r.config.seed, sampleEvery: r.config.sampleEvery },
    sampleSteps: r.records.map((x) => x.step),
    loss: r.records.map((x) => x.loss),
    notes: r.notes,
    layers: model.layers.map((l, i) => ({
      index: l.index,
      line: l.range.startLine + 1,
      kind: l.kind,
      name: l.name,
      measured: { initial: measuredOf(first?.layers[i]), final: measuredOf(last?.layers[i]) },
    })),
  };
}

const fmt = (v: number | null | undefined, digits = 3) => (v === null || v === undefined ? '-' : Number.isFinite(v) ? v.toPrecision(digits) : String(v));
const pct = (v: number | undefined) => (v === undefined ? '-' : `${(100 * v).toFixed(1)}%`);

function modelTable(file: string, model: Model, r: ProbeResult, backend: string): string {
  const first = r.records[0];
  const last = r.records[r.records.length - 1];
  const loss = `loss ${fmt(first?.loss)} -> ${fmt(last?.loss)}`;
  const status = r.diverged ? `, DIVERGED at step ${r.diverged.step}${r.diverged.layer !== null ? ` in layer ${r.diverged.layer}` : ''}` : '';
  const lines = [`${file}: ${model.name} (${backend}, ${r.stepsRun} steps, ${r.task.kind}, ${loss}${status})`];
  lines.push('  idx  line  kind          mean     var      sat     dead    |g|    ->  mean     var      sat     dead    |g|');
  model.layers.forEach((l, i) => {
    const a = first?.layers[i];
    const b = last?.layers[i];
    const cols = (s: LayerSample | undefined) => [fmt(s?.mean).padStart(8), fmt(s?.variance).padStart(8), pct(s?.saturation).padStart(7), pct(s?.dead).padStart(7), fmt(s?.gradNorm).padStart(8)].join(' ');
    lines.push(`  ${String(l.index).padStart(3)}  ${String(l.range.startLine + 1).padStart(4)}  ${l.kind.padEnd(12)} ${cols(a)}  -> ${cols(b)}`);
  });
  for (const n of r.notes) lines.push(`  note: ${n}`);
  return lines.join('\n');
}

/** Runs `normlens probe`; resolves to the exit code. */
export async function probeCommand(args: CliArgs, out: (s: string) => void, err: (s: string) => void, deps: ProbeCommandDeps = {}): Promise<number> {
  const backendName = args.options.backend ?? 'cpu';
  if (backendName !== 'cpu' && backendName !== 'webgl') {
    err(`normlens: unknown backend "${backendName}" (cpu or webgl)`);
    return 2;
  }
  const config = parseOptions(args.options);
  if (typeof config === 'string') {
    err(`normlens: ${config}`);
    return 2;
  }
  let backend: ProbeBackend;
  try {
    backend = backendName === 'webgl' ? await (deps.createWebglBackend ?? defaultWebglBackend)((line) => err(`normlens: webgl: ${line}`)) : await createCpuBackend();
  } catch (e) {
    if (!(e instanceof BrowserUnavailableError)) throw e;
    err(`normlens: ${e.message}`);
    return 2;
  }
  try {
    return await probeFiles(args, backend, config, out, err, deps);
  } finally {
    await backend.close();
  }
}

async function defaultWebglBackend(log: (line: string) => void): Promise<ProbeBackend> {
  // Loaded on demand: the CPU backend never touches playwright-core or esbuild.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createWebglBackend } = require('./webglBackend') as typeof import('./webglBackend');
  return createWebglBackend(log);
}

async function probeFiles(args: CliArgs, backend: ProbeBackend, config: Partial<ProbeConfig>, out: (s: string) => void, err: (s: string) => void, deps: ProbeCommandDeps): Promise<number> {
  const { renderer } = backend;
  const reader = await (deps.createReader ?? analyzerReader)();
  const files: unknown[] = [];
  const tables: string[] = [];
  let code = 0;
  for (const file of args.files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      const msg = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
      err(`normlens: cannot read ${file}: ${msg}`);
      files.push({ file, error: `cannot read: ${msg}`, models: [] });
      code = 2;
      continue;
    }
    const read = reader(file, text);
    if (read.error) tables.push(`${file}: ${read.error}`);
    const models: unknown[] = [];
    for (const model of read.models) {
      try {
        const cost = estimateProbeCost(model, config);
        const seconds = cost.estimatedSeconds[backend.name];
        if (seconds > SLOW_PROBE_SECONDS) {
          err(`normlens: ${file}: ${model.name}: about ${Math.round(seconds)} s on the ${backend.name} backend; --steps or --batch shortens it`);
        }
        const result = await backend.probe(model, config);
        models.push(modelJson(model, result, backend.name, renderer));
        tables.push(modelTable(file, model, result, backend.name));
      } catch (e) {
        if (!(e instanceof ProbePlanError) && !(e instanceof RangeError)) throw e;
        code = Math.max(code, 1);
        models.push({ name: model.name, backend: backend.name, renderer, error: e.message, steps: 0, diverged: null, loss: [], layers: [] });
        tables.push(`${file}: ${model.name}: cannot probe: ${e.message}`);
      }
    }
    if (!read.models.length && !read.error) tables.push(`${file}: no model found`);
    files.push({ file, error: read.error, models });
  }
  out(args.json ? JSON.stringify({ files }, null, 2) : tables.join('\n\n'));
  return code;
}
