// createWorkerPool(): power-of-two-choices routing by load over GPU workers, with failover and health.
import {
  CancelAckSchema,
  type ErrorBody,
  ErrorEnvelopeSchema,
  isTerminal,
  type JobOutcome,
  JobOutcomeSchema,
  type ModelInfo,
  type WorkerHealth,
  WorkerHealthSchema,
  REQUEST_ID_HEADER,
  TRACEPARENT_HEADER,
  type WorkerJob,
} from "@guidegate/shared";
import { edgeLog } from "../observability/log.ts";
import type { Clock } from "../types.ts";
import { type InternalSigner, internalHealthSigner, internalSigner } from "./internal-token.ts";
import { jobEvents } from "./sse.ts";
import { fetchPostJob, type PostJob, type WorkerResponse } from "./transport.ts";
import {
  type Dispatch,
  type DispatchOptions,
  JobRejectedError,
  NoCapacityError,
  type WorkerPool,
  type WorkerStatus,
} from "./types.ts";

export interface WorkerPoolOptions {
  /** Base URLs of the workers (no trailing slash needed). */
  workers: readonly string[];
  internalSecret: string | Uint8Array;
  clock: Clock;
  fetch?: typeof fetch;
  /** Signs each job's internal token; jose over WebCrypto when absent (the Node entry passes node:crypto's). */
  sign?: InternalSigner;
  /** How jobs are POSTed and their streams read; `fetch` when absent (the Node entry passes undici's request()). */
  postJob?: PostJob;
  /** Random source for the two choices (tests pin it). */
  random?: () => number;
  /** How long to wait for a worker's response headers. */
  connectTimeoutMs?: number;
  /** How long a worker that failed to connect is skipped. */
  downMs?: number;
  /** Health older than this is refreshed in the background on dispatch; 0 disables polling. */
  healthTtlMs?: number;
  /** Retry-After sent to clients when no worker has room. */
  retryAfterSec?: number;
}

interface WorkerState {
  url: string;
  outstanding: number;
  downUntil: number;
  health: WorkerHealth | null;
  healthAt: number;
  refreshing: Promise<void> | null;
  /** The models of its last good health: kept while it is down, so a restart is not "model not found". */
  models: ModelInfo[];
}

async function errorBody(res: WorkerResponse): Promise<ErrorBody | null> {
  try {
    const parsed = ErrorEnvelopeSchema.safeParse(await res.json());
    return parsed.success ? parsed.data.error : null;
  } catch {
    return null;
  }
}

function retryAfterMs(res: WorkerResponse, fallbackMs: number): number {
  const s = Number(res.header("retry-after"));
  return Number.isFinite(s) && s > 0 ? Math.min(s, 60) * 1000 : fallbackMs;
}

/** After its terminal event a worker ends the response by itself: a dispatch closed then waits this long for the
 * last bytes, so the connection is kept for the next job, before cutting it. */
const DRAIN_GRACE_MS = 1_000;
const CLOSED = new Error("dispatch closed");

/**
 * A running dispatch over `body`; `onEnd` once, when its events end or it is closed. Closed before the terminal
 * event, the stream is cut: that is how the worker learns to stop (the stream is the job's lease). Closed after,
 * the response is left to end on its own (cut only after DRAIN_GRACE_MS), since cutting a response before its
 * last bytes were read also closes its connection.
 */
function dispatchOf(worker: string, body: WorkerResponse["body"], ctrl: AbortController, onEnd: () => void): Dispatch {
  let open = true;
  let done = false; // the terminal event went by
  let seq = 0;
  const finish = () => {
    if (!open) return;
    open = false;
    onEnd();
  };
  const events = (async function* () {
    try {
      for await (const e of jobEvents(body, (id) => (seq = id))) {
        if (isTerminal(e)) done = true;
        yield e;
      }
    } finally {
      finish();
    }
  })();
  const close = () => {
    if (!done) ctrl.abort(CLOSED);
    else (setTimeout(() => ctrl.abort(CLOSED), DRAIN_GRACE_MS) as { unref?: () => void }).unref?.();
    finish();
  };
  return { worker, events, close, lastSeq: () => seq };
}

