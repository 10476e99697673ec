/**
 * The host <-> dashboard webview protocol: every message either side may send, as typed descriptors with the
 * direction in the name, and the runtime checks each side applies to what it receives.
 *
 * - `XxxCommand`: webview -> host, fire and forget.
 * - `XxxRequest`: a reply is expected, correlated by `id`, given up after `timeoutMs` (see PendingRequests).
 *   The JSDoc of each says which side asks.
 * - `DidXxxNotification`: host -> webview, something changed on the host.
 * Methods are `noun/verb`. The webview opens with `webview/ready`; the host queues everything until it arrives.
 *
 * Numbers travel as `Wire<T>`: JSON (which VS Code uses between the two) has no NaN or Infinity, and a diverged
 * probe is full of them, so non-finite numbers are the strings 'NaN' / 'Infinity' / '-Infinity' on the wire.
 */
import type { Model, SourceFormat, SourceRange } from './ir';
import type { ModelPrediction } from './theory/types';
import type { Divergence, ProbeConfig, ProbeRecord } from './probe/config';
import { array, boolean, finite, integer, nullable, object, oneOf, optional, string, type Check } from './protocolChecks';
import { analysisViewCheck, modelCheck, probeConfigCheck, probeRunCheck, rangeCheck, recordCheck } from './protocolData';

/** Bumped on any incompatible change; the host drops a `webview/ready` that names another version. */
export const PROTOCOL_VERSION = 1;

// ---------------------------------------------------------------------------------------------------------------
// Data that crosses the boundary

type NonFinite = 'NaN' | 'Infinity' | '-Infinity';
/** `T` as it travels: every number may also be one of the NonFinite strings. */
export type Wire<T> = T extends number
  ? number | NonFinite
  : T extends string | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? Wire<U>[]
      : { [K in keyof T]: Wire<T[K]> };

/** Deep copy with non-finite numbers as strings (and typed arrays as plain arrays). */
export function toWire<T>(value: T): Wire<T> {
  return convert(value, (n) => (Number.isFinite(n) ? n : (String(n) as NonFinite))) as Wire<T>;
}

/** Inverse of toWire, for data that passed its check. */
export function fromWire<T>(value: Wire<T>): T {
  return convert(value, (n) => n, true) as T;
}

function convert(value: unknown, onNumber: (n: number) => unknown, decode = false): unknown {
  if (typeof value === 'number') return onNumber(value);
  if (decode && (value === 'NaN' || value === 'Infinity' || value === '-Infinity')) return Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>, (n) => onNumber(n));
  if (Array.isArray(value)) return value.map((v) => convert(v, onNumber, decode));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = convert(v, onNumber, decode);
  return out;
}

/** The model file the dashboard shows: what the analyzer read and predicted, without findings. */
export interface AnalysisView {
  uri: string;
  /** Workspace-relative path, for display. */
  fileName: string;
  /** TextDocument.version the analysis belongs to, and a hash of its text (compared with a run's). */
  version: number;
  contentHash: string;
  format: SourceFormat;
  error: string | null;
  models: Model[];
  predictions: ModelPrediction[];
}

/**
 * Life of a run, owned by the host. `interrupted`: the view computing it was hidden or closed, or the window
 * reloaded, before it ended (it can be re-run). `cancelled`: the user stopped it.
 */
export type RunStatus = 'queued' | 'running' | 'interrupted' | 'done' | 'failed' | 'diverged' | 'cancelled';
export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'interrupted', 'done', 'failed', 'diverged', 'cancelled'];
/** A run in one of these will not change again. */
export const FINISHED_STATUSES: readonly RunStatus[] = ['interrupted', 'done', 'failed', 'diverged', 'cancelled'];
/** What the webview reports: it never queues and never decides that a run was interrupted. */
export type ReportedStatus = 'running' | 'done' | 'failed' | 'diverged' | 'cancelled';

/** Which tfjs backend a probe should use; 'auto' is WebGL with the CPU fallback. */
export type BackendPreference = 'auto' | 'webgl' | 'cpu';

export interface RunEvent {
  status: RunStatus;
  /** Epoch milliseconds. */
  at: number;
  note: string | null;
}

