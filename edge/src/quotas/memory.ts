// Quota overrides in process memory, for tests and single-process runs (lost on restart).
import { checkQuota } from "../ledger/validate.ts";
import type { QuotaOverrideStore } from "./types.ts";

export function createMemoryQuotaStore(): QuotaOverrideStore {
  const quotas = new Map<string, number>(); // a Map: tenants named "__proto__" or "constructor" are plain keys
  return {
    get: async (tenant) => quotas.get(tenant) ?? null,
    async set(tenant, quotaNfe) {
      if (quotaNfe === null) quotas.delete(tenant);
      else quotas.set(tenant, checkQuota(quotaNfe));
    },
  };
}
