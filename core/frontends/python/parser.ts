import { Language, Parser } from 'web-tree-sitter';
import type { Tree } from 'web-tree-sitter';
import { readPythonModels } from './readPython';

/**
 * Where the two WebAssembly files live. The extension bundle ships them next to the bundle, so the host passes
 * their paths; tests and the CLI fall back to the installed npm packages.
 */
export interface PythonParserOptions {
  /** web-tree-sitter's runtime (`tree-sitter.wasm`). */
  treeSitterWasm?: string;
  /** The Python grammar (`tree-sitter-python.wasm`). */
  pythonWasm?: string;
}

/** A loaded Python parser. Parsing is synchronous once loaded. */
export interface PythonParser {
  /** Parse source text; tree-sitter is error tolerant, so a tree always comes back (with ERROR nodes). */
  parse(text: string): Tree;
}

const WARM_UP = [
  'import torch.nn as nn',
  'import torch.nn.functional as F',
  'from tensorflow import keras',
  'class Net(nn.Module):',
  '    def __init__(self, d=8):',
  '        super().__init__()',
  '        self.fc = nn.ModuleList([nn.Linear(d * 2 if i == 0 else d, d) for i in range(4)])',
  '        self.seq = nn.Sequential(nn.Conv2d(3, d, 3, padding=1), nn.BatchNorm2d(d), nn.SELU(), nn.Flatten())',
  '        for m in self.modules():',
  '            if isinstance(m, nn.Linear):',
  "                nn.init.kaiming_normal_(m.weight, mode='fan_in', nonlinearity='linear')",
  '    def forward(self, x):',
  '        x = self.seq(x)',
  '        for f in self.fc:',
  '            x = x + F.selu(f(x))',
  '        return x',
  "k = keras.Sequential([keras.layers.Dense(4, activation='selu', input_shape=(8,)), keras.layers.Dropout(0.1)])",
  '',
].join('\n');

// Loading compiles two wasm modules (tens of milliseconds); every caller of the same files shares one load.
// Keyed by the resolved paths so a test can load from elsewhere without clobbering the default.
const loads = new Map<string, Promise<PythonParser>>();

function defaultPaths(opts: PythonParserOptions): { runtime: string; grammar: string } {
  return {
    runtime: opts.treeSitterWasm ?? require.resolve('web-tree-sitter/tree-sitter.wasm'),
    grammar: opts.pythonWasm ?? require.resolve('tree-sitter-python/tree-sitter-python.wasm'),
  };
}

async function load(runtime: string, grammar: string): Promise<PythonParser> {
  await Parser.init({ locateFile: () => runtime });
  const language = await Language.load(grammar);
  const parser = new Parser();
  parser.setLanguage(language);
  const loaded: PythonParser = {
    parse(text: string): Tree {
      const tree = parser.parse(text);
      // parse() only returns null without a language or after a cancelled parse; neither can happen here.
      if (!tree) throw new Error('tree-sitter returned no tree');
      return tree;
    },
  };
  // The first analysis pays for WebAssembly tier-up and for compiling the evaluator (~100 ms on a 200-layer
  // file). Analysing a small sample here moves that cost into loading, so the first real file is fast too.
  readPythonModels(WARM_UP, loaded);
  return loaded;
}

/**
 * Load (once) and return the Python parser. Safe to call repeatedly and concurrently; a failed load is not cached,
 * so a later call can retry (for example after the wasm files were restored).
 */
export function loadPythonParser(opts: PythonParserOptions = {}): Promise<PythonParser> {
  const { runtime, grammar } = defaultPaths(opts);
  const key = `${runtime}\n${grammar}`;
  let pending = loads.get(key);
  if (!pending) {
    pending = load(runtime, grammar);
    loads.set(key, pending);
    pending.catch(() => loads.delete(key));
  }
  return pending;
}
