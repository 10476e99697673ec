import type { Node } from 'jsonc-parser';
import type { FileModels, Framework, Model, ModelInput, SourceFormat } from '../../ir';
import { itemsOf, isObject, parseJsonTree, prop, stringOf } from './jsonTree';
import { addPartial, type ReadContext } from './readContext';
import { createLineIndex, type LineIndex } from './sourceRanges';
import { MODEL_CLASSES, walkModel } from './topologyWalker';

/**
 * The JSON front end: Keras 2 / Keras 3 `model.to_json()` output and TensorFlow.js layers-model `model.json`
 * (`{"format": "layers-model", "modelTopology": {...}, "weightsManifest": [...]}`, possibly with the Keras
 * topology one level down in `modelTopology.model_config`, as tensorflowjs_converter writes it).
 */

/** Options of readJsonModels: stand-ins for what the file may not say (from settings or directives). */
export interface ReadJsonOptions {
  defaults?: { inputSize?: number; batchSize?: number };
}

/** At most this many layers are read from one file; the rest is reported as a partial reason. */
export const MAX_JSON_LAYERS = 5000;

/** Exact error for JSON that is not a model, so the extension can recognise and silence it. */
export const NOT_A_MODEL = 'not a Keras/TensorFlow.js model topology';

/** Error for tfjs graph models (frozen graphs: a `node` list, no layers). */
export const GRAPH_MODEL_ERROR =
  'This is a TensorFlow.js graph model (converted from a SavedModel); NormLens reads layers models: convert with ' +
  'tensorflowjs_converter --input_format=keras --output_format=tfjs_layers_model model.h5 out/ (or ' +
  '--input_format=keras_saved_model), or open the Keras source';

const SNIFF_HEAD = 64 * 1024;
const SNIFF_TAIL = 4 * 1024;
const MODEL_MARKER =
  /"(?:modelTopology|model_config|keras_version)"\s*:|"class_name"\s*:\s*"(?:Sequential|Functional|Model)"|"format"\s*:\s*"(?:layers|graph)-model"/;
const TFJS_MARKER = /"(?:modelTopology)"\s*:|"format"\s*:\s*"(?:layers|graph)-model"|"keras_version"\s*:\s*"tfjs/;

/**
 * Cheap test of whether a .json text could be a Keras / tfjs model, without parsing: it starts with an object and
 * names a model marker in its first 64 KiB or last 4 KiB (`keras_version` is written last by Keras 2). The
 * extension calls it for every *.json it sees, so it stays O(64 KiB) whatever the file size.
 */
export function looksLikeModelJson(text: string): boolean {
  let i = 0;
  while (i < text.length && i < 1024 && /[\s\uFEFF]/.test(text[i])) i++;
  if (text[i] !== '{') return false;
  if (MODEL_MARKER.test(text.slice(0, SNIFF_HEAD))) return true;
  return text.length > SNIFF_HEAD && MODEL_MARKER.test(text.slice(-SNIFF_TAIL));
}

function emptyResult(format: SourceFormat, message: string, lines: LineIndex | null, at?: Node): FileModels {
  return {
    format,
    error: { message, range: lines && at ? lines.rangeOf(at) : null },
    models: [],
    directives: { values: {}, range: null },
  };
}

/** What kind of file the root is, and where its Keras topology object is. */
function locateTopology(root: Node): { format: SourceFormat; framework: Framework; topology: Node | null; graph: Node | null } {
  const envelope = prop(root, 'modelTopology');
  const formatField = stringOf(prop(root, 'format'));
  if (formatField === 'graph-model') return { format: 'tfjs-json', framework: 'tfjs', topology: null, graph: prop(root, 'format')! };
  if (isObject(envelope)) {
    // A graph model's modelTopology is a GraphDef: a `node` list and `versions`, no class_name.
    if (!prop(envelope, 'class_name') && (itemsOf(prop(envelope, 'node')) || isObject(prop(envelope, 'versions')))) {
      return { format: 'tfjs-json', framework: 'tfjs', topology: null, graph: envelope };
    }
    const inner = prop(envelope, 'model_config');
    return { format: 'tfjs-json', framework: 'tfjs', topology: isObject(inner) ? inner : envelope, graph: null };
  }
  const inner = prop(root, 'model_config');
  const topology = isObject(inner) ? inner : root;
  // A bare tfjs-layers topology (modelTopology saved on its own) says so in keras_version / backend.
  const version = stringOf(prop(root, 'keras_version')) ?? stringOf(prop(topology, 'keras_version')) ?? '';
  const tfjs = version.startsWith('tfjs') || stringOf(prop(root, 'backend')) === 'tensor_flow.js';
  return { format: tfjs ? 'tfjs-json' : 'keras-json', framework: tfjs ? 'tfjs' : 'keras', topology, graph: null };
}

