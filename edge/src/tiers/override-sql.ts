// Tier overrides (override-types.ts) in SQL: the SQLite file (Node) and each tenant's TenantLedger object (Workers).
import type { SqlPort } from "../storage/sql-port.ts";
import { type TenantObjectNamespace, routeKeyOf, tenantObject } from "../storage/tenant-object.ts";
import type { TierOverrideStore } from "./override-types.ts";

export const TIER_OVERRIDE_SCHEMA: readonly string[] = [
  "CREATE TABLE IF NOT EXISTS tenant_tiers (tenant TEXT PRIMARY KEY, tier TEXT NOT NULL)",
];

export class SqlTierOverrideCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of TIER_OVERRIDE_SCHEMA) db.all(stmt);
  }

  get(tenant: string): string | null {
    return this.db.all<{ tier: string }>("SELECT tier FROM tenant_tiers WHERE tenant = ?", tenant)[0]?.tier ?? null;
  }

  set(tenant: string, tier: string | null): void {
    if (tier === null) this.db.all("DELETE FROM tenant_tiers WHERE tenant = ?", tenant);
    else
      this.db.all(
        "INSERT INTO tenant_tiers (tenant, tier) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET tier = excluded.tier",
        tenant,
        tier,
      );
  }
}

/** The tier methods of the TenantLedger object, as its RPC stub exposes them. */
export interface TierObject {
  tierOverride(tenant: string): Promise<string | null>;
  setTierOverride(tenant: string, tier: string | null): Promise<void>;
}

export function createDurableObjectTierOverrideStore<Id>(ns: TenantObjectNamespace<TierObject, Id>): TierOverrideStore {
  return {
    get: (tenant) => tenantObject(ns, routeKeyOf(tenant)).tierOverride(tenant),
    set: (tenant, tier) => tenantObject(ns, routeKeyOf(tenant)).setTierOverride(tenant, tier),
  };
}
