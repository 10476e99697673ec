import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchRow } from './analysisBench';
import { percentilesOf } from '../core/probe/stats';
import type { DenseKernelResult, ProbeBenchPage, ShapeResult, StepOptions } from '../test/webgl/benchPage';
import { median, roundRatio, type StepShape, type StepTiming } from '../test/webgl/probeSteps';

const root = join(__dirname, '..');
const DEPTHS = [8, 32, 64];
const WIDTHS = [128, 256, 512];
const ARCHS = ['selu', 'relu+bn'] as const;
const BATCH = 128;
/** The CPU backend runs ~5x slower than SwiftShader here: past this many seconds the largest shapes are skipped. */
const CPU_BUDGET_S = 45;

let started = Date.now();
function progress(line: string): void {
  process.stderr.write(`[probe bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

/**
 * Few timed steps on big shapes (a 64 x 512 step takes seconds on SwiftShader), more where steps are short, so the
 * section fits in about 12 minutes on the shared 2-core machine. Shaders depend on the width only, so past depth 8
 * (run first) the warm-up is a single bare step of ours (plus one full step: the grouped statistics passes depend on
 * the depth) and none for the stock step, whose first timed bare step absorbs what is left to allocate (its full
 * step, the compared one, runs after it). plainOps on WebGL (informational) only at depth 8.
 */
function stepOptions(s: StepShape): StepOptions {
  const first = s.depth === DEPTHS[0];
  // Width-128 steps last 40-400 ms and move by several ms with the shared machine's load: one round's ratio of
  // a depth-8 step ranged from -7% to +44% in one run (16 rounds, median 9%). So 32 rounds of ours at depth 8
  // and 12 deeper (the stock and plainOps steppers, which only inform, keep 8 and 2), for a median that holds still.
  const rounds = s.width === 128 ? (first ? 32 : 12) : s.width === 256 ? 3 : 2;
  const stockRounds = first ? Math.min(rounds, 8) : s.width === 512 ? 1 : 2;
  // Several steps per round where steps are short: the probe queues a sample point's readback behind the next step,
  // so in a long run only the last readback is exposed (as the one synchronization after the bare steps is).
  return { warm: first ? 1 : 0, rounds, perRound: s.width === 128 ? 4 : s.width === 256 ? 2 : 1, withPlain: first && s.width === 128, stockRounds, coldStock: !first };
}

const tag = (s: StepShape) => `${s.arch} ${s.depth}x${s.width}`;
const pct = (x: number) => 100 * x;

/**
 * Times are medians over interleaved rounds. The goal ratios are medians of PER-ROUND ratios (a round times every
 * kind back to back, so a load change on the shared machine between rounds cancels out of the ratio).
 */
function shapeRows(s: StepShape, r: ShapeResult): BenchRow[] {
  const t = tag(s);
  const overhead = roundRatio(r.ours.fullRuns, r.ours.bareRuns) - 1;
  const ratios = Float32Array.from(r.ours.fullRuns.map((f, i) => f / r.ours.bareRuns[i] - 1).filter(Number.isFinite));
  const [q1 = NaN, q3 = NaN] = percentilesOf(ratios, Math.min(...ratios), Math.max(...ratios), [25, 75]);
  const speedup = roundRatio(r.stock.fullRuns, r.ours.fullRuns);
  const efficiency = roundRatio(r.matmulRuns, r.ours.bareRuns);
  const gflops = r.flops / r.ours.bareMs / 1e6;
  const plain = (ms: number | undefined) => (ms === undefined ? undefined : `plainOps on WebGL ${ms.toFixed(1)} ms`);
  return [
    { name: `${t} webgl step, no statistics`, value: r.ours.bareMs, unit: 'ms', note: [`best ${r.ours.bareMinMs.toFixed(1)}`, plain(r.plain?.bareMs)].filter(Boolean).join('; ') },
    { name: `${t} webgl step, full statistics`, value: r.ours.fullMs, unit: 'ms', note: [`best ${r.ours.fullMinMs.toFixed(1)}`, plain(r.plain?.fullMs)].filter(Boolean).join('; ') },
    {
      name: `${t} statistics overhead`,
      value: pct(overhead),
      unit: '%',
      goal: '< 15',
      note: `median of ${ratios.length} rounds' ratios, middle half ${pct(q1).toFixed(1)} to ${pct(q3).toFixed(1)}%; of medians ${pct(r.ours.fullMs / r.ours.bareMs - 1).toFixed(1)}%, of bests ${pct(r.ours.fullMinMs / r.ours.bareMinMs - 1).toFixed(1)}%`,
    },
    { name: `${t} stock tfjs step + per-layer data()`, value: r.stock.fullMs, unit: 'ms', note: `${r.reads} reads; stock step without reads ${r.stock.bareMs.toFixed(1)} ms` },
    {
      name: `${t} speedup vs stock + per-layer data()`,
      value: speedup,
      unit: 'x',
      goal: s.depth === 64 && s.width === 128 ? '>= 3' : '>= 1',
      note: `with statistics vs with reads; bare vs bare ${roundRatio(r.stock.bareRuns, r.ours.bareRuns).toFixed(2)}x`,
    },
    {
      name: `${t} step GFLOP/s vs backend matmul`,
      value: pct(efficiency),
      unit: '%',
      goal: s.width >= 256 ? '>= 70' : undefined,
      note: `${gflops.toFixed(2)} GFLOP/s; the same matmuls alone ${(r.flops / median(r.matmulRuns) / 1e6).toFixed(2)} GFLOP/s`,
    },
  ];
}

