import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { main } from '../../cli/main';
import { expectSound, loadAnalyzer } from './fuzzHarness';

// Nothing from a workspace is ever executed. Model files whose code would delete a sentinel directory, spawn
// processes, open sockets or unpickle files are analysed (by the Analyzer and by the CLI, which reads them from
// disk); afterwards the sentinel and its file are intact, no listener saw a connection, and none of the Node APIs
// that run or reach anything outside the process was called while the analysis ran.

// The builtins' real CommonJS export objects (an `import * as` namespace is a frozen copy that cannot be wrapped).
const load = createRequire(__filename);
const childProcess = load('node:child_process') as typeof import('node:child_process');
const dgram = load('node:dgram') as typeof import('node:dgram');
const fs = load('node:fs') as typeof import('node:fs');
const http = load('node:http') as typeof import('node:http');
const https = load('node:https') as typeof import('node:https');
const net = load('node:net') as typeof import('node:net');
const vm = load('node:vm') as typeof import('node:vm');
const workerThreads = load('node:worker_threads') as typeof import('node:worker_threads');

const root = join(__dirname, '..', '..');
const payloadDir = join(root, 'test', 'fixtures', 'hostile', 'payloads');

/** Replace exported functions with recording wrappers; returns the restore function. */
function record(calls: string[]): () => void {
  const restore: (() => void)[] = [];
  const wrap = (mod: Record<string, unknown>, names: string[], label: string): void => {
    for (const name of names) {
      const original = mod[name];
      if (typeof original !== 'function') continue;
      const wrapped = function (this: unknown, ...args: unknown[]) {
        calls.push(`${label}.${name}(${String(args[0]).slice(0, 80)})`);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      // A class (Worker, Script) must stay constructible.
      const replacement = /^[A-Z]/.test(name)
        ? new Proxy(original as new (...a: unknown[]) => object, {
            construct(target, args) {
              calls.push(`new ${label}.${name}(${String(args[0]).slice(0, 80)})`);
              return Reflect.construct(target, args);
            },
          })
        : wrapped;
      Object.defineProperty(mod, name, { value: replacement, configurable: true, writable: true });
      restore.push(() => Object.defineProperty(mod, name, { value: original, configurable: true, writable: true }));
    }
  };
  wrap(childProcess as unknown as Record<string, unknown>, ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'], 'child_process');
  wrap(net as unknown as Record<string, unknown>, ['connect', 'createConnection'], 'net');
  wrap(http as unknown as Record<string, unknown>, ['request', 'get'], 'http');
  wrap(https as unknown as Record<string, unknown>, ['request', 'get'], 'https');
  wrap(dgram as unknown as Record<string, unknown>, ['createSocket'], 'dgram');
  wrap(vm as unknown as Record<string, unknown>, ['runInThisContext', 'runInNewContext', 'runInContext', 'compileFunction', 'Script'], 'vm');
  wrap(workerThreads as unknown as Record<string, unknown>, ['Worker'], 'worker_threads');
  wrap(fs as unknown as Record<string, unknown>, ['rmSync', 'rm', 'rmdirSync', 'rmdir', 'unlinkSync', 'unlink', 'writeFileSync', 'writeFile', 'appendFileSync', 'renameSync', 'openSync'], 'fs');
  wrap(fs.promises as unknown as Record<string, unknown>, ['rm', 'rmdir', 'unlink', 'writeFile', 'appendFile', 'rename'], 'fs.promises');
  wrap(globalThis as unknown as Record<string, unknown>, ['fetch', 'eval'], 'globalThis');
  wrap(process as unknown as Record<string, unknown>, ['dlopen', 'kill'], 'process');
  const socketConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    calls.push(`net.Socket.connect(${JSON.stringify(args[0]).slice(0, 80)})`);
    return (socketConnect as (...a: unknown[]) => Socket).apply(this, args);
  } as typeof socketConnect;
  restore.push(() => {
    net.Socket.prototype.connect = socketConnect;
  });
  // ESM named imports of builtins are live bindings, refreshed from the CommonJS exports by this call.
  syncBuiltinESMExports();
  return () => {
    for (const r of restore.reverse()) r();
    syncBuiltinESMExports();
  };
}

/** The payloads with their placeholders filled in, written into a fresh workspace directory. */
function preparePayloads(sentinel: string, workspace: string, port: number): { name: string; path: string; text: string }[] {
  fs.writeFileSync(join(sentinel, 'keep.txt'), 'keep me');
  // Imported by a payload: if anything ran Python imports, this would leave a marker.
  fs.writeFileSync(join(workspace, 'evil_module_next_to_the_file.py'), `open(${JSON.stringify(join(sentinel, 'imported'))}, "w").write("x")\n`);
  return fs.readdirSync(payloadDir).sort().map((name) => {
    const text = fs.readFileSync(join(payloadDir, name), 'utf8').split('__SENTINEL__').join(sentinel).split('__PORT__').join(String(port));
    const path = join(workspace, name);
    fs.writeFileSync(path, text);
    return { name, path, text };
  });
}

test('the recorder sees what it must: a spawned process and a file write are recorded', () => {
  // Guards the test below against passing vacuously (wrappers that record nothing).
  const calls: string[] = [];
  const restore = record(calls);
  const scratch = fs.mkdtempSync(join(tmpdir(), 'normlens-recorder-'));
  try {
    childProcess.execFileSync(process.execPath, ['-e', '0']);
    fs.writeFileSync(join(scratch, 'x'), 'x');
  } finally {
    restore();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  assert.ok(calls.some((c) => c.startsWith('child_process.execFileSync')), calls.join('; '));
  assert.ok(calls.some((c) => c.startsWith('fs.writeFileSync')), calls.join('; '));
});

test('model files that would delete files, spawn processes or open sockets are analysed and nothing happens', async () => {
  const analyzer = await loadAnalyzer();
  const sentinel = fs.mkdtempSync(join(tmpdir(), 'normlens-sentinel-'));
  const workspace = fs.mkdtempSync(join(tmpdir(), 'normlens-workspace-'));
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const files = preparePayloads(sentinel, workspace, (server.address() as AddressInfo).port);
  const calls: string[] = [];
  const outputs: string[] = [];
  try {
    const restore = record(calls);
    try {
      for (const f of files) {
        const r = analyzer.analyze(f.path, f.text);
        // It was really analysed: the model behind the payload is there.
        assert.ok(r.models.length > 0 && r.models[0].layers.length > 0, `${f.name}: no model read`);
        expectSound(f.path, f.text, r);
      }
      // The CLI reads the same files from disk and analyses them in one run.
      const code = await main(['analyze', ...files.map((f) => f.path), '--json'], (s) => outputs.push(s), (s) => outputs.push(s));
      assert.ok(code === 0 || code === 1, `cli exit code ${code}`);
    } finally {
      restore();
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // a stray connection, had there been one, arrives
    assert.deepEqual(calls, [], 'no process, socket, eval or file write was attempted while analysing');
    assert.equal(connections, 0, 'the listener saw no connection');
    assert.ok(fs.existsSync(sentinel), 'the sentinel directory still exists');
    assert.equal(fs.readFileSync(join(sentinel, 'keep.txt'), 'utf8'), 'keep me');
    assert.deepEqual(fs.readdirSync(sentinel), ['keep.txt'], 'no marker was created in the sentinel directory');
    const report = JSON.parse(outputs.join('\n')) as { files: { models: unknown[] }[] };
    assert.equal(report.files.length, files.length);
    assert.ok(report.files.every((f) => f.models.length > 0));
    console.log(`security: ${files.length} payload files (${files.map((f) => f.name).join(', ')}) analysed twice (Analyzer, CLI); 0 calls to child_process / net / http / vm / fs writes, 0 connections, sentinel intact`);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    fs.rmSync(sentinel, { recursive: true, force: true });
    fs.rmSync(workspace, { recursive: true, force: true });
  }
});

test('the analysis path imports nothing that can run code or reach outside the process', () => {
  // A static guard behind the dynamic one: the front ends, theory, findings, presentation and CLI never import a
  // process, network, VM or worker API, nor build code from strings.
  const forbidden = /from ['"](node:)?(child_process|vm|net|http|https|http2|dgram|worker_threads|cluster|inspector)['"]|require\(['"](node:)?(child_process|vm|net|http|https|dgram|worker_threads)['"]\)|\beval\s*\(|new Function\s*\(/;
  const roots = ['core/frontends', 'core/theory', 'core/findings', 'core/presentation', 'core/analyzer.ts', 'core/initializers.ts', 'core/shapes.ts', 'core/ir.ts', 'cli/main.ts'];
  const offenders: string[] = [];
  const visit = (p: string): void => {
    const full = join(root, p);
    if (fs.statSync(full).isDirectory()) for (const e of fs.readdirSync(full)) visit(join(p, e));
    else if (p.endsWith('.ts') && forbidden.test(fs.readFileSync(full, 'utf8'))) offenders.push(relative(root, full));
  };
  for (const r of roots) visit(r);
  assert.deepEqual(offenders, []);
});
