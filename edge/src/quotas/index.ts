// Per-tenant quota overrides: memory for tests, SQLite for Node (ledger/sqlite.ts opens it beside the ledger), the
// TenantLedger Durable Object for Workers, Deno KV for Deno (kv/quotas.ts).
export { createDurableObjectQuotaStore, type QuotaObject } from "./durable-object.ts";
export { createMemoryQuotaStore } from "./memory.ts";
export { withQuotaOverrides, withQuotaSeed } from "./overrides.ts";
export type { QuotaOverrideStore } from "./types.ts";
