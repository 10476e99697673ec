/**
 * The WebGL backend of `normlens probe`: one headless Chromium for the whole command, the probe page
 * (cli/probePage.ts) loaded into it, one probe per model with its records streamed back as they are measured.
 *
 * The page script: dist/probe-page.js next to dist/cli.js when the CLI runs bundled; in a checkout (the CLI runs
 * from TypeScript through tsx) cli/probePage.ts bundled at run time with esbuild, so it is never stale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Model } from '../core/ir';
import { ProbePlanError, type ProbeConfig, type ProbeRecord, type ProbeResult } from '../core/probe/config';
import { BrowserUnavailableError, openScriptPage, packageRoot, runtimeRequire, type ChromiumPage } from './headlessChromium';
import type { PageProbeOutcome, ProbePageApi } from './probePage';

/** Where a probe runs, as the probe command sees it (the CPU backend implements the same shape in Node). */
export interface ProbeBackend {
  name: 'cpu' | 'webgl';
  renderer: string;
  /** Throws ProbePlanError / RangeError when the model cannot be probed. */
  probe(model: Model, config: Partial<ProbeConfig>, onRecord?: (r: ProbeRecord) => void): Promise<ProbeResult>;
  close(): Promise<void>;
}

/** The probe page's iife: prebuilt next to the bundle, or bundled now from the sources. */
export async function probePageScript(): Promise<string> {
  const prebuilt = join(__dirname, 'probe-page.js');
  if (!__filename.endsWith('.ts') && existsSync(prebuilt)) return readFileSync(prebuilt, 'utf8');
  let esbuild: typeof import('esbuild');
  try {
    esbuild = runtimeRequire('esbuild') as typeof import('esbuild');
  } catch {
    throw new BrowserUnavailableError(`the WebGL probe page is not built (no ${prebuilt}) and esbuild is not installed to build it: run npm run build`);
  }
  const entry = join(packageRoot, 'cli', 'probePage.ts');
  if (!existsSync(entry)) throw new BrowserUnavailableError(`the WebGL probe page is missing: neither ${prebuilt} nor ${entry} exists`);
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    mainFields: ['module', 'main'],
    logLevel: 'silent',
    absWorkingDir: packageRoot,
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  return out.outputFiles[0].text;
}

type PageWindow = { normlensProbe: ProbePageApi };

/**
 * Start Chromium with the probe page. Throws BrowserUnavailableError (a one-line reason) when there is no
 * browser, it cannot start, or it has no WebGL 2.
 */
export async function createWebglBackend(log: (line: string) => void = () => undefined): Promise<ProbeBackend> {
  const script = await probePageScript();
  const session: ChromiumPage = await openScriptPage(script, (type, text) => {
    // Chromium's note that a readback waits for the GPU is what a readback does by design.
    if (type === 'error' && !/GPU stall due to ReadPixels/.test(text)) log(`page: ${text}`);
  });
  let sink: ((r: ProbeRecord) => void) | null = null;
  try {
    await session.page.exposeFunction('normlensProbeRecord', (r: ProbeRecord) => sink?.(r));
    const renderer = await session.page.evaluate(() => (globalThis as unknown as PageWindow).normlensProbe.setup());
    if (!renderer) throw new BrowserUnavailableError('Chromium started but has no WebGL 2: use --backend cpu');
    if (session.pageErrors.length) throw new Error(`the probe page failed: ${session.pageErrors.join('; ')}`);
    return {
      name: 'webgl',
      renderer,
      async probe(model, config, onRecord) {
        const records: ProbeRecord[] = [];
        sink = (r) => {
          records.push(r);
          onRecord?.(r);
        };
        let outcome: PageProbeOutcome;
        try {
          outcome = await session.page.evaluate((a) => (globalThis as unknown as PageWindow).normlensProbe.probe(a.model, a.config), { model, config });
        } finally {
          sink = null;
        }
        if (!outcome.ok) {
          if (outcome.planError) throw new ProbePlanError(outcome.message);
          throw new Error(`WebGL probe of ${model.name} failed: ${outcome.message}`);
        }
        if (outcome.leakedTensors !== 0) log(`${model.name}: ${outcome.leakedTensors} tensors left on the GPU after the probe`);
        records.sort((x, y) => x.step - y.step);
        return { ...outcome.result, records };
      },
      close: () => session.close(),
    };
  } catch (e) {
    await session.close();
    throw e;
  }
}