function modelInput(ctx: ReadContext, opts: ReadJsonOptions): ModelInput {
  const stated = ctx.input;
  if (!stated) {
    const size = opts.defaults?.inputSize;
    if (size !== undefined && size > 0) return { shape: [size], assumed: true };
    addPartial(
      ctx,
      'the file states no input shape (batch_input_shape, batch_shape or input_shape): the first layer\'s fan-in is unknown',
      undefined,
      'input_shape',
    );
    return { shape: null, assumed: false };
  }
  if (stated.dims.length === 0) {
    // `batch_input_shape: [784]` (the batch axis only): nothing per sample, so no layer can take its width from it.
    addPartial(ctx, 'the stated input shape has only the batch axis: the per-sample shape is empty, so the first layer\'s fan-in is unknown', stated.node, 'input_shape');
    return { shape: null, assumed: false };
  }
  const known = stated.dims.every((d) => d !== null);
  if (!known) {
    const shown = stated.dims.map((d) => (d === null ? 'None' : String(d))).join(', ');
    addPartial(ctx, `input shape [${shown}] has axes of unknown size`, stated.node, 'input_shape');
  }
  const input: ModelInput = { shape: known ? (stated.dims as number[]) : null, assumed: false };
  if (stated.dims.length >= 2) input.layout = ctx.layout ?? 'channels_last';
  return input;
}

function readModel(text: string, opts: ReadJsonOptions): FileModels {
  const parsed = parseJsonTree(text);
  const lines = createLineIndex(text);
  if (!parsed.ok) {
    const at = lines.positionAt(parsed.offset);
    const format: SourceFormat = !looksLikeModelJson(text) ? 'unknown' : TFJS_MARKER.test(text.slice(0, SNIFF_HEAD)) ? 'tfjs-json' : 'keras-json';
    const result = emptyResult(format, `JSON syntax error at line ${at.line + 1}, column ${at.column + 1}: ${parsed.message}`, null);
    result.error!.range = lines.rangeAt(parsed.offset, parsed.length);
    return result;
  }
  const root = parsed.root;
  if (!isObject(root)) return emptyResult('unknown', NOT_A_MODEL, null);
  const { format, framework, topology, graph } = locateTopology(root);
  if (graph) return emptyResult('tfjs-json', GRAPH_MODEL_ERROR, lines, graph);
  const className = stringOf(prop(topology ?? undefined, 'class_name'));
  if (!topology || className === null || !MODEL_CLASSES.has(className)) {
    return emptyResult(format === 'tfjs-json' ? 'tfjs-json' : 'unknown', NOT_A_MODEL, null);
  }

  const ctx: ReadContext = {
    lines,
    framework,
    layers: [],
    partial: [],
    layerBudget: MAX_JSON_LAYERS,
    truncated: false,
    defaultInputSize: opts.defaults?.inputSize && opts.defaults.inputSize > 0 ? opts.defaults.inputSize : null,
    input: null,
    layout: null,
  };
  walkModel(ctx, topology, null, '', 0);
  const input = modelInput(ctx, opts);
  const model: Model = {
    name: stringOf(prop(prop(topology, 'config'), 'name')) ?? stringOf(prop(topology, 'name')) ?? className,
    framework,
    range: lines.rangeOf(topology),
    input,
    batchSize: ctx.input?.batch ?? opts.defaults?.batchSize ?? null,
    layers: ctx.layers,
    partial: ctx.partial,
  };
  return { format, error: null, models: [model], directives: { values: {}, range: null } };
}

/**
 * Read a Keras / tfjs model topology JSON into the IR. Never throws: syntax errors, graph models and other JSON
 * come back as `error`; anything the file leaves open comes back as `Model.partial` reasons.
 */
export function readJsonModels(text: string, opts: ReadJsonOptions = {}): FileModels {
  try {
    return readModel(text, opts);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    return emptyResult(looksLikeModelJson(text) ? 'keras-json' : 'unknown', `NormLens could not read this model JSON: ${detail}`, null);
  }
}
