// The ledger's runtime-neutral surface. The SQLite store is not re-exported here: it loads a native addon, so
// only the Node entry imports it, from "./ledger/sqlite.ts".

export type { TenantLedgerNamespace } from "./do-protocol.ts";
export { TenantLedger, type TenantLedgerState } from "./durable-object.ts";
export { createDurableObjectIdempotencyStore, createDurableObjectLedger } from "./durable-object-client.ts";
export { newJobId, routeKeyOf, routeKeyOfJob } from "./ids.ts";
export { type LedgerOptions, RESERVATION_LEASE_MS } from "./lease.ts";
export { createMemoryIdempotencyStore, createMemoryLedger } from "./memory.ts";
export * from "./types.ts";
