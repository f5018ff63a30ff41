// Deno entry: Deno.serve with in-memory ledger, idempotency, rate limiter, job store and webhook outbox (one
// process; use the Node entry with SQLite, or Workers with Durable Objects, for durable billing).
//   deno run -A edge/src/deno.ts   (env: PORT, GG_WORKER_URLS, GG_INTERNAL_SECRET, GG_JWT_SECRET | GG_JWKS_URL, GG_*;
//   GG_METRICS_TOKEN serves GET /metrics to its bearers)
import { createApp } from "./app.ts";
import { keysFromEnv } from "./auth/from-env.ts";
import { loadConfig, parseWorkerUrls } from "./config.ts";
import { configureLogging, logLevelOf } from "./observability/log.ts";
import { createMemoryIdempotencyStore, createMemoryLedger } from "./ledger/memory.ts";
import { createPrometheusMetrics } from "./metrics/prometheus.ts";
import { createWorkerPool } from "./pool/pool.ts";
import { createMemoryRateLimiter } from "./ratelimit/memory.ts";
import { systemClock } from "./clock.ts";
import { loadWebhookConfig } from "./webhooks/config.ts";
import { createMemoryWebhookStore } from "./webhooks/memory.ts";
import { createWebhooks } from "./webhooks/service.ts";
import type { ResolveHost } from "./webhooks/ssrf.ts";

declare const Deno: {
  env: { toObject(): Record<string, string> };
  resolveDns(host: string, type: "A" | "AAAA"): Promise<string[]>;
  serve(options: { port: number; hostname?: string }, handler: (req: Request) => Response | Promise<Response>): unknown;
};

const env = Deno.env.toObject();
configureLogging(logLevelOf(env.GG_LOG_LEVEL));
const workers = parseWorkerUrls(env.GG_WORKER_URLS);
if (workers.length === 0) throw new Error("GG_WORKER_URLS must list at least one worker base URL");
if (!env.GG_INTERNAL_SECRET) throw new Error("GG_INTERNAL_SECRET is required (shared with the GPU workers)");

/** A and AAAA through Deno's resolver (node:dns is not needed), for the webhook address rule. */
const resolveWithDeno: ResolveHost = async (host) => {
  const answers = await Promise.allSettled([Deno.resolveDns(host, "A"), Deno.resolveDns(host, "AAAA")]);
  const addrs = answers.flatMap((a) => (a.status === "fulfilled" ? a.value : []));
  if (addrs.length === 0) throw new Error(`${host} does not resolve`);
  return addrs;
};
const webhooks = createWebhooks({
  store: createMemoryWebhookStore(),
  clock: systemClock,
  config: loadWebhookConfig(env, env.DENO_ENV === "production"),
  resolve: resolveWithDeno,
});

const config = loadConfig(env);
const app = createApp({
  keys: keysFromEnv(env, { allowDevSecret: env.DENO_ENV !== "production" }),
  ledger: createMemoryLedger({ leaseMs: config.reservationLeaseMs }),
  idempotency: createMemoryIdempotencyStore(),
  rateLimiter: createMemoryRateLimiter(),
  pool: createWorkerPool({ workers, internalSecret: env.GG_INTERNAL_SECRET, clock: systemClock }),
  clock: systemClock,
  config,
  webhooks,
  ...(env.GG_METRICS_TOKEN ? { metrics: createPrometheusMetrics({ token: env.GG_METRICS_TOKEN }) } : {}),
});
webhooks.start();

Deno.serve({ port: Number(env.PORT || 8787), hostname: env.GG_HOST || "127.0.0.1" }, app.fetch);