/** One probe run as the host stores it: configuration, status with its history, and every streamed record. */
export interface ProbeRun {
  id: string;
  uri: string;
  fileName: string;
  /** TextDocument.version and a hash of the text it was started on (versions restart when a file reopens). */
  version: number;
  contentHash: string;
  modelIndex: number;
  modelName: string;
  /** What was probed and what theory predicted for it, so the run stays readable after the file changes. */
  model: Model;
  prediction: ModelPrediction | null;
  config: ProbeConfig;
  backendPreference: BackendPreference;
  status: RunStatus;
  /** tfjs backend ('webgl' | 'cpu'), the GPU renderer string, and the ProbeOps implementation used. */
  backend: string | null;
  renderer: string | null;
  ops: string | null;
  records: ProbeRecord[];
  stepsRun: number;
  diverged: Divergence | null;
  notes: string[];
  error: string | null;
  history: RunEvent[];
  createdAt: number;
  updatedAt: number;
  /** Milliseconds from the run's creation (the Probe click) to its first streamed record. */
  firstRecordMs: number | null;
  /**
   * Earlier attempts of this run that were cut short and restarted (the WebGL context was lost and the run started
   * again on the CPU): what they measured is kept here, never thrown away. Absent in runs stored before it existed.
   */
  attempts?: RunAttempt[];
  /**
   * Set on the runs of a normalization comparison (compare/start): one run per variant of the same model, same
   * seed and settings. Grouped runs never count as the file's measured result. Absent on ordinary runs.
   */
  group?: RunGroup;
}

/** Which comparison a run belongs to and which variant of the model it probed. */
export interface RunGroup {
  /** Shared by every run of one comparison. */
  id: string;
  /** A VariantId of core/probe/variants.ts ('as-written', 'batchnorm', ..., 'snn'). */
  variant: string;
  label: string;
}

/** A cut-short attempt of a run, with the records it streamed before it ended. */
export interface RunAttempt {
  backend: string | null;
  renderer: string | null;
  ops: string | null;
  records: ProbeRecord[];
  /** Why it ended (e.g. 'WebGL context lost at step 40'). */
  note: string | null;
}

// ---------------------------------------------------------------------------------------------------------------
// Descriptors

export interface CommandType<M extends string, P> {
  readonly kind: 'command';
  readonly method: M;
  readonly params: Check;
  /** Type only: the params. */
  readonly _params?: P;
}
export interface NotificationType<M extends string, P> {
  readonly kind: 'notification';
  readonly method: M;
  readonly params: Check;
  readonly _params?: P;
}
export interface RequestType<M extends string, P, R> {
  readonly kind: 'request';
  readonly method: M;
  readonly params: Check;
  readonly result: Check;
  /** The asker gives up (and rejects) after this long. */
  readonly timeoutMs: number;
  readonly _params?: P;
  readonly _result?: R;
}

const command = <M extends string, P>(method: M, params: Check): CommandType<M, P> => ({ kind: 'command', method, params });
const notification = <M extends string, P>(method: M, params: Check): NotificationType<M, P> => ({ kind: 'notification', method, params });
const request = <M extends string, P, R>(method: M, params: Check, result: Check, timeoutMs: number): RequestType<M, P, R> => ({ kind: 'request', method, params, result, timeoutMs });

const runId = string(64, /^[A-Za-z0-9_-]+$/);
const uriString = string(8192);

/** Webview -> host, once its script has loaded: flush the queue and re-hydrate the view (runs, analysis). */
export const ReadyCommand = command<'webview/ready', { protocol: number }>('webview/ready', object({ protocol: integer(0, 1000) }));

/**
 * Webview -> host, a layer row was activated: show `range` of `uri` in the editor. The host only opens uris it
 * sent to this view itself (an analysis or a run), never an arbitrary one.
 */
export const RevealLayerCommand = command<'layer/reveal', { uri: string; range: SourceRange }>('layer/reveal', object({ uri: uriString, range: rangeCheck }));

/** Webview -> host, the view's Probe button: start a probe of that model of the shown file (the host makes the run). */
export const StartProbeCommand = command<'probe/start', { uri: string; modelIndex: number }>('probe/start', object({ uri: uriString, modelIndex: integer(0, 10_000) }));

/** Webview -> host: run an earlier (say, interrupted) run's model again with its settings, on the current file. */
export const RerunProbeCommand = command<'probe/rerun', { runId: string }>('probe/rerun', object({ runId }));

/** Webview -> host, the view's Cancel button. The host tells the executing view (DidCancelRunNotification). */
export const CancelProbeCommand = command<'probe/cancel', { runId: string }>('probe/cancel', object({ runId }));

