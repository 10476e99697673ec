import type { FileModels, Model, SourceFormat, SourceRange } from '../../ir';
import { directiveBatchSize, readDirectives } from './directives';
import { discoverUnbuilt } from './discovery';
import { canonicalPath } from './imports';
import { BudgetExceeded, DEFAULT_LIMITS, Interp } from './interpreter';
import type { Candidate, Limits } from './interpreter';
import { buildModel } from './models';
import { childModules } from './moduleValues';
import type { PythonParser } from './parser';
import { execBlock } from './statements';
import { firstSyntaxError } from './syntax';
import type { Value } from './values';

/** Options of `readPythonModels`. */
export interface ReadPythonOptions {
  /** Used when the file does not say: spatial side of image inputs, training batch size. */
  defaults?: { inputSize?: number; batchSize?: number };
  /** Override evaluation limits (tests of hostile input). */
  limits?: Partial<Limits>;
}

/** Models reported per file; a generated file with thousands of Sequentials is cut here. */
const MAX_MODELS = 100;

/** Values reachable from a candidate (its submodules), to drop candidates that are parts of others. */
function reachable(v: Value, into: Set<Value>, depth = 0): void {
  if (depth > 64) return;
  for (const c of childModules(v)) {
    if (into.has(c.value)) continue;
    into.add(c.value);
    reachable(c.value, into, depth + 1);
  }
}

/**
 * Candidates that are not parts of other candidates. A module that contains itself (`self.me = self`,
 * `s.append(s)`) is not a part of anything else, and of two that contain each other the first one stays:
 * dropping every value reachable from any candidate made such models vanish without a word.
 */
function topLevel(candidates: Candidate[]): Candidate[] {
  const reachedBy = new Map<Value, number[]>();
  candidates.forEach((c, i) => {
    const parts = new Set<Value>();
    reachable(c.value, parts);
    for (const v of parts) {
      if (v === c.value) continue;
      const list = reachedBy.get(v);
      if (list) list.push(i);
      else reachedBy.set(v, [i]);
    }
  });
  return candidates.filter((c, i) =>
    !(reachedBy.get(c.value) ?? []).some((j) => {
      // j contains i; a mutual containment keeps the earlier of the two.
      const mutual = (reachedBy.get(candidates[j].value) ?? []).includes(i);
      return !mutual || j < i;
    }),
  );
}

function inside(a: SourceRange, outer: SourceRange): boolean {
  const after = a.startLine > outer.startLine || (a.startLine === outer.startLine && a.startColumn >= outer.startColumn);
  const before = a.startLine < outer.endLine || (a.startLine === outer.endLine && a.startColumn <= outer.endColumn);
  return after && before;
}

/** Which frameworks the file imports. */
function importedFrameworks(ip: Interp): { torch: boolean; keras: boolean } {
  let torch = false;
  let keras = false;
  for (const v of ip.globals.vars.values()) {
    if (v.t !== 'ref') continue;
    const p = canonicalPath(v.path);
    if (p === 'torch' || p.startsWith('torch.')) torch = true;
    if (p === 'keras' || p.startsWith('keras.') || p === 'tensorflow' || p.startsWith('tensorflow.')) keras = true;
  }
  return { torch, keras };
}

function formatOf(models: Model[], imports: { torch: boolean; keras: boolean }): SourceFormat {
  const torch = models.filter((m) => m.framework === 'pytorch').length;
  const keras = models.filter((m) => m.framework === 'keras').length;
  if (torch || keras) return torch >= keras ? 'pytorch' : 'keras';
  if (imports.torch) return 'pytorch';
  return imports.keras ? 'keras' : 'unknown';
}

/**
 * Longest Python text read. Parsing and walking a 5 MB file (generated code, pasted data) takes seconds on the
 * editor's thread and grows tree-sitter's WebAssembly heap by hundreds of MB for good; no hand-written model
 * needs more than a fraction of this. Longer files are read up to the last line break before it, and say so.
 */
export const MAX_PYTHON_CHARS = 1_000_000;

