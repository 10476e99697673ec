import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Figures, HANG_GUARD_MS, assertProperty, expectSound, decodeAsEditor, fuzzParams, jsonSeeds, loadAnalyzer, mutateText, textMutation,
} from './fuzzHarness';

// Property-based tests of the whole analysis path on Keras / tfjs JSON: structural mutations of the real fixtures
// (wrong types, absurd numbers, deleted and duplicated layers, cyclic inbound_nodes) and text-level damage.

const seeds = jsonSeeds();
/** Seeds that parse (keras2-truncated.json does not, on purpose): the structural mutations start from these. */
const parsedSeeds = seeds.flatMap((s) => {
  try {
    return [{ ...s, value: JSON.parse(s.text) as unknown }];
  } catch {
    return [];
  }
});

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Raw tokens JSON.stringify cannot write (Python's json writes them): spliced in after serialising. */
const RAW = { NaN: '"@@raw:NaN@@"', Infinity: '"@@raw:Infinity@@"', '-Infinity': '"@@raw:-Infinity@@"', '1e400': '"@@raw:1e400@@"' } as const;

const hostileValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, -1, -64, 0.5, 1e9, 1e300, 1e308, 2 ** 53, 2 ** 60, '', 'abc', 'selu', 'Dense', null, true, false, [], {}, [1, 2], [null, -3], { class_name: 'Dense' }),
  fc.constantFrom<Json>(...Object.keys(RAW).map((k) => `@@raw:${k}@@`)),
  fc.integer({ min: 1, max: 40 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d)) as Json),
);

/** Every path to a value in the tree (arrays by index, objects by key). */
function paths(v: Json, at: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...at, i], out));
  else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths(v[k], [...at, k], out);
  return out;
}

function get(v: Json, path: (string | number)[]): Json {
  return path.reduce<Json>((o, k) => (o as Record<string | number, Json>)[k], v);
}

/** Names of every layer-like object (for inbound_nodes that point at other layers, making cycles). */
function layerNames(v: Json): string[] {
  return paths(v)
    .map((p) => get(v, p))
    .filter((o): o is { [k: string]: Json } => !!o && typeof o === 'object' && !Array.isArray(o) && typeof o.class_name === 'string')
    .map((o) => (typeof o.name === 'string' ? o.name : typeof (o.config as { name?: Json })?.name === 'string' ? ((o.config as { name: string }).name) : null))
    .filter((n): n is string => n !== null);
}

type JsonMutation =
  | { k: 'replace'; which: number; value: Json }
  | { k: 'delete'; which: number }
  | { k: 'duplicate'; which: number }
  | { k: 'rewire'; which: number; target: number };

const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('replace' as const), which: fc.nat(), value: hostileValue }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), which: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('duplicate' as const), which: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('rewire' as const), which: fc.nat(), target: fc.nat() }) },
);

/** Apply a structural mutation in place on a deep copy; returns the new root. */
function mutateJson(root: Json, m: JsonMutation): Json {
  const all = paths(root);
  const path = all[m.which % all.length];
  if (m.k === 'rewire') {
    // Point some inbound reference at another layer: cycles, self references, dangling names.
    const names = layerNames(root);
    const refs = all.filter((p) => p.includes('inbound_nodes') && typeof get(root, p) === 'string');
    if (!refs.length || !names.length) return root;
    const ref = refs[m.which % refs.length];
    const parent = get(root, ref.slice(0, -1)) as Record<string | number, Json>;
    parent[ref[ref.length - 1]] = names[m.target % names.length];
    return root;
  }
  if (path.length === 0) return m.k === 'replace' ? m.value : root;
  const parent = get(root, path.slice(0, -1)) as Record<string | number, Json> | Json[];
  const key = path[path.length - 1];
  if (m.k === 'replace') (parent as Record<string | number, Json>)[key] = m.value;
  else if (m.k === 'delete') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete (parent as Record<string, Json>)[key];
  } else if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
  return root;
}

function serialise(v: Json, indent: 0 | 1 | 2 | '\t', crlf: boolean): string {
  let text = JSON.stringify(v, null, indent);
  for (const [k, raw] of Object.entries(RAW)) text = text.split(raw).join(k);
  return crlf ? text.replace(/\n/g, '\r\n') : text;
}

test('structurally mutated JSON topologies: wrong types, absurd numbers, deleted / duplicated layers, cycles', async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('mutated JSON (structure)');
  assertProperty(
    fc.property(
      fc.constantFrom(...parsedSeeds),
      fc.array(jsonMutation, { minLength: 1, maxLength: 6 }),
      fc.constantFrom(0 as const, 1 as const, 2 as const, '\t' as const),
      fc.boolean(),
      (seed, mutations, indent, crlf) => {
        const value = mutations.reduce(mutateJson, structuredClone(seed.value) as Json);
        const text = serialise(value, indent, crlf);
        const { value: r, ms } = figures.time(`${seed.name} + ${mutations.map((m) => m.k).join(',')}`, () => analyzer.analyze(seed.path, text), text);
        assert.ok(ms < HANG_GUARD_MS);
        expectSound(seed.path, text, r);
        // A topology that still parses is never answered with an internal failure, only with models or a reason.
        assert.ok(r.models.length > 0 || r.error !== null);
      },
    ),
    fuzzParams(0x15011, 400),
  );
  console.log(figures.report());
});

test('text-level damage to JSON topologies: truncation, stray tokens, non-UTF-8 bytes, swapped lines', async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('mutated JSON (text)');
  assertProperty(
    fc.property(fc.constantFrom(...seeds), fc.array(textMutation('json'), { minLength: 1, maxLength: 5 }), (seed, mutations) => {
      const text = mutations.reduce(mutateText, seed.text);
      const { value: r, ms } = figures.time(`${seed.name} + ${mutations.map((m) => m.k).join(',')}`, () => analyzer.analyze(seed.path, text), text);
      assert.ok(ms < HANG_GUARD_MS);
      expectSound(seed.path, text, r);
    }),
    fuzzParams(0x15012, 300),
  );
  console.log(figures.report());
});

test('random bytes named *.json, alone and inside a topology string or after its opening brace', async () => {
  const analyzer = await loadAnalyzer();
  const figures = new Figures('random bytes as JSON');
  const head = '{"class_name": "Sequential", "config": {"layers": [';
  assertProperty(
    fc.property(fc.uint8Array({ maxLength: 1024 }), fc.constantFrom('utf8' as const, 'latin1' as const), fc.constantFrom('alone', 'head', 'string'), (bytes, encoding, where) => {
      const junk = decodeAsEditor(bytes, encoding);
      const text = where === 'alone' ? junk : where === 'head' ? head + junk : `${head}{"class_name": "Dense", "config": {"name": ${JSON.stringify(junk)}, "units": 4}}]}}`;
      const { value: r, ms } = figures.time(`${bytes.length} random bytes (${encoding}, ${where})`, () => analyzer.analyze('junk.json', text), text);
      assert.ok(ms < HANG_GUARD_MS);
      expectSound('junk.json', text, r);
    }),
    fuzzParams(0x15013, 150),
  );
  console.log(figures.report());
});
