// Cross-cutting types of the edge: the injected dependencies and Hono's typed context.
import type { Tier } from "@guidegate/shared";
import type { KeySource } from "./auth/key-source.ts";
import type { EdgeConfig } from "./config.ts";
import type { JobStore } from "./jobs/types.ts";
import type { IdempotencyStore, Ledger } from "./ledger/types.ts";
import type { WorkerPool } from "./pool/types.ts";
import type { RateLimiter } from "./ratelimit/types.ts";

export interface Clock {
  now(): number; // ms since epoch
}
export const systemClock: Clock = { now: () => Date.now() };

/** Hands a background promise to the runtime (Workers: ctx.waitUntil); Node/Deno just let it run. */
export type Background = (task: Promise<unknown>) => void;

export interface Deps {
  keys: KeySource[];
  ledger: Ledger;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  pool: WorkerPool;
  clock: Clock;
  config: EdgeConfig;
  /** Job records and event logs; a bounded in-memory store when absent. */
  jobs?: JobStore;
}

/** What the auth middleware puts on the context for handlers. */
export interface Caller {
  tenant: string;
  tierName: string;
  tier: Tier;
}

export type AppEnv = { Variables: { caller: Caller } };
