/**
 * The webview end of the protocol (core/protocol.ts): posts commands and requests to the host, checks every
 * message the host posts before anything reads it, and routes replies to the requests they answer.
 */
import { PendingRequests } from '../core/pendingRequests';
import {
  LogCommand,
  commandMessage,
  parseToWebview,
  responseMessage,
  unanswerable,
  type CommandType,
  type ParamsOf,
  type RequestType,
  type ResultOf,
  type ToWebviewMessage,
} from '../core/protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** A message from the host other than a reply. */
export type HostMessage = Exclude<ToWebviewMessage, { kind: 'response' }>;

export class HostConnection {
  private readonly api: VsCodeApi = acquireVsCodeApi();
  private readonly requests = new PendingRequests((m) => this.api.postMessage(m));
  /** Set by main.ts; messages arriving before it are dropped (none do: the host waits for webview/ready). */
  onMessage: (m: HostMessage) => void = () => {};

  constructor() {
    window.addEventListener('message', (e: MessageEvent) => this.receive(e.data));
  }

  private receive(raw: unknown): void {
    const parsed = parseToWebview(raw);
    if (!parsed.ok) {
      const failed = unanswerable(raw);
      if (failed) this.api.postMessage({ kind: 'response', id: failed.id, method: failed.method, ok: false, error: parsed.error });
      this.log('warn', `dropped a message from the host: ${parsed.error}`);
      return;
    }
    const m = parsed.message;
    if (m.kind === 'response') {
      if (!this.requests.settle(m)) this.log('warn', `reply ${m.id} (${m.method}) answers no pending request`);
      return;
    }
    this.onMessage(m);
  }

  command<D extends CommandType<string, unknown>>(type: D, params: ParamsOf<D>): void {
    this.api.postMessage(commandMessage(type, params));
  }

  request<D extends RequestType<string, unknown, unknown>>(type: D, params: ParamsOf<D>): Promise<ResultOf<D>> {
    return this.requests.send(type, params);
  }

  respond<D extends RequestType<string, unknown, unknown>>(type: D, id: number, outcome: { result: ResultOf<D> } | { error: string }): void {
    this.api.postMessage(responseMessage(type, id, outcome));
  }

  /** To the NormLens output log on the host (and this page's console). */
  log(level: 'info' | 'warn' | 'error', message: string): void {
    (level === 'info' ? console.info : level === 'warn' ? console.warn : console.error)(`[normlens] ${message}`);
    this.command(LogCommand, { level, message: message.slice(0, 4000) });
  }
}
