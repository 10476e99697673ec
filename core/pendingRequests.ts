/**
 * Requests one side of the host <-> webview protocol has sent and not yet had answered: ids, the reply's check,
 * and a timeout so a peer that went away (a hidden view, a reloaded window) fails the request instead of
 * leaving it pending forever.
 */
import type { ParamsOf, RequestMessage, RequestType, ResponseMessage, ResultOf } from './protocol';

type AnyRequest = RequestType<string, unknown, unknown>;

interface Pending {
  type: AnyRequest;
  resolve: (result: unknown) => void;
  reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** Thrown (as the rejection) when no reply came in time. */
export class RequestTimeoutError extends Error {
  constructor(method: string, ms: number) {
    super(`${method}: no reply within ${ms} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export class PendingRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** `post` sends a message to the other side (it may queue it until the other side is ready). */
  constructor(private readonly post: (message: RequestMessage) => void) {}

  /** Send a request; resolves with the checked result, rejects on an error reply, a bad result or the timeout. */
  send<D extends AnyRequest>(type: D, params: ParamsOf<D>, timeoutMs = type.timeoutMs): Promise<ResultOf<D>> {
    const id = this.nextId++;
    return new Promise<ResultOf<D>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestTimeoutError(type.method, timeoutMs));
      }, timeoutMs);
      this.pending.set(id, { type, resolve: resolve as (r: unknown) => void, reject, timer });
      try {
        this.post({ kind: 'request', id, method: type.method, params });
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /**
   * Route a reply to its request. Returns false when it answers nothing pending (late, duplicate, forged, or
   * naming another method than the request's), so the caller can log and drop it.
   */
  settle(response: ResponseMessage): boolean {
    const p = this.pending.get(response.id);
    if (!p || p.type.method !== response.method) return false;
    this.pending.delete(response.id);
    clearTimeout(p.timer);
    if (!response.ok) {
      p.reject(new Error(`${response.method}: ${response.error}`));
      return true;
    }
    const bad = p.type.result(response.result, 'result');
    if (bad) p.reject(new Error(`${response.method}: malformed reply: ${bad}`));
    else p.resolve(response.result);
    return true;
  }

  /** Fail everything pending (the other side is gone). */
  rejectAll(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(new Error(`${p.type.method}: ${reason}`));
    }
  }

  get size(): number {
    return this.pending.size;
  }
}