export interface RunReport {
  runId: string;
  status: ReportedStatus;
  backend: string;
  renderer: string | null;
  ops: string;
  /** Why something unusual happened (the CPU fallback, a size cap), for the run's history. */
  note: string | null;
  error: string | null;
  /** Set when the run restarted from step 0 (WebGL context lost -> CPU): the records so far are void. */
  restarted: boolean;
  /** Set with a finished status. */
  stepsRun: number | null;
  diverged: Divergence | null;
  notes: string[];
}
/** Webview -> host, the executing view: a run started (with backend and renderer), restarted, or ended. */
export const ProbeStatusCommand = command<'probe/status', RunReport>(
  'probe/status',
  object({
    runId,
    status: oneOf(['running', 'done', 'failed', 'diverged', 'cancelled']),
    backend: string(64),
    renderer: nullable(string(512)),
    ops: string(64),
    note: nullable(string(2000)),
    error: nullable(string(4000)),
    restarted: boolean,
    stepsRun: nullable(integer(0, 10_000_000)),
    diverged: nullable(object({ step: integer(0, 10_000_000), layer: nullable(integer(0, 100_000)) })),
    notes: array(string(2000), 200),
  }),
);

/** Webview -> host, the executing view: one sample point's statistics, as soon as it is measured. */
export const ProbeRecordCommand = command<'probe/record', { runId: string; record: Wire<ProbeRecord> }>('probe/record', object({ runId, record: recordCheck }));

/**
 * Webview -> host, the Compare panel's Start button: probe model `modelIndex` of the file as written and under
 * each applicable normalization variant (core/probe/variants.ts), one run per variant, same seed and settings.
 */
export const CompareStartCommand = command<'compare/start', { uri: string; modelIndex: number }>('compare/start', object({ uri: uriString, modelIndex: integer(0, 10_000) }));

/**
 * Webview -> host, a variant's Apply button: turn that run's variant into an edit of the file it came from, shown
 * for confirmation (refused when the file changed since the comparison ran); a snippet when no safe edit exists.
 */
export const CompareApplyCommand = command<'compare/apply', { runId: string }>('compare/apply', object({ runId }));

/** Webview -> host: a line for the NormLens output log (the view's own failures are otherwise invisible). */
export const LogCommand = command<'webview/log', { level: 'info' | 'warn' | 'error'; message: string }>(
  'webview/log',
  object({ level: oneOf(['info', 'warn', 'error']), message: string(4000) }),
);

/** Webview asks the host: save a run as JSON or CSV (the host asks where). Result: the path, null if cancelled. */
export const ExportRunRequest = request<'run/export', { runId: string; format: 'json' | 'csv' }, { path: string | null }>(
  'run/export',
  object({ runId, format: oneOf(['json', 'csv']) }),
  object({ path: nullable(string(8192)) }),
  // A save dialog waits for the user.
  600_000,
);

/** Webview asks the host: save a chart as PNG (`png` is a data URL the view drew). Result: the path or null. */
export const ExportChartRequest = request<'chart/export', { runId: string | null; chart: string; png: string }, { path: string | null }>(
  'chart/export',
  object({ runId: nullable(runId), chart: string(64, /^[a-z][a-zA-Z0-9-]*$/), png: string(16_000_000, /^data:image\/png;base64,[A-Za-z0-9+/=]+$/) }),
  object({ path: nullable(string(8192)) }),
  600_000,
);

/** Host -> webview: the model file to show changed (another editor, an edit); null: none. */
export const DidChangeAnalysisNotification = notification<'analysis/didChange', { analysis: Wire<AnalysisView> | null }>(
  'analysis/didChange',
  object({ analysis: nullable(analysisViewCheck) }),
);

/** Host -> webview, after `webview/ready`: every stored run (re-hydration after a hide or a reload). */
export const DidChangeRunsNotification = notification<'runs/didChange', { runs: Wire<ProbeRun>[] }>('runs/didChange', object({ runs: array(probeRunCheck, 1000) }));

/** Host -> webview: one run was created or changed status (records included). */
export const DidChangeRunNotification = notification<'run/didChange', { run: Wire<ProbeRun> }>('run/didChange', object({ run: probeRunCheck }));

/** Host -> webview: a record was stored for a run (the view draws from the host's copy, not its own). */
export const DidAppendRecordNotification = notification<'run/didAppendRecord', { runId: string; record: Wire<ProbeRecord> }>(
  'run/didAppendRecord',
  object({ runId, record: recordCheck }),
);

