// Node-side tests of `normlens probe --backend webgl`, run by the WebGL suite driver (run.mjs) after the in-page
// tests: the command line itself starts headless Chromium, so these spawn it as a user would and compare with
// `--backend cpu` and `normlens analyze`.
//
// Tolerance at step 0 (same seed, same initial weights and batch; float32 on SwiftShader vs float32 on the tfjs
// CPU backend): |webgl - cpu| <= 1e-4 + 1e-3 |cpu| for loss, mean, variance, gradient norm and update ratio;
// <= 1e-3 for the saturated and dead fractions (below one unit of 256 for dead units). Measured: ~1e-6 relative.
import { spawn } from 'node:child_process';
import { repoRoot } from './browserPage.mjs';

const example = 'examples/selu_default_init.py';

/** Run a command in the repo root; resolves { code, stdout, stderr } (killed after `timeoutMs`). */
function runNode(args, timeoutMs = 180_000) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? `killed by ${signal}` : 1), stdout, stderr });
    });
  });
}

/** The CLI from its TypeScript sources (the page is bundled at run time). */
const fromSources = (...args) => runNode(['--import', 'tsx', 'cli/main.ts', ...args]);

function check(cond, message) {
  if (!cond) throw new Error(message);
}

function parseJson(r, what) {
  check(r.code === 0, `${what}: exit ${r.code}\n${r.stderr}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${what}: stdout is not JSON: ${r.stdout.slice(0, 200)}`);
  }
}

/** Largest |webgl - cpu| / (abs + rel |cpu|) over the measured statistics of every layer (must be <= 1). */
function compareMeasured(w, c, notes) {
  const fractions = new Set(['saturation', 'dead']);
  let worst = { ratio: 0, where: '' };
  let maxRel = 0;
  w.layers.forEach((lw, i) => {
    const lc = c.layers[i];
    for (const phase of ['initial', 'final']) {
      for (const [k, a] of Object.entries(lw.measured[phase])) {
        const b = lc.measured[phase][k];
        if (a === null || b === null) {
          check(a === b, `layer ${lw.index} ${phase}.${k}: webgl ${a} vs cpu ${b}`);
          continue;
        }
        const d = Math.abs(a - b);
        const bound = fractions.has(k) ? 1e-3 : 1e-4 + 1e-3 * Math.abs(b);
        if (Math.abs(b) > 1e-3) maxRel = Math.max(maxRel, d / Math.abs(b));
        if (d / bound > worst.ratio) worst = { ratio: d / bound, where: `layer ${lw.index} ${phase}.${k}: webgl ${a} vs cpu ${b}` };
      }
    }
  });
  notes.push(`step-0 statistics of ${w.layers.length} layers: max rel diff ${maxRel.toExponential(2)} (${(100 * worst.ratio).toFixed(2)}% of the tolerance)`);
  check(worst.ratio <= 1, `webgl and cpu differ beyond tolerance at ${worst.where}`);
}

export const cliTests = [
  {
    name: 'cli: probe --backend webgl --steps 0 --json equals --backend cpu (and analyze\'s layers)',
    async run(notes) {
      const common = ['probe', example, '--steps', '0', '--seed', '5', '--json'];
      const webgl = parseJson(await fromSources(...common, '--backend', 'webgl'), 'webgl probe');
      const cpu = parseJson(await fromSources(...common, '--backend', 'cpu'), 'cpu probe');
      const analyzed = parseJson(await fromSources('analyze', example, '--json'), 'analyze');
      const w = webgl.files[0].models[0];
      const c = cpu.files[0].models[0];
      const a = analyzed.files[0].models[0];
      check(w.error === null && w.name === 'SeluMLP', `webgl model: ${JSON.stringify({ name: w.name, error: w.error })}`);
      check(w.backend === 'webgl', `backend ${w.backend}`);
      check(/SwiftShader|ANGLE|WebGL/i.test(w.renderer) && !/tfjs-backend-cpu/.test(w.renderer), `renderer "${w.renderer}"`);
      check(c.backend === 'cpu', `cpu backend ${c.backend}`);
      notes.push(`renderer: ${w.renderer}`);
      check(w.steps === 0 && w.loss.length === 1 && w.diverged === null, `steps ${w.steps}, ${w.loss.length} losses, diverged ${JSON.stringify(w.diverged)}`);
      check(JSON.stringify(w.layers.map((l) => [l.index, l.line, l.kind])) === JSON.stringify(a.layers.map((l) => [l.index, l.line, l.kind])), 'layer indices / lines / kinds differ from analyze');
      check(JSON.stringify(w.layers.map((l) => [l.index, l.line])) === JSON.stringify(c.layers.map((l) => [l.index, l.line])), 'layers differ from the cpu probe');
      check(Math.abs(w.loss[0] - c.loss[0]) <= 1e-4 + 1e-3 * Math.abs(c.loss[0]), `loss webgl ${w.loss[0]} vs cpu ${c.loss[0]}`);
      notes.push(`loss at step 0: webgl ${w.loss[0]}, cpu ${c.loss[0]}`);
      // The example's collapsing variance (PyTorch default init under SELU) is measured on WebGL too.
      const dense = w.layers.filter((l) => l.kind === 'dense').map((l) => l.measured.initial.variance);
      check(dense[dense.length - 1] < dense[0] / 4, `dense variances ${dense.map((v) => v.toFixed(3)).join(', ')} do not collapse`);
      compareMeasured(w, c, notes);
    },
  },
  {
    name: 'cli: the built command (dist/cli.js + prebuilt dist/probe-page.js) trains on webgl and prints its table',
    async run(notes) {
      const build = await runNode(['scripts/build.mjs', '--only=cli,probe-page']);
      check(build.code === 0, `build failed: ${build.stderr || build.stdout}`);
      const t0 = Date.now();
      const json = parseJson(await runNode(['bin/normlens.js', 'probe', example, '--backend', 'webgl', '--steps', '6', '--every', '2', '--json']), 'built webgl probe');
      const m = json.files[0].models[0];
      notes.push(`6 steps of ${m.name} on webgl through dist/cli.js in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      check(m.backend === 'webgl' && m.status === 'completed' && m.steps === 6, `backend ${m.backend}, status ${m.status}, steps ${m.steps}`);
      check(JSON.stringify(m.sampleSteps) === '[0,2,4,6]', `sample steps ${JSON.stringify(m.sampleSteps)}`);
      check(m.loss.every(Number.isFinite) && m.loss[3] < m.loss[0], `loss ${m.loss.join(', ')} does not fall`);
      const table = await runNode(['bin/normlens.js', 'probe', example, '--backend', 'webgl', '--steps', '2']);
      check(table.code === 0, `table run exit ${table.code}: ${table.stderr}`);
      check(/SeluMLP \(webgl, 2 steps, classification, loss [\d.]+ -> [\d.]+\)/.test(table.stdout), `table header: ${table.stdout.split('\n')[0]}`);
      check(table.stderr === '', `stderr: ${table.stderr}`);
    },
  },
];
