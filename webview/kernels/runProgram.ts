/**
 * Running a NormLens GPGPUProgram on the active tfjs WebGL backend and getting an ordinary tracked tf.Tensor back
 * (disposed by the surrounding tf.tidy like any op's output). Per-call scalars travel as custom uniform values,
 * so one compiled shader serves every seed, rate and slope.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GPGPUProgram, MathBackendWebGL } from '@tensorflow/tfjs-backend-webgl';

/** One entry of `GPGPUProgram.customUniforms` (the type tfjs declares inline). */
export type CustomUniform = NonNullable<GPGPUProgram['customUniforms']>[number];

/** The active backend when it is tfjs' WebGL 2 backend (our shaders use uint arithmetic), else null. */
export function activeWebGL2(): MathBackendWebGL | null {
  if (tf.getBackend() !== 'webgl') return null;
  if (tf.env().getNumber('WEBGL_VERSION') !== 2) return null;
  return tf.backend() as MathBackendWebGL;
}

/**
 * Run `program` on `inputs` (in `program.variableNames` order) with `uniforms` (one array per entry of
 * `program.customUniforms`, in order). Packed-ness conversions of the inputs are done by tfjs when needed.
 */
export function runProgram(program: GPGPUProgram, inputs: tf.Tensor[], uniforms?: number[][], dtype: tf.DataType = 'float32'): tf.Tensor {
  const backend = activeWebGL2();
  if (!backend) throw new Error(`NormLens kernel ${program.constructor.name}: needs the tfjs WebGL 2 backend (active: ${tf.getBackend()})`);
  const info = backend.runWebGLProgram(program, inputs, dtype, uniforms);
  return tf.engine().makeTensorFromTensorInfo(info, backend);
}

/** Programs built by cachedProgram: per class, by arguments (insertion order: the oldest go first). */
const programs = new Map<Function, Map<string, GPGPUProgram>>();
const MAX_CACHED_PER_CLASS = 256;

/**
 * `new Program(...args)`, built once per class and JSON-equal arguments: a program object is plain data (its GLSL,
 * shapes, uniform names), and building the statistics programs' GLSL every sample point cost more page time than
 * issuing them. tfjs still finds the compiled binary by the program's source, as for any program.
 */
export function cachedProgram<A extends unknown[]>(Program: new (...args: A) => GPGPUProgram, ...args: A): GPGPUProgram {
  let byArgs = programs.get(Program);
  if (!byArgs) programs.set(Program, (byArgs = new Map()));
  const key = JSON.stringify(args);
  let program = byArgs.get(key);
  if (!program) {
    if (byArgs.size >= MAX_CACHED_PER_CLASS) byArgs.delete(byArgs.keys().next().value as string);
    byArgs.set(key, (program = new Program(...args)));
  }
  return program;
}
