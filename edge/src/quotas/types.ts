// Per-tenant monthly quotas: a contract or a trial that differs from the tenant's tier. An override replaces the
// tier's monthly_quota_nfe wherever the ledger takes a quota (each reserve, each usage read), read at that moment,
// so a change applies to the next job (overrides.ts). Stores: memory (tests), SQLite beside the ledger
// (Node), the tenant's TenantLedger Durable Object (Workers), Deno KV (Deno). No admin API writes them yet; `set` is there for one,
// and GG_TENANT_QUOTAS_JSON seeds them from config.

export interface QuotaOverrideStore {
  /** The tenant's monthly quota in NFEs, or null when its tier's applies. */
  get(tenant: string): Promise<number | null>;
  /** Sets (a non-negative integer of NFEs) or clears (null) the tenant's override. */
  set(tenant: string, quotaNfe: number | null): Promise<void>;
}
