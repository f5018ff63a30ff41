// The ledger's runtime-neutral surface. Not re-exported here: the SQLite store (it loads a native addon, so only
// the Node entry imports "./ledger/sqlite.ts") and the TenantLedger Durable Object class (it imports
// "cloudflare:workers", so only the Workers entry imports "../durable/tenant-ledger.ts").

export {
  createDurableObjectIdempotencyStore,
  createDurableObjectLedger,
  type LedgerObject,
  type LedgerObjectNamespace,
} from "./durable-object-client.ts";
export { newJobId, routeKeyOf, routeKeyOfJob } from "./ids.ts";
export { type LedgerOptions, RESERVATION_LEASE_MS } from "./lease.ts";
export { createMemoryIdempotencyStore, createMemoryLedger } from "./memory.ts";
export * from "./types.ts";
