// The edge app in this process with memory stores and a pool that refuses every dispatch: a request
// that passes all checks gets 503 and never reaches a real worker. The pool is a stand-in, not a fault.
import { POLICY_NAMES, type WorkerJob } from "@guidegate/shared";
import { createApp } from "../../../../edge/src/app.ts";
import { createSecretKeySource } from "../../../../edge/src/auth/key-source.ts";
import { makeConfig } from "../../../../edge/src/config.ts";
import { createMemoryIdempotencyStore, createMemoryLedger } from "../../../../edge/src/ledger/memory.ts";
import { NoCapacityError, type WorkerPool } from "../../../../edge/src/pool/types.ts";
import { createMemoryRateLimiter } from "../../../../edge/src/ratelimit/memory.ts";
import { type FuzzStats, runFuzz } from "./run.ts";

export const FUZZ_SECRET = "fuzz-secret-0123456789abcdef-0123456789abcdef";
const NOW = Date.UTC(2026, 5, 15, 12, 0, 0);

export interface InProcessFuzz {
  stats: FuzzStats;
  dispatched: WorkerJob[];
  /** Tenants whose ledger shows anything used or reserved after the run (must be none). */
  ledgerChanged: Array<{ sub: string; used: number; reserved: number }>;
}

export async function fuzzInProcess(numRuns: number, seed?: number): Promise<InProcessFuzz> {
  const dispatched: WorkerJob[] = [];
  const pool: WorkerPool = {
    async dispatch(job) {
      dispatched.push(job);
      throw new NoCapacityError(2);
    },
    async cancel() {
      return false;
    },
    status: () => [],
    // What a worker serving the embedded model reports in its health.
    models: async () => [{ id: "shapes-32", sizes: ["32x32"], policies: [...POLICY_NAMES], negative_prompt: true }],
  };
  const clock = { now: () => NOW };
  // Jobs do not wait for room here: an acceptable POST /v1/jobs is refused 503 like a synchronous one.
  const config = makeConfig({ keepAliveMs: 0, jobQueueTimeoutMs: 0 });
  const ledger = createMemoryLedger();
  const app = createApp({
    keys: [createSecretKeySource(FUZZ_SECRET)],
    ledger,
    idempotency: createMemoryIdempotencyStore(),
    rateLimiter: createMemoryRateLimiter(),
    pool,
    clock,
    config,
  });
  const baseline = Object.getOwnPropertyNames(Object.prototype).length;
  const stats = await runFuzz({
    numRuns,
    seed,
    invalidOnly: false,
    secret: FUZZ_SECRET,
    now: clock.now,
    secrets: [FUZZ_SECRET],
    send: async (req, init) => app.request(req.path, init),
    after: () =>
      (({}) as Record<string, unknown>).polluted !== undefined ||
      Object.getOwnPropertyNames(Object.prototype).length !== baseline
        ? "Object.prototype was polluted"
        : null,
  });
  const ledgerChanged: InProcessFuzz["ledgerChanged"] = [];
  for (const t of stats.tenants) {
    const u = await ledger.usage(t.sub, config.tiers[t.tier]!.monthly_quota_nfe, NOW);
    if (u.used !== 0 || u.reserved !== 0) ledgerChanged.push({ sub: t.sub, used: u.used, reserved: u.reserved });
  }
  return { stats, dispatched, ledgerChanged };
}