/** Host -> webview: the user cancelled a run on the host side (progress notification); the executing view stops it. */
export const DidCancelRunNotification = notification<'run/didCancel', { runId: string }>('run/didCancel', object({ runId }));

export interface ExecuteProbeParams {
  runId: string;
  model: Wire<Model>;
  config: ProbeConfig;
  backend: BackendPreference;
  /** CPU fallback cap: scale the run down (fewer steps) so it is estimated to take at most this long. */
  cpuMaxSeconds: number;
  /**
   * Faults to inject, for the end-to-end tests only: the host sets it only when the extension runs under a test
   * harness (ExtensionMode.Test), never from a setting, a file or a webview message.
   */
  faults?: ProbeFaults;
}

/** Test-only fault injection (see ExecuteProbeParams.faults). */
export interface ProbeFaults {
  /** Lose the WebGL context (WEBGL_lose_context.loseContext()) once a record at this step or later was streamed. */
  loseWebglContextAtStep?: number;
}
/**
 * Host asks the webview: compute this run (the view queues runs and executes one at a time). The reply only
 * acknowledges; progress arrives as ProbeStatusCommand / ProbeRecordCommand.
 */
export const ExecuteProbeRequest = request<'probe/execute', ExecuteProbeParams, { accepted: boolean; reason: string | null }>(
  'probe/execute',
  object({
    runId,
    model: modelCheck,
    config: probeConfigCheck,
    backend: oneOf(['auto', 'webgl', 'cpu']),
    cpuMaxSeconds: finite,
    faults: optional(object({ loseWebglContextAtStep: optional(integer(0, 10_000_000)) })),
  }),
  object({ accepted: boolean, reason: nullable(string(2000)) }),
  // Generous: the page answers at once, but its reply travels through a frame on the same (busy) main thread.
  60_000,
);

// ---------------------------------------------------------------------------------------------------------------
// Envelopes

type AnyCommand = CommandType<string, unknown>;
type AnyNotification = NotificationType<string, unknown>;
type AnyRequest = RequestType<string, unknown, unknown>;

export type ParamsOf<D> = D extends { readonly _params?: infer P } ? P : never;
export type ResultOf<D> = D extends { readonly _result?: infer R } ? R : never;

export interface CommandMessage<M extends string = string, P = unknown> {
  kind: 'command';
  method: M;
  params: P;
}
export interface NotificationMessage<M extends string = string, P = unknown> {
  kind: 'notification';
  method: M;
  params: P;
}
export interface RequestMessage<M extends string = string, P = unknown> {
  kind: 'request';
  id: number;
  method: M;
  params: P;
}
export type ResponseMessage<M extends string = string, R = unknown> =
  | { kind: 'response'; id: number; method: M; ok: true; result: R }
  | { kind: 'response'; id: number; method: M; ok: false; error: string };

type MessageOf<D> =
  D extends CommandType<infer M, infer P> ? CommandMessage<M, P> : D extends NotificationType<infer M, infer P> ? NotificationMessage<M, P> : D extends RequestType<infer M, infer P, unknown> ? RequestMessage<M, P> : never;
type ResponseOf<D> = D extends RequestType<infer M, unknown, infer R> ? ResponseMessage<M, R> : never;

const TO_HOST = [ReadyCommand, RevealLayerCommand, StartProbeCommand, RerunProbeCommand, CancelProbeCommand, ProbeStatusCommand, ProbeRecordCommand, LogCommand, CompareStartCommand, CompareApplyCommand, ExportRunRequest, ExportChartRequest] as const;
const TO_WEBVIEW = [DidChangeAnalysisNotification, DidChangeRunsNotification, DidChangeRunNotification, DidAppendRecordNotification, DidCancelRunNotification, ExecuteProbeRequest] as const;

/** Everything the host may receive: webview commands and requests, and replies to the host's requests. */
export type ToHostMessage = MessageOf<(typeof TO_HOST)[number]> | ResponseOf<typeof ExecuteProbeRequest>;
/** Everything the webview may receive: notifications and host requests, and replies to the webview's requests. */
export type ToWebviewMessage = MessageOf<(typeof TO_WEBVIEW)[number]> | ResponseOf<typeof ExportRunRequest | typeof ExportChartRequest>;

export type Parsed<T> = { ok: true; message: T } | { ok: false; error: string };