/** The job's request id and span as headers too, for proxies and tracers between the edge and the worker. */
function traceHeaders(job: WorkerJob): Record<string, string> {
  const h: Record<string, string> = {};
  if (job.request_id) h[REQUEST_ID_HEADER] = job.request_id;
  if (job.traceparent) h[TRACEPARENT_HEADER] = job.traceparent;
  return h;
}

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  if (!options || !Array.isArray(options.workers) || options.workers.length === 0)
    throw new Error("createWorkerPool: at least one worker URL is required");
  for (const u of options.workers) new URL(u); // malformed URLs fail at start-up
  const sign = options.sign ?? internalSigner(options.internalSecret);
  const signHealth = internalHealthSigner(options.internalSecret);
  const clock = options.clock;
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const postJob = options.postJob ?? fetchPostJob(doFetch);
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const downMs = options.downMs ?? 5_000;
  const healthTtlMs = options.healthTtlMs ?? 2_000;
  const retryAfterSec = options.retryAfterSec ?? 2;
  const random = options.random ?? Math.random;
  const workers: WorkerState[] = options.workers.map((u) => ({
    url: u.replace(/\/+$/, ""),
    outstanding: 0,
    downUntil: 0,
    health: null,
    healthAt: 0,
    refreshing: null,
    models: [],
  }));
  // Health older than this is refetched before answering models(); with polling off (Workers), per request.
  const modelsTtlMs = healthTtlMs > 0 ? healthTtlMs : 2_000;
  let rr = 0; // tie-breaker so equal workers share load

  /** One health fetch per worker at a time; concurrent callers share it. */
  function refreshHealth(w: WorkerState): Promise<void> {
    w.refreshing ??= fetchHealth(w);
    return w.refreshing;
  }

  async function fetchHealth(w: WorkerState): Promise<void> {
    try {
      const res = await doFetch(`${w.url}/internal/health`, {
        headers: { authorization: `Bearer ${await signHealth(clock.now())}` },
        signal: AbortSignal.timeout(2_000),
      });
      const parsed = WorkerHealthSchema.safeParse(await res.json());
      w.health = parsed.success ? parsed.data : null;
      if (parsed.success) w.models = parsed.data.models;
      if (!parsed.success || !parsed.data.ok) w.downUntil = clock.now() + downMs;
    } catch {
      w.health = null;
      w.downUntil = clock.now() + downMs;
    } finally {
      w.healthAt = clock.now();
      w.refreshing = null;
    }
  }

  function full(w: WorkerState, model: string): boolean {
    const h = w.health;
    if (!h || clock.now() - w.healthAt > Math.max(healthTtlMs, 1) * 5) return false; // stale health says nothing
    // A draining worker finishes what it runs (its outcome and cancel stay reachable) but takes nothing new.
    if (h.draining) return true;
    return (h.running >= h.capacity && h.queued >= h.max_queue) || !h.models.some((m) => m.id === model);
  }

  /** Jobs per slot: this edge's own count (exact, now) or the worker's (every edge's, a little old), whichever is higher. */
  function load(w: WorkerState, now: number): number {
    const h = w.health;
    const fresh = h !== null && now - w.healthAt <= Math.max(healthTtlMs, 1) * 5;
    const busy = fresh ? Math.max(w.outstanding, h.running + h.queued) : w.outstanding;
    return busy / Math.max(1, h?.capacity ?? 1);
  }

  /** Two random eligible workers, the less loaded first; the rest follow by load as fallbacks. */
  function candidates(job: WorkerJob, exclude: ReadonlySet<string> | undefined): WorkerState[] {
    const now = clock.now();
    if (healthTtlMs > 0) for (const w of workers) if (now - w.healthAt > healthTtlMs) void refreshHealth(w);
    const start = rr++ % workers.length;
    const rotated = [...workers.slice(start), ...workers.slice(0, start)];
    const eligible = rotated.filter((w) => !exclude?.has(w.url) && w.downUntil <= now && !full(w, job.model));
    const byLoad = (a: WorkerState, b: WorkerState) => load(a, now) - load(b, now); // stable: rotation breaks ties
    if (eligible.length <= 2) return eligible.sort(byLoad);
    const i = Math.floor(random() * eligible.length);
    const j = (i + 1 + Math.floor(random() * (eligible.length - 1))) % eligible.length;
    const pair = [eligible[i]!, eligible[j]!].sort(byLoad);
    return [...pair, ...eligible.filter((w) => !pair.includes(w)).sort(byLoad)];
  }

  async function tryWorker(
    w: WorkerState,
    job: WorkerJob,
    signal: AbortSignal | undefined,
    afterSeq?: number,
  ): Promise<Dispatch | null> {
    if (signal?.aborted) throw signal.reason ?? new Error("aborted");
    const ctrl = new AbortController();
    // The caller's signal covers only the connect phase; afterwards cancel() or close() stop the job.
    const onAbort = () => ctrl.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => ctrl.abort(new Error("connect timeout")), connectTimeoutMs);
    let res: WorkerResponse;
    try {
      res = await postJob(`${w.url}/internal/jobs`, {
        headers: {
          authorization: `Bearer ${await sign(job.job_id, clock.now())}`,
          "content-type": "application/json",
          accept: "text/event-stream",
          ...(afterSeq === undefined ? {} : { "last-event-id": String(afterSeq) }), // a re-attach
          ...traceHeaders(job),
        },
        body: JSON.stringify(job),
        signal: ctrl.signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      w.downUntil = clock.now() + downMs; // unreachable: skip it for a while
      return null;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    const type = res.header("content-type") ?? "";
    if (res.status >= 200 && res.status < 300 && type.startsWith("text/event-stream")) {
      w.outstanding++;
      return dispatchOf(w.url, res.body, ctrl, () => w.outstanding--);
    }
    if (res.status === 400 || res.status === 422) {
      const body = await errorBody(res);
      throw new JobRejectedError(
        body ?? {
          type: "invalid_request_error",
          code: "rejected_by_worker",
          message: "The job was rejected.",
          param: null,
        },
      );
    }
    await res.discard().catch(() => {});
    if (res.status === 503 || res.status === 429) w.downUntil = clock.now() + retryAfterMs(res, 1_000);
    else {
      edgeLog.error("worker {worker} answered {status} to a dispatch", {
        worker: w.url,
        status: res.status,
        request_id: job.request_id,
      });
      w.downUntil = clock.now() + downMs;
    }
    return null;
  }

  return {
    async dispatch(job: WorkerJob, opts: DispatchOptions = {}): Promise<Dispatch> {
      for (const w of candidates(job, opts.exclude)) {
        const d = await tryWorker(w, job, opts.signal);
        if (d) return d;
      }
      throw new NoCapacityError(retryAfterSec);
    },

    async attach(worker: string, job: WorkerJob, afterSeq: number): Promise<Dispatch | null> {
      const w = workers.find((x) => x.url === worker.replace(/\/+$/, ""));
      if (!w) return null; // no longer configured: nothing to join
      try {
        return await tryWorker(w, job, undefined, afterSeq);
      } catch {
        return null; // refused (400): it will not stream this job
      }
    },

    async cancel(worker: string, jobId: string): Promise<boolean> {
      try {
        const res = await doFetch(`${worker}/internal/jobs/${encodeURIComponent(jobId)}/cancel`, {
          method: "POST",
          headers: { authorization: `Bearer ${await sign(jobId, clock.now())}` },
          signal: AbortSignal.timeout(5_000),
        });
        if (!res.ok) {
          await res.body?.cancel().catch(() => {});
          return false;
        }
        // A 2xx that is not the contract's acknowledgement did not stop anything we can rely on.
        const ack = CancelAckSchema.safeParse(await res.json());
        return ack.success && ack.data.cancelled && ack.data.id === jobId;
      } catch {
        return false;
      }
    },

    async models(): Promise<ModelInfo[]> {
      const now = clock.now();
      await Promise.all(workers.filter((w) => now - w.healthAt > modelsTtlMs).map(refreshHealth));
      const seen = new Map<string, ModelInfo>();
      for (const w of workers) for (const m of w.models) if (!seen.has(m.id)) seen.set(m.id, m);
      return [...seen.values()];
    },

    async outcome(worker: string, jobId: string, waitMs: number): Promise<JobOutcome | null> {
      try {
        const res = await doFetch(
          `${worker}/internal/jobs/${encodeURIComponent(jobId)}?wait_ms=${Math.max(0, Math.floor(waitMs))}`,
          {
            headers: { authorization: `Bearer ${await sign(jobId, clock.now())}` },
            signal: AbortSignal.timeout(waitMs + 5_000),
          },
        );
        if (!res.ok) {
          await res.body?.cancel().catch(() => {});
          return null;
        }
        const parsed = JobOutcomeSchema.safeParse(await res.json());
        return parsed.success ? parsed.data : null;
      } catch {
        return null;
      }
    },

    status(): WorkerStatus[] {
      const now = clock.now();
      return workers.map((w) => ({ url: w.url, outstanding: w.outstanding, up: w.downUntil <= now, health: w.health }));
    },
  };
}
