/**
 * Shared pieces of the fuzz suites (fuzz*.test.ts): the invariants every analysis must satisfy whatever the input,
 * the seed corpus (the real fixtures), mutation operators, and a recorder for time and memory figures.
 *
 * The invariants are checked by an oracle written independently of the code under test: line breaks are split
 * here the way VS Code splits them, edits are applied here, and JSON ranges are re-parsed with JSON.parse.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Analyzer, type FileAnalysis } from '../../core/analyzer';
import { FINDING_CODES, type TextEdit } from '../../core/findings/types';
import type { SourceRange } from '../../core/ir';

/** Hang guard per analysis: generous on purpose (2 shared cores, other suites running). Not a speed target. */
export const HANG_GUARD_MS = 10_000;

const root = join(__dirname, '..', '..');

let analyzer: Promise<Analyzer> | null = null;

/** The one Analyzer of a test process (loading tree-sitter takes a while). */
export function loadAnalyzer(): Promise<Analyzer> {
  analyzer ??= Analyzer.create();
  return analyzer;
}

/** A seed file: a real fixture or example, with the path it is analysed under. */
export interface SeedFile {
  name: string;
  path: string;
  text: string;
}

function filesIn(dir: string, ext: string): SeedFile[] {
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => ({ name: `${dir}/${f}`, path: f, text: readFileSync(join(root, dir, f), 'utf8') }));
}

/** Every Python fixture and example: the seeds the Python mutations start from. */
export function pythonSeeds(): SeedFile[] {
  return [...filesIn('test/fixtures/pytorch', '.py'), ...filesIn('test/fixtures/keras', '.py'), ...filesIn('examples', '.py')];
}

/** Every JSON topology fixture and example. */
export function jsonSeeds(): SeedFile[] {
  return [...filesIn('test/fixtures/json', '.json'), ...filesIn('examples', '.json')];
}

// ---------------------------------------------------------------------------------------------------------------
// Invariants

/** Lines as VS Code counts them: \n, \r\n and a lone \r all end a line. */
export function editorLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** Offset of a 0-based (line, column) in `text`, by the editor's line breaks; -1 when it is not in the text. */
export function offsetOf(text: string, lines: string[], starts: number[], line: number, column: number): number {
  if (line < 0 || line >= lines.length || column < 0 || column > lines[line].length) return -1;
  return starts[line] + column;
}

/** Start offset of every editor line. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  const re = /\r\n|\r|\n/g;
  for (let m = re.exec(text); m; m = re.exec(text)) starts.push(m.index + m[0].length);
  return starts;
}

/** Apply non-overlapping edits to `text` (as the editor would), by the editor's line breaks. */
export function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = editorLines(text);
  const starts = lineStarts(text);
  const spans = edits
    .map((e) => ({
      start: offsetOf(text, lines, starts, e.range.startLine, e.range.startColumn),
      end: offsetOf(text, lines, starts, e.range.endLine, e.range.endColumn),
      newText: e.newText,
    }))
    .sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  for (const s of spans) out = out.slice(0, s.start) + s.newText + out.slice(s.end);
  return out;
}

/** Words a message must not contain unless the file itself does (then it may be quoting the file). */
const LEAKED_WORDS = ['undefined', 'NaN', 'Infinity', '[object', 'null'];

/** Errors that mean the analyzer itself failed, not the file: always a defect. */
const INTERNAL_ERROR = /could not (read|analyse|analyze) this|failed while predicting|Maximum call stack|is not a function|Cannot read prop|Invalid (string|array) length/i;

/**
 * Every problem with one analysis, as human-readable strings (empty when it is sound). What is checked:
 * - no internal failure surfaces as the file's error;
 * - every finding: a known code, a range inside the file (0 <= line < line count, columns inside their lines),
 *   related ranges too, a non-empty message without leaked `undefined` / `NaN` / `Infinity` / `null` text, and
 *   fixes whose edits lie inside the file and do not overlap;
 * - every model and layer range and every partial reason's range inside the file; reasons non-empty;
 *   layer.index equal to its position;
 * - every prediction number finite, or the layer's prediction `unknown` says why; saturation in [0, 1];
 * - a model whose description is incomplete (a layer without a width, a prediction marked unknown) says why:
 *   a partial reason on the model or an `unknown` text on that layer's prediction;
 * - JSON files: each layer's range re-parses to the layer object itself (class_name and name), each init
 *   range to an initializer object.
 */
