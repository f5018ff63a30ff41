// Per-tenant quota overrides on Deno KV, beside the ledger: one key per tenant.
import { checkQuota } from "../ledger/validate.ts";
import type { QuotaOverrideStore } from "../quotas/types.ts";
import type { Kv, KvKey } from "./kv.ts";

export function createKvQuotaStore(kv: Kv, prefix: KvKey): QuotaOverrideStore {
  const key = (tenant: string): KvKey => [...prefix, "quota", tenant];
  return {
    get: async (tenant) => (await kv.get<number>(key(tenant))).value,
    async set(tenant, quotaNfe) {
      if (quotaNfe === null) await kv.atomic().delete(key(tenant)).commit();
      else await kv.atomic().set(key(tenant), checkQuota(quotaNfe)).commit();
    },
  };
}
