// Quota overrides for the Workers entry: each tenant's lives in its TenantLedger Durable Object, beside its ledger.
import { checkQuota } from "../ledger/validate.ts";
import { routeKeyOf, type TenantObjectNamespace, tenantObject } from "../storage/tenant-object.ts";
import type { QuotaOverrideStore } from "./types.ts";

/** The quota methods of the TenantLedger object, as its RPC stub exposes them. */
export interface QuotaObject {
  quotaOverride(tenant: string): Promise<number | null>;
  setQuotaOverride(tenant: string, quotaNfe: number | null): Promise<void>;
}

export function createDurableObjectQuotaStore<Id>(ns: TenantObjectNamespace<QuotaObject, Id>): QuotaOverrideStore {
  return {
    get: async (tenant) => tenantObject(ns, routeKeyOf(tenant)).quotaOverride(tenant),
    async set(tenant, quotaNfe) {
      if (quotaNfe !== null) checkQuota(quotaNfe);
      await tenantObject(ns, routeKeyOf(tenant)).setQuotaOverride(tenant, quotaNfe);
    },
  };
}
