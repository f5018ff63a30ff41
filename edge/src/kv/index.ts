// Every store of the Deno edge on one Deno KV database (Deno.openKv: a local file, or the managed store on Deno
// Deploy): the ledger, idempotency records, rate buckets, quota overrides, jobs, API keys, tier overrides and the audit log (createKvStores, createApp's
// deps) and the webhook store (createKvWebhookStore, for createWebhooks), so a restart loses neither billing, jobs
// nor pending deliveries. The same code runs under Node on @deno/kv (the conformance suites).
import type { KeyStore } from "../apikeys/types.ts";
import type { AuditLog } from "../audit/types.ts";
import type { Clock } from "../clock.ts";
import type { JobStore } from "../jobs/types.ts";
import { type LedgerOptions, RESERVATION_LEASE_MS } from "../ledger/lease.ts";
import type { IdempotencyStore, Ledger } from "../ledger/types.ts";
import { checkLease } from "../ledger/validate.ts";
import type { QuotaOverrideStore } from "../quotas/types.ts";
import type { RateLimiter } from "../ratelimit/types.ts";
import type { TierOverrideStore } from "../tiers/override-types.ts";
import { createKvAuditLog, createKvKeyStore, createKvTierOverrideStore } from "./admin.ts";
import { createKvJobStore, type KvJobStoreOptions } from "./jobs.ts";
import type { Kv, KvKey } from "./kv.ts";
import { createKvIdempotencyStore, createKvLedger } from "./ledger.ts";
import { createKvQuotaStore } from "./quotas.ts";
import { createKvRateLimiter } from "./ratelimit.ts";

export type { Kv, KvKey } from "./kv.ts";
export { createKvAuditLog, createKvKeyStore, createKvTierOverrideStore } from "./admin.ts";
export { createKvJobStore, type KvJobStoreOptions } from "./jobs.ts";
export { createKvIdempotencyStore, createKvLedger } from "./ledger.ts";
export { createKvQuotaStore } from "./quotas.ts";
export { createKvRateLimiter } from "./ratelimit.ts";
export { createKvWebhookStore } from "./webhooks.ts";

/** The key every store's keys start with, unless told otherwise. */
export const KV_PREFIX: KvKey = ["gg"];

export interface KvStoresOptions extends LedgerOptions {
  /** Where these stores' keys live in the database (tests give each store set its own); KV_PREFIX by default. */
  prefix?: KvKey;
  /** The job store's clock and TTL (the edge's jobTtlMs). */
  jobs: Omit<KvJobStoreOptions, "clock"> & { clock: Clock };
}

export interface KvStores {
  ledger: Ledger;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  quotas: QuotaOverrideStore;
  jobs: JobStore;
  apiKeys: KeyStore;
  audit: AuditLog;
  tierOverrides: TierOverrideStore;
}

export function createKvStores(kv: Kv, options: KvStoresOptions): KvStores {
  const leaseMs = checkLease(options.leaseMs ?? RESERVATION_LEASE_MS);
  const prefix = options.prefix ?? KV_PREFIX;
  return {
    ledger: createKvLedger(kv, prefix, leaseMs),
    idempotency: createKvIdempotencyStore(kv, prefix),
    rateLimiter: createKvRateLimiter(kv, prefix),
    quotas: createKvQuotaStore(kv, prefix),
    jobs: createKvJobStore(kv, prefix, options.jobs),
    apiKeys: createKvKeyStore(kv, prefix),
    audit: createKvAuditLog(kv, prefix),
    tierOverrides: createKvTierOverrideStore(kv, prefix),
  };
}
