import { Analyzer } from '../core/analyzer';
import { generateResidualTopology, kerasJsonDeep, pytorchDeepFile } from './generate';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  goal?: string;
  note?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Time `fn` after `warm` warm-up calls: median and max of `n` runs, in ms. */
export function timeIt(fn: () => void, n = 30, warm = 5): { median: number; max: number } {
  for (let i = 0; i < warm; i++) fn();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return { median: median(times), max: Math.max(...times) };
}

/** Analysis time (front end + theory + rules) for generated 200-layer files, after the parser is loaded. */
export async function analysisBench(): Promise<BenchRow[]> {
  const t0 = performance.now();
  const analyzer = await Analyzer.create();
  const loadMs = performance.now() - t0;
  const py = pytorchDeepFile(100); // 100 Linear + 100 SELU + head = 201 layers
  const json = kerasJsonDeep(200);
  const pyCheck = analyzer.analyze('deep.py', py);
  const jsonCheck = analyzer.analyze('deep.json', json);
  const pyLayers = pyCheck.models[0]?.layers.length ?? 0;
  const jsonLayers = jsonCheck.models[0]?.layers.length ?? 0;
  const pyT = timeIt(() => analyzer.analyze('deep.py', py));
  const jsonT = timeIt(() => analyzer.analyze('deep.json', json));
  const residual = generateResidualTopology(40);
  const resT = timeIt(() => analyzer.analyze('residual.json', residual));
  return [
    { name: 'parser load (tree-sitter WASM, once)', value: loadMs, unit: 'ms' },
    { name: `analyze PyTorch file, ${pyLayers} layers (median)`, value: pyT.median, unit: 'ms', goal: '< 100', note: `max ${pyT.max.toFixed(1)} ms` },
    { name: `analyze Keras JSON topology, ${jsonLayers} layers (median)`, value: jsonT.median, unit: 'ms', goal: '< 100', note: `max ${jsonT.max.toFixed(1)} ms` },
    { name: 'analyze Keras functional residual JSON, 200 layers (median)', value: resT.median, unit: 'ms', goal: '< 100', note: `max ${resT.max.toFixed(1)} ms` },
  ];
}
