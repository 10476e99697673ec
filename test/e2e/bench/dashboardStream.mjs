// Benchmark scenario (run by `npm run bench dashboard`, not by npm test): click the Probe lens of a 64-layer model
// and time, inside the dashboard's own frame, (1) the click to the first streamed statistics on screen, cold (the
// view and WebGL start) and warm (a second probe), and (2) the frame time while the probe streams: every
// requestAnimationFrame gap and every long task (> 50 ms) of the dashboard's page, from the first record to done.
// Logs BENCH-METRIC name=value lines (ctx.log) for bench/dashboardBench.ts.
import { infiniteAnimations } from '../harness/ui.mjs';

export const options = {
  userSettings: {
    'workbench.colorTheme': 'Default Dark Modern',
    // Long enough to stream for a while on SwiftShader, short enough for a benchmark: 30 records of 128 layers.
    'normlens.probe.steps': 60,
    'normlens.probe.sampleEvery': 2,
    'normlens.probe.batchSize': 64,
    'normlens.probe.backend': 'webgl',
  },
  timeoutMs: 900_000,
};

/**
 * Installed into the dashboard's frame: records rAF timestamps, long tasks, and when the run status and the first
 * measured table cell change. Times are epoch ms (timeOrigin + now) so they compare with the Node side's clock.
 */
function installRecorder() {
  const epoch = () => performance.timeOrigin + performance.now();
  const b = (window.__nlBench = { frames: [], longtasks: [], transitions: [], status: null, measured: false });
  const tick = () => {
    b.frames.push(epoch());
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) b.longtasks.push([performance.timeOrigin + e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: false });
  const look = () => {
    const status = document.querySelector('.status-badge')?.dataset.status ?? null;
    if (status !== b.status) {
      b.status = status;
      b.transitions.push({ at: epoch(), status });
    }
    const cell = document.querySelector('td .meas');
    const measured = !!cell && (cell.textContent ?? '').trim() !== '';
    if (measured !== b.measured) {
      b.measured = measured;
      b.transitions.push({ at: epoch(), measured });
    }
  };
  look();
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['data-status'] });
  return epoch();
}

/** The dashboard's document among the page's frames (the webview's inner iframe). */
async function dashboardFrame(ctx) {
  return ctx.poll(async () => {
    for (const f of ctx.page.frames()) {
      const found = await f.evaluate(() => !!document.querySelector('section.run-panel')).catch(() => false);
      if (found) return f;
    }
    return null;
  }, { timeoutMs: 120_000, intervalMs: 20, what: 'the dashboard frame' });
}

const state = (frame) => frame.evaluate(() => {
  const b = window.__nlBench;
  return { status: b.status, transitions: b.transitions, text: document.querySelector('.status-text')?.textContent ?? '' };
});

/** Waits for this run (transitions after `since`) to reach done, logging progress; returns its transitions. */
async function untilDone(ctx, frame, since, label) {
  let lastLog = Date.now();
  return ctx.poll(async () => {
    const s = await state(frame);
    const after = s.transitions.filter((t) => t.at >= since);
    if (Date.now() - lastLog > 20_000) {
      lastLog = Date.now();
      ctx.log(`${label}: ${s.status} · ${s.text}`);
    }
    const end = after.find((t) => t.status && !['queued', 'running'].includes(t.status));
    if (end && end.status !== 'done') throw new Error(`${label} ended ${end.status}: ${s.text}`);
    return end ? after : null;
  }, { timeoutMs: 600_000, intervalMs: 250, what: `${label} to finish` });
}

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Frame gaps and long tasks between two epoch times. */
async function frameStats(frame, from, to) {
  const { frames, longtasks } = await frame.evaluate(() => ({ frames: window.__nlBench.frames, longtasks: window.__nlBench.longtasks }));
  const inside = frames.filter((t) => t >= from && t <= to);
  const gaps = inside.slice(1).map((t, i) => t - inside[i]);
  const tasks = longtasks.filter(([start]) => start >= from && start <= to);
  const span = to - from;
  return {
    spanMs: span,
    frames: gaps.length,
    medianMs: percentile(gaps, 50),
    p95Ms: percentile(gaps, 95),
    maxMs: Math.max(...gaps),
    over50: gaps.filter((g) => g > 50).length / gaps.length,
    longTasks: tasks.length,
    longTaskMs: tasks.reduce((a, [, d]) => a + d, 0),
  };
}

function emit(ctx, prefix, m) {
  for (const [k, v] of Object.entries(m)) ctx.log(`BENCH-METRIC ${prefix}${k[0].toUpperCase()}${k.slice(1)}=${Number(v).toFixed(3)}`);
  ctx.log(`${prefix}: ${JSON.stringify(Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v * 100) / 100])))}`);
}

async function probeOnce(ctx, frame, label) {
  const lens = await ctx.waitFor('.monaco-editor .codelens-decoration a:visible', { hasText: /^Probe$/, timeoutMs: 60_000 });
  if (frame) await frame.evaluate(() => (window.__nlBench.frames.length = 0));
  const clicked = Date.now();
  await lens.click();
  if (!frame) {
    frame = await dashboardFrame(ctx);
    const installedAt = await frame.evaluate(installRecorder);
    ctx.log(`${label}: recorder installed ${Math.round(installedAt - clicked)} ms after the click`);
  }
  await ctx.poll(async () => (await state(frame)).status !== 'queued', { timeoutMs: 120_000, intervalMs: 100, what: `${label} to start` });
  await new Promise((r) => setTimeout(r, 1000));
  const looping = await infiniteAnimations(ctx.page);
  if (looping.length) ctx.log(`${label}: animations running forever while probing: ${looping.join(', ')}`);
  const transitions = await untilDone(ctx, frame, clicked, label);
  const first = transitions.find((t) => t.measured === true);
  const done = transitions.find((t) => t.status === 'done');
  if (!first) throw new Error(`${label}: no measured statistics appeared (transitions ${JSON.stringify(transitions)})`);
  const text = (await state(frame)).text;
  ctx.log(`${label}: ${text}; first statistics ${Math.round(first.at - clicked)} ms, done ${Math.round(done.at - clicked)} ms after the click`);
  const stats = await frameStats(frame, first.at, done.at);
  return { frame, clickToFirstMs: first.at - clicked, clickToDoneMs: done.at - clicked, stats, text, looping: looping.length };
}

export async function run(ctx) {
  await ctx.quickOpen('deep64.py');
  const cold = await probeOnce(ctx, null, 'cold probe');
  const warm = await probeOnce(ctx, cold.frame, 'warm probe');
  if (!/webgl/.test(warm.text)) throw new Error(`the probe did not run on WebGL: ${warm.text}`);
  const renderer = (await cold.frame.evaluate(() => document.querySelector('.renderer')?.textContent ?? '')).trim();
  ctx.log(`renderer: ${renderer}`);
  ctx.log(`BENCH-METRIC layers=${await cold.frame.evaluate(() => document.querySelectorAll('section.layers tbody tr').length)}`);
  emit(ctx, 'cold', { clickToFirstMs: cold.clickToFirstMs, clickToDoneMs: cold.clickToDoneMs });
  emit(ctx, 'warm', { clickToFirstMs: warm.clickToFirstMs, clickToDoneMs: warm.clickToDoneMs });
  emit(ctx, 'stream', warm.stats);
  emit(ctx, 'coldStream', cold.stats);
  ctx.log(`BENCH-METRIC infiniteAnimations=${cold.looping + warm.looping}`);
  await ctx.screenshot('streamed');
}
