// Cloudflare Workers entry. Bindings: TENANT_LEDGER (Durable Object namespace of TenantLedger),
// vars GG_WORKER_URLS, GG_JWKS_URL, GG_ISSUER, GG_AUDIENCE, ...; secrets GG_INTERNAL_SECRET, GG_JWT_SECRET.
// Limitation: jobs (POST /v1/jobs) are consumed by the isolate that created them, kept alive by
// ctx.waitUntil (about 30 s after the response), and their event log lives in that isolate's memory.
// Long jobs and GET /v1/jobs/{id}/events from another isolate need a job Durable Object (not built yet).
// Webhooks likewise: endpoints and the outbox are in the isolate's memory (webhooks/memory.ts), the first
// attempt runs inside the job's waitUntil and retries only while the isolate lives; the address rule checks
// literal IPs and localhost names only (Workers have no DNS API).
import type { DurableObjectNamespace } from "@cloudflare/workers-types";
import type { ExecutionContext } from "hono";
import { createApp } from "./app.ts";
import { keysFromEnv } from "./auth/from-env.ts";
import { type EnvMap, loadConfig, parseWorkerUrls } from "./config.ts";
import { configureLogging, logLevelOf } from "./observability/log.ts";
import type { TenantLedger } from "./durable/tenant-ledger.ts";
import { createDurableObjectIdempotencyStore, createDurableObjectLedger } from "./ledger/durable-object-client.ts";
import { createDurableObjectQuotaStore } from "./quotas/durable-object.ts";
import { createDurableObjectKeyStore } from "./apikeys/durable-object.ts";
import { createDurableObjectAuditLog } from "./audit/durable-object.ts";
import { createDurableObjectTierOverrideStore } from "./tiers/override-sql.ts";
import { createWorkerPool } from "./pool/pool.ts";
import { createDurableObjectRateLimiter } from "./ratelimit/durable-object.ts";
import { systemClock } from "./clock.ts";
import { loadWebhookConfig } from "./webhooks/config.ts";
import { createMemoryWebhookStore } from "./webhooks/memory.ts";
import { createWebhooks } from "./webhooks/service.ts";

export { TenantLedger } from "./durable/tenant-ledger.ts";

export interface WorkerEnv {
  TENANT_LEDGER: DurableObjectNamespace<TenantLedger>;
  [name: string]: unknown;
}

type App = ReturnType<typeof createApp>;
let app: App | null = null; // one app per isolate: JWKS cache, pool load and job store persist across requests

function stringVars(env: WorkerEnv): EnvMap {
  const out: EnvMap = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

function build(env: WorkerEnv): App {
  const vars = stringVars(env);
  if (!env.TENANT_LEDGER) throw new Error("The TENANT_LEDGER Durable Object binding is missing");
  if (!vars.GG_INTERNAL_SECRET) throw new Error("The GG_INTERNAL_SECRET secret is missing");
  const config = loadConfig(vars);
  configureLogging(logLevelOf(vars.GG_LOG_LEVEL));
  return createApp({
    keys: keysFromEnv(vars, { allowDevSecret: false }),
    ledger: createDurableObjectLedger(env.TENANT_LEDGER, { leaseMs: config.reservationLeaseMs }),
    idempotency: createDurableObjectIdempotencyStore(env.TENANT_LEDGER),
    quotas: createDurableObjectQuotaStore(env.TENANT_LEDGER),
    apiKeys: createDurableObjectKeyStore(env.TENANT_LEDGER),
    audit: createDurableObjectAuditLog(env.TENANT_LEDGER),
    tierOverrides: createDurableObjectTierOverrideStore(env.TENANT_LEDGER),
    rateLimiter: createDurableObjectRateLimiter(env.TENANT_LEDGER),
    pool: createWorkerPool({
      workers: parseWorkerUrls(vars.GG_WORKER_URLS),
      internalSecret: vars.GG_INTERNAL_SECRET,
      clock: systemClock,
      healthTtlMs: 0, // no background polling: Workers cancel I/O that outlives its request
    }),
    clock: systemClock,
    config,
    // Workers are production: the address rule always applies.
    webhooks: createWebhooks({
      store: createMemoryWebhookStore(),
      clock: systemClock,
      config: loadWebhookConfig(vars, true),
    }),
  });
}

export default {
  fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= build(env);
    return app.fetch(request, env, ctx);
  },
};
