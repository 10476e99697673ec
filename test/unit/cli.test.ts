import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { main, parseArgs } from '../../cli/main';

const root = join(__dirname, '..', '..');

async function runCli(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, (s) => out.push(s), (s) => err.push(s));
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('parseArgs: commands, files, flags and usage errors', () => {
  assert.deepEqual(parseArgs(['analyze', 'a.py', '--json', 'b.json']).files, ['a.py', 'b.json']);
  assert.equal(parseArgs(['analyze', 'a.py', '--json']).json, true);
  assert.equal(parseArgs(['probe', 'a.py', '--steps', '10']).options.steps, '10');
  assert.equal(parseArgs([]).error, 'missing command');
  assert.equal(parseArgs(['frobnicate', 'x']).error, 'unknown command "frobnicate"');
  assert.equal(parseArgs(['analyze']).error, 'no files given');
  assert.equal(parseArgs(['analyze', 'a.py', '--bogus']).error, 'unknown option --bogus');
  assert.equal(parseArgs(['probe', 'a.py', '--steps']).error, '--steps needs a value');
});

test('usage errors exit 2 with a one-line message first', async () => {
  const r = await runCli(['analyze']);
  assert.equal(r.code, 2);
  assert.match(r.err.split('\n')[0], /^normlens: no files given$/);
});

test('an unreadable file exits 2, says why, and still reports it in --json', async () => {
  const r = await runCli(['analyze', join(root, 'no-such-file.py'), '--json']);
  assert.equal(r.code, 2);
  assert.match(r.err, /cannot read .*no-such-file\.py: no such file/);
  const json = JSON.parse(r.out);
  assert.equal(json.files[0].error, 'cannot read: no such file');
  assert.deepEqual(json.files[0].models, []);
});

test('analyze --json on the SELU example: shape of the contract and the selu-init finding', async () => {
  const r = await runCli(['analyze', join(root, 'examples', 'selu_default_init.py'), '--json']);
  assert.equal(r.code, 0, r.err);
  const file = JSON.parse(r.out).files[0];
  assert.equal(file.format, 'pytorch');
  assert.equal(file.error, null);
  const model = file.models[0];
  assert.equal(model.name, 'SeluMLP');
  const fc1 = model.layers[0];
  assert.equal(fc1.kind, 'dense');
  assert.equal(fc1.name, 'fc1');
  assert.equal(fc1.in, 784);
  assert.equal(fc1.out, 256);
  assert.equal(fc1.line, 18);
  assert.equal(fc1.init.scheme, 'pytorch_default');
  assert.ok(Math.abs(fc1.init.weightVariance - 1 / (3 * 784)) < 1e-12);
  assert.equal(model.layers[1].kind, 'activation');
  assert.equal(model.layers[1].activation, 'selu');
  const seluInit = file.findings.filter((f: { code: string }) => f.code === 'selu-init');
  assert.equal(seluInit.length, 4, 'fc1..fc4 feed SELU');
  assert.equal(seluInit[0].severity, 'error');
  assert.match(seluInit[0].message, /sigma_w\^2 = fan_in\*Var\(w\) = 0\.333/);
  assert.ok(file.findings.some((f: { code: string }) => f.code === 'selu-dropout'));
});

test('the bin entry runs from a checkout (npx normlens)', () => {
  const r = spawnSync(process.execPath, [join(root, 'bin', 'normlens.js'), 'analyze', join(root, 'examples', 'deep_sigmoid_mlp.py')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /model net/);
  assert.match(r.stdout, /\[saturation\]/);
});
