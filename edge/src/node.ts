// Node entry: @hono/node-server, SQLite ledger, in-process rate limiter and job store.
//   PORT (or GG_EDGE_PORT, default 8787), GG_HOST (default 127.0.0.1), GG_WORKER_URLS (required),
//   GG_INTERNAL_SECRET (required), GG_JWT_SECRET and/or GG_JWKS_URL (dev secret if neither, outside production),
//   GG_LEDGER_PATH (default .data/ledger.sqlite), GG_WEBHOOKS_PATH (default webhooks.sqlite beside the ledger),
//   GG_JOBS_PATH (default jobs.sqlite beside the ledger),
//   GG_METRICS_TOKEN (GET /metrics for its bearers; no metrics without it)
//   and the GG_* settings read by config.ts and webhooks/config.ts.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createApp } from "./app.ts";
import { keysFromEnv } from "./auth/from-env.ts";
import { loadConfig, parseWorkerUrls } from "./config.ts";
import { createSqliteJobStore } from "./jobs/sqlite.ts";
import { configureLogging, edgeLog, logLevelOf } from "./observability/log.ts";
import { createSqliteStores } from "./ledger/sqlite.ts";
import { createPrometheusMetrics } from "./metrics/prometheus.ts";
import { createWorkerPool } from "./pool/pool.ts";
import { serveNode } from "./node-server.ts";
import { nodeInternalSigner } from "./pool/node-internal-token.ts";
import { undiciPostJob } from "./pool/undici-transport.ts";
import { createMemoryRateLimiter } from "./ratelimit/memory.ts";
import { systemClock } from "./clock.ts";
import { loadWebhookConfig } from "./webhooks/config.ts";
import { nodeSend, resolveWithDns } from "./webhooks/node-net.ts";
import { createWebhooks } from "./webhooks/service.ts";
import { createSqliteWebhookStore } from "./webhooks/sqlite.ts";

const env = process.env;
configureLogging(logLevelOf(env.GG_LOG_LEVEL));
const production = env.NODE_ENV === "production";
const config = loadConfig(env);
const workers = parseWorkerUrls(env.GG_WORKER_URLS);
if (workers.length === 0) throw new Error("GG_WORKER_URLS must list at least one worker base URL");
if (!env.GG_INTERNAL_SECRET) throw new Error("GG_INTERNAL_SECRET is required (shared with the GPU workers)");

const ledgerPath = resolve(env.GG_LEDGER_PATH || ".data/ledger.sqlite");
mkdirSync(dirname(ledgerPath), { recursive: true });
const stores = createSqliteStores(ledgerPath, { leaseMs: config.reservationLeaseMs });
// The outbox lives in its own file beside the ledger: pending deliveries resume when the edge starts again.
const webhooksPath = resolve(env.GG_WEBHOOKS_PATH || join(dirname(ledgerPath), "webhooks.sqlite"));
mkdirSync(dirname(webhooksPath), { recursive: true });
const webhookStore = createSqliteWebhookStore(webhooksPath);
// Jobs and their event logs too: a restarted edge serves their history and re-attaches the unfinished ones.
const jobsPath = resolve(env.GG_JOBS_PATH || join(dirname(ledgerPath), "jobs.sqlite"));
mkdirSync(dirname(jobsPath), { recursive: true });
const jobs = createSqliteJobStore(jobsPath, { clock: systemClock, ttlMs: config.jobTtlMs });
const webhookConfig = loadWebhookConfig(env, production);
const webhooks = createWebhooks({
  store: webhookStore,
  clock: systemClock,
  config: webhookConfig,
  resolve: resolveWithDns,
  send: nodeSend(webhookConfig.allowPrivateUrls),
});

const app = createApp({
  keys: keysFromEnv(env, { allowDevSecret: !production }),
  ledger: stores.ledger,
  idempotency: stores.idempotency,
  quotas: stores.quotas,
  apiKeys: stores.apiKeys,
  audit: stores.audit,
  tierOverrides: stores.tiers,
  rateLimiter: createMemoryRateLimiter(),
  pool: createWorkerPool({
    workers,
    internalSecret: env.GG_INTERNAL_SECRET,
    clock: systemClock,
    // node's fetch and WebCrypto cost several times the CPU per generation (pool/transport.ts, node-internal-token.ts)
    postJob: undiciPostJob(),
    sign: nodeInternalSigner(env.GG_INTERNAL_SECRET),
  }),
  clock: systemClock,
  config,
  webhooks,
  ...(env.GG_METRICS_TOKEN ? { metrics: createPrometheusMetrics({ token: env.GG_METRICS_TOKEN }) } : {}),
  jobs,
  resumeJobs: true,
});
webhooks.start();

const port = Number(env.PORT || env.GG_EDGE_PORT || 8787);
const hostname = env.GG_HOST || "127.0.0.1";
const timeouts = { headersTimeoutMs: config.headersTimeoutMs, requestTimeoutMs: config.requestTimeoutMs };
const server = serveNode(app.fetch, { port, hostname, ...timeouts }, (info) => {
  // stack/ and bench/ wait for "listening on http://" in this line.
  edgeLog.info(`listening on http://${hostname}:${info.port}`, { workers, ledger: ledgerPath });
});

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  webhooks.stop();
  server.close(() => {
    stores.close();
    webhookStore.close();
    jobs.close();
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 5_000).unref(); // open SSE streams must not hold the process forever
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