function kernelRows(k: DenseKernelResult): BenchRow[] {
  const t = `fused SELU dense 128x${k.width}x${k.width}`;
  const bwd = (all: number, fwd: number) => Math.max(0, all - fwd);
  return [
    {
      name: `${t} forward`,
      value: k.oursFwdMs,
      unit: 'ms',
      note: `tfjs matMul + add + selu ${k.stockFwdMs.toFixed(2)} ms (${(k.stockFwdMs / k.oursFwdMs).toFixed(2)}x); two passes keeping pre ${k.oursTwoPassFwdMs.toFixed(2)} ms`,
    },
    {
      name: `${t} backward`,
      value: bwd(k.oursFwdBwdMs, k.oursFwdMs),
      unit: 'ms',
      note: `tfjs unfused ${bwd(k.stockFwdBwdMs, k.stockFwdMs).toFixed(2)} ms (${(bwd(k.stockFwdBwdMs, k.stockFwdMs) / Math.max(1e-9, bwd(k.oursFwdBwdMs, k.oursFwdMs))).toFixed(2)}x)`,
    },
  ];
}

/** The WebGL half: every shape, the matmul baselines and the kernel comparison, in one Chromium session. */
async function webglPart(shapes: StepShape[]): Promise<{ rows: BenchRow[]; renderer: string }> {
  const { openBundledPage } = await import(pathToFileURL(join(root, 'test', 'webgl', 'browserPage.mjs')).href);
  progress('bundling the benchmark page and starting Chromium');
  const session = await openBundledPage({
    entry: 'test/webgl/benchPage.ts',
    onConsole: (type: string, text: string) => {
      if (type === 'error') progress(`page error: ${text}`);
    },
  });
  const page: import('playwright-core').Page = session.page;
  type Api = { normlensBench: ProbeBenchPage };
  try {
    const renderer = (await page.evaluate(() => (globalThis as unknown as Api).normlensBench.setup())) ?? 'no WebGL 2';
    progress(`renderer: ${renderer}`);
    const rows: BenchRow[] = [];
    for (const s of shapes) {
      const t0 = Date.now();
      const r = await page.evaluate((a) => (globalThis as unknown as Api).normlensBench.shape(a.s, a.o), { s, o: stepOptions(s) });
      progress(`${tag(s)}: step ${r.ours.bareMs.toFixed(1)} ms, with statistics ${r.ours.fullMs.toFixed(1)} ms, stock + data() ${r.stock.fullMs.toFixed(1)} ms (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      rows.push(...shapeRows(s, r));
    }
    for (const w of WIDTHS) {
      const k = await page.evaluate((a) => (globalThis as unknown as Api).normlensBench.denseKernel(a.w, a.b), { w, b: BATCH });
      progress(`fused SELU dense ${w}: forward ${k.oursFwdMs.toFixed(2)} vs ${k.stockFwdMs.toFixed(2)} ms`);
      rows.push(...kernelRows(k));
    }
    return { rows, renderer };
  } finally {
    await session.close();
  }
}

/** The CPU half, in this Node process: the same probe steps with plainOps on the tfjs CPU backend. */
async function cpuPart(shapes: StepShape[]): Promise<BenchRow[]> {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const { plainOps } = await import('../core/probe/ops');
  const { probeStepper, timeSteppers } = await import('../test/webgl/probeSteps');
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const rows: BenchRow[] = [];
  const t0 = Date.now();
  const ordered = [...shapes].sort((a, b) => a.depth * a.width * a.width - b.depth * b.width * b.width);
  for (const s of ordered) {
    if ((Date.now() - t0) / 1000 > CPU_BUDGET_S) {
      rows.push({ name: `${tag(s)} cpu (node) step`, value: NaN, unit: 'ms', note: `skipped: CPU time budget ${CPU_BUDGET_S} s spent` });
      continue;
    }
    const stepper = probeStepper(s, plainOps);
    let r: StepTiming;
    try {
      r = (await timeSteppers({ cpu: stepper }, { warm: 0, rounds: 1, perRound: 1 })).timings.cpu;
    } finally {
      stepper.dispose();
    }
    progress(`${tag(s)} cpu: step ${r.bareMs.toFixed(0)} ms, with statistics ${r.fullMs.toFixed(0)} ms`);
    rows.push(
      { name: `${tag(s)} cpu (node) step, no statistics`, value: r.bareMs, unit: 'ms', note: `${(stepper.flops / r.bareMs / 1e6).toFixed(2)} GFLOP/s` },
      { name: `${tag(s)} cpu (node) step, full statistics`, value: r.fullMs, unit: 'ms', note: `overhead ${pct(r.fullMs / r.bareMs - 1).toFixed(1)}%` },
    );
  }
  return rows;
}

/**
 * The probe benchmark (issue 4, "Performance"): MLPs depth {8, 32, 64} x width {128, 256, 512}, batch 128, SELU and
 * ReLU + BatchNorm, trained with SGD. In headless Chromium (SwiftShader): our step with full statistics vs the same
 * step with none, vs the stock-tfjs step reading each statistic with data(), achieved GFLOP/s vs the backend's own
 * matmul, and the fused SELU dense kernel vs tfjs' unfused ops; then plainOps on the tfjs CPU backend in Node.
 * `NORMLENS_PROBE_BENCH=quick` runs depth 8 only.
 */
export async function probeBench(): Promise<BenchRow[]> {
  started = Date.now();
  const quick = process.env.NORMLENS_PROBE_BENCH === 'quick';
  const shapes: StepShape[] = ARCHS.flatMap((arch) => (quick ? [8] : DEPTHS).flatMap((depth) => WIDTHS.map((width) => ({ arch, depth, width, batch: BATCH }))));
  const load = loadavg()[0];
  const { rows, renderer } = await webglPart(shapes);
  const cpu = await cpuPart(shapes);
  return [
    { name: 'machine load at start (1-min load average, 2 cores shared)', value: load, unit: '', note: `WebGL renderer: ${renderer}` },
    ...rows,
    ...cpu,
    { name: 'probe benchmark wall time', value: (Date.now() - started) / 1000, unit: 's', goal: '< 720' },
  ];
}