export function analysisProblems(path: string, text: string, r: FileAnalysis): string[] {
  const out: string[] = [];
  const lines = editorLines(text);
  const starts = lineStarts(text);
  const inFile = (rg: SourceRange | null | undefined, what: string): void => {
    if (!rg) {
      out.push(`${what}: missing range`);
      return;
    }
    const a = offsetOf(text, lines, starts, rg.startLine, rg.startColumn);
    const b = offsetOf(text, lines, starts, rg.endLine, rg.endColumn);
    if (![rg.startLine, rg.startColumn, rg.endLine, rg.endColumn].every(Number.isInteger)) out.push(`${what}: non-integer range ${JSON.stringify(rg)}`);
    else if (a < 0 || b < 0) out.push(`${what}: range ${JSON.stringify(rg)} outside the file (${lines.length} lines)`);
    else if (a > b) out.push(`${what}: reversed range ${JSON.stringify(rg)}`);
  };
  const cleanText = (s: string, what: string): void => {
    for (const w of LEAKED_WORDS) if (s.includes(w) && !text.includes(w)) out.push(`${what}: "${w}" in ${JSON.stringify(s.slice(0, 300))}`);
  };

  if (!Array.isArray(r.findings) || !Array.isArray(r.models) || !Array.isArray(r.predictions)) out.push('result is missing its arrays');
  if (r.error && INTERNAL_ERROR.test(r.error.message)) out.push(`internal error surfaced: ${r.error.message}`);
  if (r.error) cleanText(r.error.message, 'error');
  if (r.predictions.length !== r.models.length) out.push(`${r.models.length} models but ${r.predictions.length} predictions`);

  for (const f of r.findings) {
    if (!(FINDING_CODES as readonly string[]).includes(f.code)) out.push(`unknown finding code ${f.code}`);
    inFile(f.range, `finding ${f.code}`);
    if (!f.message) out.push(`finding ${f.code}: empty message`);
    cleanText(f.message, `finding ${f.code}`);
    for (const rel of f.related) {
      inFile(rel.range, `related of ${f.code}`);
      cleanText(rel.message, `related of ${f.code}`);
    }
    for (const fix of f.fixes) {
      cleanText(fix.title, `fix title of ${f.code}`);
      const spans: [number, number][] = [];
      for (const e of fix.edits) {
        inFile(e.range, `edit of ${f.code}`);
        cleanText(e.newText, `edit text of ${f.code}`);
        spans.push([offsetOf(text, lines, starts, e.range.startLine, e.range.startColumn), offsetOf(text, lines, starts, e.range.endLine, e.range.endColumn)]);
      }
      spans.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (let i = 1; i < spans.length; i++) if (spans[i][0] < spans[i - 1][1]) out.push(`fix of ${f.code} has overlapping edits`);
    }
  }

  r.models.forEach((m, mi) => {
    inFile(m.range, `model ${mi}`);
    m.layers.forEach((l, li) => {
      inFile(l.range, `layer ${l.name}`);
      if (l.index !== li) out.push(`layer ${l.name}: index ${l.index} at position ${li}`);
      if (l.init?.range) inFile(l.init.range, `init of ${l.name}`);
      for (const d of [l.in.value, l.out.value]) if (d !== null && !(Number.isInteger(d) && d > 0)) out.push(`layer ${l.name}: width ${d} in the IR`);
    });
    for (const p of m.partial) {
      if (!p.reason || !p.reason.trim()) out.push(`model ${m.name}: empty partial reason`);
      cleanText(p.reason, `partial reason of ${m.name}`);
      if (p.range) inFile(p.range, `partial reason of ${m.name}`);
    }
    const pred = r.predictions[mi];
    if (!pred) return;
    if (pred.layers.length !== m.layers.length) out.push(`model ${m.name}: ${m.layers.length} layers, ${pred.layers.length} predictions`);
    pred.layers.forEach((p, i) => {
      const nums: Record<string, number | null> = {
        mean: p.mean, variance: p.variance, secondMoment: p.secondMoment, preVariance: p.preVariance, saturation: p.saturation,
        inactive: p.inactive, gradGain: p.gradGain, cumulativeGradGain: p.cumulativeGradGain,
      };
      const bad = Object.entries(nums).filter(([, v]) => v !== null && !Number.isFinite(v));
      if (bad.length && !(p.unknown && p.unknown.trim())) out.push(`model ${m.name} layer ${i} (${m.layers[i]?.kind}): ${bad.map(([k, v]) => `${k}=${v}`).join(', ')} without an unknown reason`);
      if (Number.isFinite(p.saturation) && (p.saturation < 0 || p.saturation > 1)) out.push(`layer ${i}: saturation ${p.saturation}`);
      if (p.unknown !== null && !p.unknown.trim()) out.push(`layer ${i}: empty unknown reason`);
      if (p.unknown) cleanText(p.unknown, `unknown of layer ${i}`);
    });
    const incomplete = m.layers.some((l, i) => ((l.kind === 'dense' || l.kind.startsWith('conv')) && (l.in.value === null || l.out.value === null) && !pred.layers[i]?.unknown));
    if (incomplete && m.partial.length === 0) out.push(`model ${m.name}: a weight layer has no width and nothing says why`);
  });

  if (path.toLowerCase().endsWith('.json') && !r.error) out.push(...jsonRangeProblems(text, lines, starts, r));
  return out;
}

