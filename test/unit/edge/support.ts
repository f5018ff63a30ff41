// Builds the edge app for unit tests: memory ledger/idempotency/rate limiter, a fixed clock,
// an HS256 key source, and a pool that records what reached it (and by default has no capacity).
import { isTerminal, type JobEvent, type WorkerJob } from "@guidegate/shared";
import { createApp } from "../../../edge/src/app.ts";
import { mintDevToken } from "../../../edge/src/auth/dev-token.ts";
import { createSecretKeySource, type KeySource } from "../../../edge/src/auth/key-source.ts";
import { type EdgeConfig, makeConfig } from "../../../edge/src/config.ts";
import { createMemoryIdempotencyStore, createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import type { JobStore } from "../../../edge/src/jobs/types.ts";
import type { QuotaOverrideStore } from "../../../edge/src/quotas/types.ts";
import type { KeyStore } from "../../../edge/src/apikeys/types.ts";
import type { IdempotencyStore, Ledger } from "../../../edge/src/ledger/types.ts";
import { type Dispatch, NoCapacityError, type WorkerPool } from "../../../edge/src/pool/types.ts";
import { createMemoryRateLimiter } from "../../../edge/src/ratelimit/memory.ts";
import type { RateLimiter } from "../../../edge/src/ratelimit/types.ts";
import type { Clock } from "../../../edge/src/clock.ts";
import type { Webhooks } from "../../../edge/src/webhooks/service.ts";
import { SHAPES_32 } from "../../support/models.ts";

export const SECRET = "unit-test-secret-0123456789abcdef-0123456789";
export const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

/** A pool that records every dispatch and cancel; dispatch answers with `respond` (default: no capacity). */
export interface RecordingPool extends WorkerPool {
  dispatched: WorkerJob[];
  cancelled: string[];
}

export function recordingPool(respond?: (job: WorkerJob) => Promise<Dispatch>): RecordingPool {
  const dispatched: WorkerJob[] = [];
  const cancelled: string[] = [];
  return {
    dispatched,
    cancelled,
    async dispatch(job) {
      dispatched.push(job);
      if (respond) return respond(job);
      throw new NoCapacityError(3);
    },
    async cancel(_worker, jobId) {
      cancelled.push(jobId);
      return true;
    },
    status: () => [],
    models: async () => [SHAPES_32],
  };
}

/** A live dispatch whose events the test pushes; it ends after a terminal event or close(). */
export function liveDispatch(worker = "http://w1") {
  const queue: JobEvent[] = [];
  let wake: (() => void) | null = null;
  let closed = false;
  const push = (e: JobEvent) => {
    queue.push(e);
    wake?.();
  };
  const d: Dispatch & { push: typeof push; isClosed: () => boolean } = {
    worker,
    push,
    isClosed: () => closed,
    close() {
      closed = true;
      wake?.();
    },
    events: (async function* () {
      for (;;) {
        while (queue.length === 0 && !closed) await new Promise<void>((r) => (wake = r));
        const e = queue.shift();
        if (!e) return;
        yield e;
        if (isTerminal(e)) return;
      }
    })(),
  };
  return d;
}

export interface TestApp {
  app: ReturnType<typeof createApp>;
  pool: RecordingPool;
  ledger: Ledger;
  idempotency: IdempotencyStore;
  clock: Clock & { t: number };
  config: EdgeConfig;
  token(claims?: { sub?: string; tier?: string }): Promise<string>;
  post(
    path: string,
    body: unknown,
    opts?: { tier?: string; sub?: string; headers?: Record<string, string> },
  ): Promise<Response>;
  get(path: string, opts?: { tier?: string; sub?: string; headers?: Record<string, string> }): Promise<Response>;
}

export function testApp(
  over: {
    keys?: KeySource[];
    config?: Partial<EdgeConfig>;
    pool?: RecordingPool;
    ledger?: Ledger;
    rateLimiter?: RateLimiter;
    idempotency?: IdempotencyStore;
    jobs?: JobStore;
    webhooks?: Webhooks;
    quotas?: QuotaOverrideStore;
    apiKeys?: KeyStore;
  } = {},
): TestApp {
  const clock = {
    t: NOW,
    now() {
      return this.t;
    },
  };
  const config = makeConfig({ keepAliveMs: 0, ...over.config });
  const pool = over.pool ?? recordingPool();
  const ledger = over.ledger ?? createMemoryLedger();
  const idempotency = over.idempotency ?? createMemoryIdempotencyStore();
  const app = createApp({
    keys: over.keys ?? [createSecretKeySource(SECRET)],
    ledger,
    idempotency,
    rateLimiter: over.rateLimiter ?? createMemoryRateLimiter(),
    pool,
    clock,
    config,
    jobs: over.jobs,
    webhooks: over.webhooks,
    quotas: over.quotas,
    apiKeys: over.apiKeys,
  });
  const token = (c: { sub?: string; tier?: string } = {}) =>
    mintDevToken({ sub: c.sub ?? "alice", tier: c.tier ?? "pro", secret: SECRET, now: clock.t });
  const headersFor = async (o: { tier?: string; sub?: string; headers?: Record<string, string> } = {}) => ({
    authorization: `Bearer ${await token({ sub: o.sub, tier: o.tier })}`,
    ...o.headers,
  });
  return {
    app,
    pool,
    ledger,
    idempotency,
    clock,
    config,
    token,
    async post(path, body, o = {}) {
      const headers = { "content-type": "application/json", ...(await headersFor(o)) };
      return app.request(path, {
        method: "POST",
        headers,
        body: typeof body === "string" ? body : JSON.stringify(body),
      });
    },
    async get(path, o = {}) {
      return app.request(path, { headers: await headersFor(o) });
    },
  };
}

/** Asserts the shared error envelope and returns its body. */
export async function envelopeOf(
  res: Response,
): Promise<{ type: string; code: string; message: string; param: string | null }> {
  const body = (await res.json()) as { error: { type: string; code: string; message: string; param: string | null } };
  if (!body.error || typeof body.error.message !== "string" || !("param" in body.error))
    throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  return body.error;
}
