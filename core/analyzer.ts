import type { Directives, FileModels, Model, SourceFormat, SourceRange } from './ir';
import { readJsonModels, looksLikeModelJson } from './frontends/json/readJson';
import { loadPythonParser, type PythonParserOptions, type PythonParser } from './frontends/python/parser';
import { readPythonModels } from './frontends/python/readPython';
import { predictModel } from './theory/predict';
import type { ModelPrediction } from './theory/types';
import { computeFindings } from './findings/rules';
import { SourceText } from './findings/sourceText';
import { DEFAULT_THRESHOLDS, type Finding, type FindingThresholds } from './findings/types';

/** Which front end a file goes to, by name first and content second. */
export type FileKind = 'python' | 'json';

export function fileKindOf(path: string): FileKind | null {
  const lower = path.toLowerCase();
  if (lower.endsWith('.py') || lower.endsWith('.pyi')) return 'python';
  if (lower.endsWith('.json')) return 'json';
  return null;
}

export interface AnalyzeOptions {
  thresholds?: Partial<FindingThresholds>;
  /** Used where the file says nothing (assumed input width, batch size). */
  defaults?: { inputSize?: number; batchSize?: number };
  /** Statistics of the data fed to the first layer (default standardized: 0, 1). */
  inputMean?: number;
  inputVariance?: number;
}

/** Everything NormLens knows about one file at initialization: plain data for the CLI, the host and the view. */
export interface FileAnalysis {
  path: string;
  format: SourceFormat;
  error: { message: string; range: SourceRange | null } | null;
  models: Model[];
  predictions: ModelPrediction[];
  findings: Finding[];
  directives: Directives;
  /** Milliseconds spent in the front end and in theory + rules. */
  timing: { readMs: number; theoryMs: number };
}

/** Holds the loaded parsers; `analyze` is synchronous once created. */
export class Analyzer {
  private constructor(private readonly python: PythonParser) {}

  static async create(opts?: PythonParserOptions): Promise<Analyzer> {
    return new Analyzer(await loadPythonParser(opts));
  }

  /** Read, predict and judge one file. Never throws: any internal failure becomes `error` and a finding. */
  analyze(path: string, original: string, opts: AnalyzeOptions = {}): FileAnalysis {
    const t0 = performance.now();
    const text = normalizeLineBreaks(original);
    const kind = fileKindOf(path) ?? (looksLikeModelJson(text) ? 'json' : 'python');
    let read: FileModels;
    try {
      read = kind === 'json' ? readJsonModels(text, { defaults: opts.defaults }) : readPythonModels(text, this.python, { defaults: opts.defaults });
    } catch (err) {
      read = { format: kind === 'json' ? 'unknown' : 'pytorch', error: { message: `NormLens could not read this file: ${String(err)}`, range: null }, models: [], directives: { values: {}, range: null } };
    }
    const t1 = performance.now();
    const predictions: ModelPrediction[] = [];
    let findings: Finding[] = [];
    try {
      for (const m of read.models) predictions.push(predictModel(m, { inputMean: opts.inputMean, inputVariance: opts.inputVariance }));
      findings = computeFindings({
        format: read.format,
        src: new SourceText(text),
        models: read.models,
        predictions,
        thresholds: { ...DEFAULT_THRESHOLDS, ...opts.thresholds },
      });
    } catch (err) {
      read = { ...read, error: read.error ?? { message: `NormLens failed while predicting statistics: ${String(err)}`, range: null } };
    }
    if (read.error) findings.unshift(errorFinding(read));
    return {
      path,
      format: read.format,
      error: read.error,
      models: read.models,
      predictions,
      findings,
      directives: read.directives,
      timing: { readMs: t1 - t0, theoryMs: performance.now() - t1 },
    };
  }
}

/**
 * A lone \r is a line break to VS Code (and to the JSON front end) but not to tree-sitter, whose rows count \n
 * only; ranges of a Python file with old Mac line endings would land lines off. Replacing it with \n keeps the
 * length, so every offset and column is unchanged, and makes all three agree.
 */
function normalizeLineBreaks(text: string): string {
  return text.includes('\r') ? text.replace(/\r(?!\n)/g, '\n') : text;
}

function errorFinding(read: FileModels): Finding {
  const notModel = read.format === 'unknown' || /graph model|not a .*model/i.test(read.error!.message);
  return {
    code: notModel ? 'not-a-model' : 'parse-error',
    severity: notModel ? 'info' : 'error',
    range: read.error!.range ?? { startLine: 0, startColumn: 0, endLine: 0, endColumn: 0 },
    message: read.error!.message,
    modelIndex: null,
    layerIndex: null,
    related: [],
    fixes: [],
  };
}