/** Every value stored under a key naming an initializer, anywhere inside a layer object (wrappers included). */
function initializerValues(o: unknown, out: unknown[] = []): unknown[] {
  if (Array.isArray(o)) for (const x of o) initializerValues(x, out);
  else if (o && typeof o === 'object') {
    for (const [k, v] of Object.entries(o)) {
      if (/initializer$|^init$/.test(k)) out.push(v);
      initializerValues(v, out);
    }
  }
  return out;
}

function jsonRangeProblems(text: string, lines: string[], starts: number[], r: FileAnalysis): string[] {
  const out: string[] = [];
  const parseAt = (rg: SourceRange): unknown => {
    const a = offsetOf(text, lines, starts, rg.startLine, rg.startColumn);
    const b = offsetOf(text, lines, starts, rg.endLine, rg.endColumn);
    try {
      // Python's json writes NaN / Infinity; the front end reads them, so the oracle must too.
      return JSON.parse(text.slice(a, b).replace(/"(?:[^"\\]|\\.)*"|-?\bInfinity\b|\bNaN\b/g, (m) => (m.startsWith('"') ? m : 'null')));
    } catch {
      return undefined;
    }
  };
  for (const m of r.models) {
    for (const l of m.layers) {
      const o = parseAt(l.range) as { class_name?: unknown; name?: unknown; config?: { name?: unknown } } | undefined;
      if (!o || typeof o !== 'object') {
        out.push(`JSON layer ${l.name}: its range is not a JSON object`);
        continue;
      }
      if (o.class_name !== l.sourceType) out.push(`JSON layer ${l.name}: range holds class_name ${String(o.class_name)}, layer says ${l.sourceType}`);
      const own = typeof o.config?.name === 'string' ? o.config.name : typeof o.name === 'string' ? o.name : null;
      if (own !== null && !l.name.endsWith(own)) out.push(`JSON layer ${l.name}: range holds layer "${own}"`);
      if (l.init?.range && l.init.explicit) {
        // The init range is the value of the layer's *initializer / init key, whatever the file put there.
        const init = JSON.stringify(parseAt(l.init.range));
        if (!initializerValues(o).some((v) => JSON.stringify(v) === init)) out.push(`JSON layer ${l.name}: init range is not the layer's initializer value`);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Figures

/** Worst time, inputs tried and peak memory for one property, printed at the end of a test. */
export class Figures {
  inputs = 0;
  worstMs = 0;
  worstKind = '';
  private readonly startRss = process.memoryUsage().rss;

  constructor(readonly property: string) {}

  /** The slowest input itself, written out when NORMLENS_FUZZ_DUMP names a file (to study or to pin). */
  worstInput = '';

  /** Time one analysis and remember the slowest. */
  time<T>(kind: string, run: () => T, input = ''): { value: T; ms: number } {
    const t0 = performance.now();
    const value = run();
    const ms = performance.now() - t0;
    this.inputs++;
    if (ms > this.worstMs) {
      this.worstMs = ms;
      this.worstKind = kind;
      this.worstInput = input;
    }
    return { value, ms };
  }

  /** One line for the test log: the figures the issue asks to report. */
  report(): string {
    const dump = process.env.NORMLENS_FUZZ_DUMP;
    if (dump && this.worstInput) writeFileSync(`${dump}.${this.property.replace(/\W+/g, '_')}`, this.worstInput);
    const peak = process.resourceUsage().maxRSS / 1024;
    return `fuzz figures | ${this.property}: ${this.inputs} inputs tried, worst analysis ${this.worstMs.toFixed(0)} ms (${this.worstKind}), peak RSS ${peak.toFixed(0)} MB (start ${(this.startRss / 1048576).toFixed(0)} MB)`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Mutations

/** Numbers put in place of numbers: zero, negative, huge, beyond double range, and things that are not numbers. */
export const PY_NUMBERS = ['0', '-1', '-64', '1e9', '10**9', '10**300', '1e308', '1e309', '2**64', "float('nan')", "float('inf')", "-float('inf')", '0.5', '99999999999999999999999', 'None', "'abc'", '[]', '{}', 'True', 'x'];
export const JSON_NUMBERS = ['0', '-1', '-64', '1e9', '1e300', '1e308', '1e309', '-1e309', 'NaN', 'Infinity', '-Infinity', '0.5', '99999999999999999999999', 'null', '"abc"', '[]', '{}', 'true', '[1, 2]', '{"a": 1}'];
export const PY_TOKENS = [
  '(', ')', '[', ']', '{', '}', ':', ',', '\n', '    ', '\t', '\r', '\r\n', '\\', '"', "'", '"""', '#', '@', '*', '**', '.', '-',
  'self', 'forward', 'return', 'yield', 'lambda x:', 'def f(', 'class A(nn.Module):', 'import torch.nn as nn\n', 'x = self(x)',
  'nn.Linear(', 'nn.Sequential(', 'Dense(', 'super().__init__()', 'while True:', 'for i in range(10**9):', 'elif', 'else:',
  'async', 'await', 'global x', 'del self', 'raise', 'try:', 'with x:', '\u0000', '\ufffd', '\u00e9', 'λ', '𝔁', '\u202e', '\ufeff',
];
export const JSON_TOKENS = ['{', '}', '[', ']', ':', ',', '"', '\\', '\n', '\r', ' ', 'null', 'true', '"class_name"', '"layers"', '"config"', '"inbound_nodes"', '"units": ', 'NaN', '//', '/*', '\u0000', '\ufffd', '\ufeff'];
const PY_IDENTS = ['x', 'self', 'nn', 'F', 'forward', '__init__', 'é', 'λ', 'Linear', 'layers', 'model', 'super', 'None', 'True', 'nn.Module', 'torch', 'keras', 'Sequential', 'SELU', 'tanh', 'in_features'];

/** A text-level mutation; `at` values are fractions of the text so one operator works on any file. */
export type TextMutation =
  | { k: 'truncate'; at: number }
  | { k: 'deleteLines'; at: number; n: number }
  | { k: 'duplicateLines'; at: number; n: number }
  | { k: 'swapLines'; at: number; b: number }
  | { k: 'insert'; at: number; tok: string }
  | { k: 'number'; which: number; tok: string }
  | { k: 'identifier'; which: number; tok: string }
  | { k: 'bytes'; at: number; bytes: Uint8Array; encoding: 'utf8' | 'latin1' };

const frac = fc.double({ min: 0, max: 1, noNaN: true });

/** Mutations of source text, with the token and number vocabularies of the language. */
export function textMutation(lang: 'python' | 'json'): fc.Arbitrary<TextMutation> {
  const tokens = lang === 'python' ? PY_TOKENS : JSON_TOKENS;
  const numbers = lang === 'python' ? PY_NUMBERS : JSON_NUMBERS;
  return fc.oneof(
    fc.record({ k: fc.constant('truncate' as const), at: frac }),
    fc.record({ k: fc.constant('deleteLines' as const), at: frac, n: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ k: fc.constant('duplicateLines' as const), at: frac, n: fc.integer({ min: 1, max: 5 }) }),
    fc.record({ k: fc.constant('swapLines' as const), at: frac, b: frac }),
    fc.record({ k: fc.constant('insert' as const), at: frac, tok: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 6 })) }),
    fc.record({ k: fc.constant('number' as const), which: fc.nat(), tok: fc.constantFrom(...numbers) }),
    fc.record({ k: fc.constant('identifier' as const), which: fc.nat(), tok: lang === 'python' ? fc.constantFrom(...PY_IDENTS) : fc.constantFrom('"Dense"', '"Sequential"', '"InputLayer"', '"selu"', '""', '"a"') }),
    fc.record({ k: fc.constant('bytes' as const), at: frac, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }), encoding: fc.constantFrom('utf8' as const, 'latin1' as const) }),
  );
}

/** Decode bytes the way an editor does for a file of unknown encoding: UTF-8 with replacement chars, or latin1. */
export function decodeAsEditor(bytes: Uint8Array, encoding: 'utf8' | 'latin1'): string {
  return encoding === 'utf8' ? new TextDecoder('utf-8', { fatal: false }).decode(bytes) : Buffer.from(bytes).toString('latin1');
}

/** Apply one text mutation. */
export function mutateText(text: string, m: TextMutation): string {
  const lines = text.split('\n');
  const line = (x: number) => Math.min(lines.length - 1, Math.floor(x * lines.length));
  const pos = (x: number) => Math.floor(x * text.length);
  switch (m.k) {
    case 'truncate':
      return text.slice(0, pos(m.at));
    case 'deleteLines':
      lines.splice(line(m.at), m.n);
      return lines.join('\n');
    case 'duplicateLines': {
      const i = line(m.at);
      lines.splice(i, 0, ...lines.slice(i, i + m.n));
      return lines.join('\n');
    }
    case 'swapLines': {
      const a = line(m.at);
      const b = line(m.b);
      [lines[a], lines[b]] = [lines[b], lines[a]];
      return lines.join('\n');
    }
    case 'insert':
      return text.slice(0, pos(m.at)) + m.tok + text.slice(pos(m.at));
    case 'bytes':
      return text.slice(0, pos(m.at)) + decodeAsEditor(m.bytes, m.encoding) + text.slice(pos(m.at));
    case 'number':
    case 'identifier': {
      const re = m.k === 'number' ? /-?\b\d+(\.\d+)?([eE][-+]?\d+)?\b/g : /\b[A-Za-z_][A-Za-z0-9_]*\b/g;
      const hits = [...text.matchAll(re)];
      if (!hits.length) return text;
      const h = hits[m.which % hits.length];
      return text.slice(0, h.index) + m.tok + text.slice(h.index! + h[0].length);
    }
  }
}

/** Short description of a mutation list for worst-case reports. */
export function describeMutations(seed: string, ms: TextMutation[]): string {
  return `${seed} + ${ms.map((m) => m.k).join(',')}`;
}

/**
 * fc.assert with the failing assertion's message in the thrown error (the test log then says which invariant
 * broke, not only the counterexample), and the seed and path needed to replay it.
 */
export function assertProperty<Ts extends [unknown, ...unknown[]]>(property: fc.IProperty<Ts>, params: fc.Parameters<Ts>): void {
  const details = fc.check(property, params);
  if (!details.failed) return;
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    `property failed after ${details.numRuns} runs (seed ${details.seed}, path "${details.counterexamplePath}"):\n${cause}\ncounterexample: ${fc.stringify(details.counterexample).slice(0, 4000)}`,
  );
}

