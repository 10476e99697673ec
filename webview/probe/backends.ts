/**
 * Choosing where a probe runs in the page: tfjs-backend-webgl (with NormLens' kernels, webview/kernels) when
 * WebGL works, else tfjs-backend-cpu, and saying which renderer did the work. The CPU fallback is slow, so a
 * run is scaled down (fewer steps) to fit a time cap, estimated from the model before anything is allocated.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import type { MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';
import type { Model } from '../../core/ir';
import type { ProbeConfig } from '../../core/probe/config';
import { fitProbeToBudget, type ProbeBudget } from '../../core/probe/cost';
import { plainOps, type ProbeOps } from '../../core/probe/ops';
import type { BackendPreference } from '../../core/protocol';
import { webglOps } from '../kernels/webglOps';

export interface ActiveBackend {
  backend: 'webgl' | 'cpu';
  renderer: string | null;
  ops: ProbeOps;
  /** Why this backend and not the one asked for, when they differ. */
  note: string | null;
  /** The WebGL canvas, to watch for a lost context. */
  canvas: HTMLCanvasElement | OffscreenCanvas | null;
  /** The WebGL context (null on the CPU): its loss is checked before each record is sent. */
  gl: WebGLRenderingContext | WebGL2RenderingContext | null;
  /** WebGL's MAX_TEXTURE_SIZE: the largest tensor one texture can hold is this squared. */
  maxTextureSize: number | null;
}

/** Memory a CPU fallback may use (the page shares the renderer process with the workbench). */
const CPU_MAX_BYTES = 1 << 30;

/** The renderer string of a WebGL context: the unmasked one when the browser exposes it. */
function rendererOf(gl: WebGLRenderingContext | WebGL2RenderingContext): string {
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
}

async function tryWebgl(): Promise<ActiveBackend | string> {
  try {
    if (!(await tf.setBackend('webgl'))) return 'WebGL is not available in this view';
    await tf.ready();
    const gl = (tf.backend() as MathBackendWebGL).gpgpu.gl;
    if (gl.isContextLost()) return 'the WebGL context is lost';
    const version = tf.env().getNumber('WEBGL_VERSION');
    const renderer = rendererOf(gl);
    const notes = [
      version === 2 ? null : `WebGL ${version}: NormLens' fused kernels need WebGL 2, stock tfjs ops are used`,
      /swiftshader|llvmpipe|software/i.test(renderer) ? 'software WebGL renderer (no GPU available to this view)' : null,
    ].filter(Boolean);
    return {
      backend: 'webgl',
      renderer,
      // The kernels need WebGL 2 (uint arithmetic in the dropout hash); webglOps falls back op by op otherwise.
      ops: webglOps,
      note: notes.join('; ') || null,
      canvas: gl.canvas,
      gl,
      maxTextureSize: Number(gl.getParameter(gl.MAX_TEXTURE_SIZE)) || null,
    };
  } catch (err) {
    return `WebGL failed to start: ${err instanceof Error ? err.message : String(err)}`;
  }
}

async function useCpu(note: string | null): Promise<ActiveBackend> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { backend: 'cpu', renderer: null, ops: plainOps, note, canvas: null, gl: null, maxTextureSize: null };
}

/**
 * Activate a backend for `preference`. 'webgl' without WebGL is an error (a string); 'auto' falls back to the
 * CPU with a note saying why. `webglLost` skips WebGL after a context loss earlier in this page.
 */
export async function activateBackend(preference: BackendPreference, webglLost: boolean): Promise<ActiveBackend | string> {
  // PROD skips tfjs' debug checks (per-op NaN scans): the probe finds divergence itself, once per sample point.
  tf.env().set('PROD', true);
  // tfjs refuses a software WebGL context (failIfMajorPerformanceCaveat) unless told otherwise; on a machine
  // without a GPU, SwiftShader / llvmpipe still runs a probe several times faster than the CPU backend
  // (performance-notes.md), and the renderer string the run reports says which one it was.
  tf.env().set('SOFTWARE_WEBGL_ENABLED', true);
  if (preference === 'cpu') return useCpu(null);
  const webgl = webglLost ? 'the WebGL context was lost earlier in this view' : await tryWebgl();
  if (typeof webgl !== 'string') return webgl;
  if (preference === 'webgl') return `${webgl} (the backend setting asks for WebGL only)`;
  return useCpu(`${webgl}: running on the CPU backend instead (slower, size-capped)`);
}

/** Memory a WebGL probe may use: well under what a GPU shared with the workbench and the screen can spare. */
const WEBGL_MAX_BYTES = 2 * 2 ** 30;

/**
 * The configuration to run on `active`: `config` when it fits the backend (WebGL: every tensor in one texture and
 * the GPU memory budget; CPU: memory and `cpuMaxSeconds` at the reference throughput), else scaled down (batch,
 * steps) with a note saying so. A string when it cannot run there at all.
 */
export function fitToBackend(model: Model, config: ProbeConfig, active: ActiveBackend, cpuMaxSeconds: number): { config: ProbeConfig; note: string | null } | string {
  const budget: ProbeBudget =
    active.backend === 'webgl'
      ? { backend: 'webgl', maxBytes: WEBGL_MAX_BYTES, maxSeconds: Infinity, maxTextureSize: active.maxTextureSize }
      : { backend: 'cpu', maxBytes: CPU_MAX_BYTES, maxSeconds: cpuMaxSeconds };
  const fitted = fitProbeToBudget(model, config, budget);
  if (fitted.refused) return fitted.refused;
  return { config: fitted.config, note: fitted.changes.length ? `${active.backend === 'cpu' ? 'CPU' : 'WebGL'} size cap: ${fitted.changes.join('; ')}` : null };
}
