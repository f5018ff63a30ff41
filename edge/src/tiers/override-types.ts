// Per-tenant tier overrides, set through the admin API: a tenant with one is served at that tier whatever its
// token's `tier` claim or its API key's tier says, from the next request on (auth/middleware.ts reads it per
// request). Stores: memory (tests), Deno KV (Deno, kv/admin.ts), SQLite beside the ledger (Node), the tenant's TenantLedger Durable Object
// (Workers), like quota overrides (quotas/).

export interface TierOverrideStore {
  /** The tenant's tier name, or null when its credential's applies. */
  get(tenant: string): Promise<string | null>;
  /** Sets (a tier name) or clears (null) the tenant's override. */
  set(tenant: string, tier: string | null): Promise<void>;
}

export function createMemoryTierOverrideStore(): TierOverrideStore {
  const tiers = new Map<string, string>();
  return {
    get: async (tenant) => tiers.get(tenant) ?? null,
    async set(tenant, tier) {
      if (tier === null) tiers.delete(tenant);
      else tiers.set(tenant, tier);
    },
  };
}
