// Node-only: the WebhookStore in a SQLite file (better-sqlite3), so the outbox outlives an edge restart and
// pending deliveries resume at start-up. Never import this from the Workers or Deno entries (native addon).
import { openSqlite, sqlitePort } from "../ledger/sqlite.ts";
import { SqlWebhookCore } from "./sql-core.ts";
import type { WebhookStore } from "./types.ts";

export function createSqliteWebhookStore(path: string): WebhookStore & { close(): void } {
  const db = openSqlite(path);
  const core = new SqlWebhookCore(sqlitePort(db));
  return {
    createEndpoint: async (e) => core.createEndpoint(e),
    listEndpoints: async (tenant) => core.listEndpoints(tenant),
    getEndpoint: async (tenant, id) => core.getEndpoint(tenant, id),
    deleteEndpoint: async (tenant, id) => core.deleteEndpoint(tenant, id),
    rotateEndpointSecret: async (tenant, id, secret, until) => core.rotateEndpointSecret(tenant, id, secret, until),
    tenantSecret: async (tenant, fresh) => core.tenantSecret(tenant, fresh),
    rotateTenantSecret: async (tenant, secret, until) => core.rotateTenantSecret(tenant, secret, until),
    setJobUrl: async (tenant, jobId, url, now) => core.setJobUrl(tenant, jobId, url, now),
    jobUrl: async (jobId) => core.jobUrl(jobId),
    enqueue: async (list) => core.enqueue(list),
    claimDue: async (now, leaseMs, limit) => core.claimDue(now, leaseMs, limit),
    recordAttempt: async (id, outcome) => core.recordAttempt(id, outcome),
    nextDueAt: async () => core.nextDueAt(),
    deliveriesForJob: async (tenant, jobId) => core.deliveriesForJob(tenant, jobId),
    prune: async (before) => core.prune(before),
    close: () => db.close(),
  };
}