function sizeCut(text: string): { text: string; note: string | null } {
  if (text.length <= MAX_PYTHON_CHARS) return { text, note: null };
  const lastBreak = text.lastIndexOf('\n', MAX_PYTHON_CHARS - 1);
  const kept = text.slice(0, lastBreak > 0 ? lastBreak + 1 : MAX_PYTHON_CHARS);
  const lines = kept.split('\n').length - 1 || 1;
  const mb = (n: number) => (n / 1e6).toFixed(1);
  return { text: kept, note: `the file has ${mb(text.length)} million characters; NormLens reads the first ${mb(MAX_PYTHON_CHARS)} million (lines 1-${lines})` };
}

function analyse(fullText: string, parser: PythonParser, opts: ReadPythonOptions): FileModels {
  const { text, note: cutNote } = sizeCut(fullText);
  const tree = parser.parse(text);
  try {
    const directives = readDirectives(tree.rootNode);
    let syntax = firstSyntaxError(tree);
    // The cut may fall inside a statement: a syntax error in the last statement read is the cut's, not the file's.
    const last = tree.rootNode.lastChild;
    if (cutNote && syntax && last && syntax.range.startLine >= last.startPosition.row) syntax = null;
    const ip = new Interp(text, directives.values, { ...DEFAULT_LIMITS, ...opts.limits });
    let truncated = false;
    try {
      execBlock(ip, tree.rootNode, ip.globals);
    } catch (err) {
      if (!(err instanceof BudgetExceeded)) throw err;
      truncated = true;
    }
    ip.resetBudget();
    if (!truncated) discoverUnbuilt(ip, tree.rootNode);
    const defaults = opts.defaults ?? {};
    const batchSize = directiveBatchSize(directives) ?? ip.batchSize ?? defaults.batchSize ?? null;
    const models = topLevel(ip.candidates)
      .slice(0, MAX_MODELS)
      .map((c) => buildModel(ip, c, defaults))
      .filter((m) => m.layers.length > 0 || m.partial.length > 0)
      .sort((a, b) => a.range.startLine - b.range.startLine || a.range.startColumn - b.range.startColumn);
    for (const m of models) {
      m.batchSize = batchSize;
      // A model whose text holds the syntax error may have lost the layers the parser could not place.
      if (syntax && inside(syntax.range, m.range)) m.partial.push({ symbol: null, reason: `${syntax.message}; layers around it may be missing`, range: syntax.range });
      if (truncated) m.partial.push({ symbol: null, reason: 'analysis stopped: evaluation budget exhausted; the model may be incomplete', range: null });
      if (cutNote) m.partial.push({ symbol: null, reason: `${cutNote}; layers defined later are missing`, range: null });
    }
    const format = formatOf(models, importedFrameworks(ip));
    let error: FileModels['error'] = syntax;
    if (!error && !models.length && cutNote) {
      error = { message: `No model definition found in what was read: ${cutNote}`, range: null };
    }
    if (!error && !models.length) {
      // Running out of budget before any model was built is not "no model": say what happened.
      error = truncated
        ? { message: 'Analysis stopped: the evaluation budget ran out (a loop or recursion too long to follow statically) before a model was found', range: null }
        : { message: `${format === 'unknown' ? 'No PyTorch or Keras imports found in this file' : 'No model definition found in this file'}${ip.limitsHit.size ? ` (${[...ip.limitsHit].join('; ')})` : ''}`, range: null };
    }
    return { format, error, models, directives };
  } finally {
    tree.delete();
  }
}

/**
 * Read every PyTorch and Keras model a Python file defines, statically (the file is never run). Never throws:
 * an internal failure comes back as `error` with no models. Syntax errors are reported in `error` while the
 * models that could still be read are returned.
 */
export function readPythonModels(text: string, parser: PythonParser, opts: ReadPythonOptions = {}): FileModels {
  try {
    return analyse(text, parser, opts);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { format: 'unknown', error: { message: `NormLens could not analyse this file: ${message}`, range: null }, models: [], directives: { values: {}, range: null } };
  }
}
