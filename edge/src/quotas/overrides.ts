// Where overrides take effect: the seed from config under the store, and the ledger every route and run uses.
import { checkQuota } from "../ledger/validate.ts";
import type { Ledger } from "../ledger/types.ts";
import type { QuotaOverrideStore } from "./types.ts";

/** `store` over a read-only `seed` (config): a tenant without a stored override gets its seeded one, so config
 * needs no write at start-up (on Workers that would be a write to every seeded tenant's object per isolate). */
export function withQuotaSeed(store: QuotaOverrideStore, seed: Readonly<Record<string, number>>): QuotaOverrideStore {
  const seeded = new Map(Object.entries(seed).map(([tenant, quota]) => [tenant, checkQuota(quota)]));
  if (seeded.size === 0) return store;
  return {
    get: async (tenant) => (await store.get(tenant)) ?? seeded.get(tenant) ?? null,
    set: (tenant, quotaNfe) => store.set(tenant, quotaNfe),
  };
}

/** `ledger` with the quota of every reserve and read replaced by the tenant's override, when it has one. */
export function withQuotaOverrides(ledger: Ledger, quotas: QuotaOverrideStore): Ledger {
  const quotaOf = async (tenant: string, tierQuota: number) => (await quotas.get(tenant)) ?? tierQuota;
  return {
    reserve: async (tenant, jobId, nfe, quota, now, terms) =>
      ledger.reserve(tenant, jobId, nfe, await quotaOf(tenant, quota), now, terms),
    settle: (jobId, spent, now) => ledger.settle(jobId, spent, now),
    void: (jobId) => ledger.void(jobId),
    usage: async (tenant, quota, now) => ledger.usage(tenant, await quotaOf(tenant, quota), now),
    report: async (tenant, quota, now, period) => ledger.report(tenant, await quotaOf(tenant, quota), now, period),
    settledJobs: (tenant, period, after, limit) => ledger.settledJobs(tenant, period, after, limit),
    get: (jobId) => ledger.get(jobId),
  };
}
