/**
 * `normlens probe`: the --json contract of issue 4, --steps 0, seeds, exit codes, and the --backend webgl wiring
 * (the real headless-Chromium run is test/webgl/cliProbe.mjs).
 * Models come from the JSON front end through the injectable reader (the default reader is the Analyzer, as in
 * `normlens analyze`).
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { CliArgs } from '../../cli/main';
import { probeCommand, type ModelReader } from '../../cli/probeCommand';
import type { ProbeBackend } from '../../cli/webglBackend';
import { runProbe } from '../../core/probe/runner';
import { readJsonModels } from '../../core/frontends/json/readJson';
import { irLayer } from '../../core/probe/syntheticModels';

const fixtures = join(__dirname, '..', 'fixtures', 'json');
const residual = join(fixtures, 'keras3-functional-residual.json');
const jsonReader = async (): Promise<ModelReader> => (_path, text) => {
  const r = readJsonModels(text, {});
  return { models: r.models, error: r.error?.message ?? null };
};

before(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

async function probe(files: string[], options: Record<string, string>, json = true, reader = jsonReader) {
  const args: CliArgs = { command: 'probe', files, json, options, error: null };
  const out: string[] = [];
  const err: string[] = [];
  const code = await probeCommand(args, (s) => out.push(s), (s) => err.push(s), { createReader: reader });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('--backend webgl without a browser: one clear line, exit 2, nothing on stdout', async () => {
  const saved = process.env.NORMLENS_CHROMIUM;
  process.env.NORMLENS_CHROMIUM = join(fixtures, 'no-such-chromium');
  try {
    const r = await probe([residual], { backend: 'webgl' });
    assert.equal(r.code, 2);
    assert.equal(r.err, `normlens: no Chromium found: install Debian chromium or use --backend cpu (NORMLENS_CHROMIUM=${join(fixtures, 'no-such-chromium')} does not exist)`);
    assert.equal(r.out, '');
  } finally {
    if (saved === undefined) delete process.env.NORMLENS_CHROMIUM;
    else process.env.NORMLENS_CHROMIUM = saved;
  }
  const unknown = await probe([residual], { backend: 'tpu' });
  assert.equal(unknown.code, 2);
  assert.equal(unknown.err, 'normlens: unknown backend "tpu" (cpu or webgl)');
});

test('--backend webgl reports the backend\'s name and renderer per model and closes it once', async () => {
  // The browser itself is exercised by test/webgl/cliProbe.mjs; here the command's wiring with a backend that
  // runs the same engine in Node.
  let closed = 0;
  const createWebglBackend = async (): Promise<ProbeBackend> => ({
    name: 'webgl',
    renderer: 'test renderer',
    probe: (model, config) => runProbe(model, config),
    close: async () => void closed++,
  });
  const args: CliArgs = { command: 'probe', files: [residual, residual], json: true, options: { backend: 'webgl', steps: '0' }, error: null };
  const out: string[] = [];
  const code = await probeCommand(args, (s) => out.push(s), () => undefined, { createReader: jsonReader, createWebglBackend });
  assert.equal(code, 0);
  assert.equal(closed, 1);
  const files = JSON.parse(out.join('\n')).files;
  assert.equal(files.length, 2);
  for (const f of files) {
    assert.equal(f.models[0].backend, 'webgl');
    assert.equal(f.models[0].renderer, 'test renderer');
    assert.equal(f.models[0].loss.length, 1);
  }
});

test('--json prints the issue\'s shape: files[].models[].{name, backend, renderer, steps, diverged, loss[], layers[]}', async () => {
  const start = tf.memory().numTensors;
  const r = await probe([residual], { steps: '4', every: '2', seed: '7', batch: '16' });
  assert.equal(r.code, 0, r.err);
  assert.equal(tf.memory().numTensors, start);
  const file = JSON.parse(r.out).files[0];
  assert.equal(file.file, residual);
  assert.equal(file.error, null);
  const m = file.models[0];
  const ir = readJsonModels((await import('node:fs')).readFileSync(residual, 'utf8'), {}).models[0];
  assert.equal(m.name, 'residual_mlp');
  assert.equal(m.backend, 'cpu');
  assert.match(m.renderer, /^tfjs-backend-cpu 4\.22\.0 \(Node v\d+/);
  assert.equal(m.steps, 4);
  assert.equal(m.diverged, null);
  assert.equal(m.loss.length, 3);
  assert.deepEqual(m.sampleSteps, [0, 2, 4]);
  assert.deepEqual(m.layers.map((l: { index: number }) => l.index), ir.layers.map((l) => l.index));
  assert.deepEqual(m.layers.map((l: { line: number }) => l.line), ir.layers.map((l) => l.range.startLine + 1));
  assert.deepEqual(m.layers.map((l: { kind: string }) => l.kind), ir.layers.map((l) => l.kind));
  for (const l of m.layers) {
    for (const k of ['mean', 'variance', 'saturation', 'dead', 'gradNorm']) {
      assert.ok(k in l.measured.initial && k in l.measured.final, `layer ${l.index} ${k}`);
    }
  }
  assert.equal(typeof m.layers[0].measured.initial.gradNorm, 'number');
  // Same seed, same numbers.
  const again = JSON.parse((await probe([residual], { steps: '4', every: '2', seed: '7', batch: '16' })).out);
  assert.deepEqual(again.files[0].models[0].loss, m.loss);
});

test('--steps 0 measures the initialized network: one loss, initial = final', async () => {
  const r = await probe([residual], { steps: '0' });
  const m = JSON.parse(r.out).files[0].models[0];
  assert.equal(m.steps, 0);
  assert.equal(m.loss.length, 1);
  for (const l of m.layers) assert.deepEqual(l.measured.initial, l.measured.final);
});

test('table output, unreadable files (exit 2), bad options (exit 2), models that cannot be built (exit 1)', async () => {
  const t = await probe([residual], { steps: '2' }, false);
  assert.equal(t.code, 0);
  assert.match(t.out, /residual_mlp \(cpu, 2 steps, classification, loss [\d.]+ -> [\d.]+\)/);
  assert.match(t.out, /^\s+2\s+\d+\s+residual\s/m);
  const missing = await probe([join(fixtures, 'no-such.json')], {});
  assert.equal(missing.code, 2);
  assert.match(missing.err, /cannot read .*no-such\.json: no such file/);
  assert.equal(JSON.parse(missing.out).files[0].error, 'cannot read: no such file');
  const bad = await probe([residual], { steps: 'many' });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--steps must be an integer >= 0/);
  const unresolved: () => Promise<ModelReader> = async () => (path, text) => {
    const r = readJsonModels(text, {});
    const m = r.models[0];
    m.layers[0] = irLayer(0, 'dense', 64, 64, { out: { value: null, symbol: 'units' } });
    return { models: [m], error: null };
  };
  const refused = await probe([residual], { steps: '1' }, true, unresolved);
  assert.equal(refused.code, 1);
  const m = JSON.parse(refused.out).files[0].models[0];
  assert.match(m.error, /output width unresolved \(units\)/);
});