type Descriptor = AnyCommand | AnyNotification | AnyRequest;
const byMethod = (ds: readonly Descriptor[]) => new Map<string, Descriptor>(ds.map((d) => [d.method, d]));
const toHost = byMethod(TO_HOST);
const toWebview = byMethod(TO_WEBVIEW);
const messageId = integer(1, Number.MAX_SAFE_INTEGER);
const envelopes: Record<string, Check> = {
  command: object({ kind: oneOf(['command']), method: string(64), params: () => null }),
  notification: object({ kind: oneOf(['notification']), method: string(64), params: () => null }),
  request: object({ kind: oneOf(['request']), id: messageId, method: string(64), params: () => null }),
  responseOk: object({ kind: oneOf(['response']), id: messageId, method: string(64), ok: oneOf([true]), result: () => null }),
  responseError: object({ kind: oneOf(['response']), id: messageId, method: string(64), ok: oneOf([false]), error: string(4000) }),
};

/**
 * Validate a message from the other side. `incoming` holds the commands / notifications / requests this side
 * accepts; replies must answer a request this side sends (`answers`; their result is checked against the
 * request's result check by PendingRequests, which knows which request an id belongs to).
 */
function parse<T>(raw: unknown, incoming: Map<string, Descriptor>, answers: Map<string, Descriptor>): Parsed<T> {
  const kind = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as { kind?: unknown }).kind : undefined;
  const envelope = kind === 'response' ? envelopes[(raw as { ok?: unknown }).ok === false ? 'responseError' : 'responseOk'] : typeof kind === 'string' ? envelopes[kind] : undefined;
  if (!envelope) return { ok: false, error: `not a protocol message (kind ${JSON.stringify(kind)})` };
  const why = envelope(raw, '');
  if (why) return { ok: false, error: why };
  const msg = raw as { kind: string; method: string; params?: unknown };
  const descriptor = (kind === 'response' ? answers : incoming).get(msg.method);
  if (!descriptor || (kind !== 'response' && descriptor.kind !== kind) || (kind === 'response' && descriptor.kind !== 'request')) {
    return { ok: false, error: `unexpected ${String(kind)} ${JSON.stringify(msg.method)}` };
  }
  if (kind !== 'response') {
    const bad = descriptor.params(msg.params, 'params');
    if (bad) return { ok: false, error: `${msg.method}: ${bad}` };
  }
  return { ok: true, message: raw as T };
}

const hostRequests = byMethod([ExecuteProbeRequest]);
const webviewRequests = byMethod([ExportRunRequest, ExportChartRequest]);

/**
 * The id and method of a request that failed its check, when it names a request the receiver knows: the
 * receiver answers it with an error instead of leaving the asker to time out.
 */
export function unanswerable(raw: unknown): { id: number; method: string } | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const { kind, id, method } = raw as { kind?: unknown; id?: unknown; method?: unknown };
  if (kind !== 'request' || messageId(id, '') || typeof method !== 'string') return null;
  const known = toHost.get(method) ?? toWebview.get(method);
  return known?.kind === 'request' ? { id: id as number, method } : null;
}

/** Host side: check a message the webview posted. */
export function parseToHost(raw: unknown): Parsed<ToHostMessage> {
  return parse<ToHostMessage>(raw, toHost, hostRequests);
}

/** Webview side: check a message the host posted. */
export function parseToWebview(raw: unknown): Parsed<ToWebviewMessage> {
  return parse<ToWebviewMessage>(raw, toWebview, webviewRequests);
}

/** Build a command (webview side) or a notification (host side) with its params type-checked. */
export function commandMessage<D extends AnyCommand>(type: D, params: ParamsOf<D>): CommandMessage<D['method'], ParamsOf<D>> {
  return { kind: 'command', method: type.method, params };
}
export function notificationMessage<D extends AnyNotification>(type: D, params: ParamsOf<D>): NotificationMessage<D['method'], ParamsOf<D>> {
  return { kind: 'notification', method: type.method, params };
}
/** The reply to a request received. */
export function responseMessage<D extends AnyRequest>(type: D, id: number, outcome: { result: ResultOf<D> } | { error: string }): ResponseMessage<D['method'], ResultOf<D>> {
  return 'error' in outcome ? { kind: 'response', id, method: type.method, ok: false, error: outcome.error } : { kind: 'response', id, method: type.method, ok: true, result: outcome.result };
}