/**
 * Run counts and seeds: fixed by default so CI is reproducible and the suite stays near a minute on two shared
 * cores. NORMLENS_FUZZ_SCALE=20 multiplies the runs and NORMLENS_FUZZ_SEED=<n> shifts every seed, for long
 * exploratory runs on a workstation.
 */
export function fuzzParams(seed: number, numRuns: number): { seed: number; numRuns: number } {
  const scale = Number(process.env.NORMLENS_FUZZ_SCALE ?? 1);
  const shift = Number(process.env.NORMLENS_FUZZ_SEED ?? 0);
  return { seed: seed + shift, numRuns: Math.max(1, Math.round(numRuns * (Number.isFinite(scale) && scale > 0 ? scale : 1))) };
}

/**
 * Assert that an analysis is sound. With NORMLENS_FUZZ_DUMP set, each failing input is also written to
 * `<dump>.failing`; shrinking only moves to smaller failing inputs, so the file ends up holding the minimal one.
 */
export function expectSound(path: string, text: string, r: FileAnalysis): void {
  const problems = analysisProblems(path, text, r);
  if (problems.length && process.env.NORMLENS_FUZZ_DUMP) writeFileSync(`${process.env.NORMLENS_FUZZ_DUMP}.failing`, text);
  assert.deepEqual(problems, []);
}
