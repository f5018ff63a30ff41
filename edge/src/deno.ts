// Deno entry: Deno.serve with the ledger, idempotency records, rate buckets, quota overrides, jobs, API keys,
// tier overrides and the admin audit log on Deno KV
// (kv/), so a restart keeps billing and jobs: GG_DENO_KV_PATH names a local file; unset, Deno.openKv() opens the
// managed store on Deno Deploy (elsewhere, Deno's default file for this script). Webhook endpoints and the outbox
// live there too: deliveries pending at a restart go out after it.
//   deno run -A --unstable-kv edge/src/deno.ts
//   (env: PORT, GG_WORKER_URLS, GG_INTERNAL_SECRET, GG_JWT_SECRET | GG_JWKS_URL, GG_DENO_KV_PATH, GG_*;
//   GG_METRICS_TOKEN serves GET /metrics to its bearers)
import { createApp } from "./app.ts";
import { keysFromEnv } from "./auth/from-env.ts";
import { loadConfig, parseWorkerUrls } from "./config.ts";
import { createKvStores, createKvWebhookStore, type Kv, KV_PREFIX } from "./kv/index.ts";
import { configureLogging, logLevelOf } from "./observability/log.ts";
import { createPrometheusMetrics } from "./metrics/prometheus.ts";
import { createWorkerPool } from "./pool/pool.ts";
import { systemClock } from "./clock.ts";
import { loadWebhookConfig } from "./webhooks/config.ts";
import { createWebhooks } from "./webhooks/service.ts";
import type { ResolveHost } from "./webhooks/ssrf.ts";

declare const Deno: {
  env: { toObject(): Record<string, string> };
  openKv(path?: string): Promise<Kv>;
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
const kv = await Deno.openKv(env.GG_DENO_KV_PATH || undefined);
const webhooks = createWebhooks({
  store: createKvWebhookStore(kv, KV_PREFIX),
  clock: systemClock,
  config: loadWebhookConfig(env, env.DENO_ENV === "production"),
  resolve: resolveWithDeno,
});

const config = loadConfig(env);
const stores = createKvStores(kv, {
  leaseMs: config.reservationLeaseMs,
  jobs: { clock: systemClock, ttlMs: config.jobTtlMs },
});
const app = createApp({
  keys: keysFromEnv(env, { allowDevSecret: env.DENO_ENV !== "production" }),
  ...stores,
  pool: createWorkerPool({ workers, internalSecret: env.GG_INTERNAL_SECRET, clock: systemClock }),
  clock: systemClock,
  config,
  webhooks,
  ...(env.GG_METRICS_TOKEN ? { metrics: createPrometheusMetrics({ token: env.GG_METRICS_TOKEN }) } : {}),
  // Jobs a previous process left unfinished in KV are re-attached to their workers (relay/resume.ts).
  resumeJobs: true,
});
webhooks.start();

Deno.serve({ port: Number(env.PORT || 8787), hostname: env.GG_HOST || "127.0.0.1" }, app.fetch);
