// Deno entry: Deno.serve with in-memory ledger, idempotency, rate limiter and job store (one
// process; use the Node entry with SQLite, or Workers with Durable Objects, for durable billing).
//   deno run -A edge/src/deno.ts   (env: PORT, GG_WORKER_URLS, GG_INTERNAL_SECRET, GG_JWT_SECRET | GG_JWKS_URL, GG_*)
import { createApp } from "./app.ts";
import { keysFromEnv } from "./auth/from-env.ts";
import { loadConfig, parseWorkerUrls } from "./config.ts";
import { createMemoryIdempotencyStore, createMemoryLedger } from "./ledger/memory.ts";
import { createWorkerPool } from "./pool/pool.ts";
import { createMemoryRateLimiter } from "./ratelimit/memory.ts";
import { systemClock } from "./clock.ts";

declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(options: { port: number; hostname?: string }, handler: (req: Request) => Response | Promise<Response>): unknown;
};

const env = Deno.env.toObject();
const workers = parseWorkerUrls(env.GG_WORKER_URLS);
if (workers.length === 0) throw new Error("GG_WORKER_URLS must list at least one worker base URL");
if (!env.GG_INTERNAL_SECRET) throw new Error("GG_INTERNAL_SECRET is required (shared with the GPU workers)");

const app = createApp({
  keys: keysFromEnv(env, { allowDevSecret: env.DENO_ENV !== "production" }),
  ledger: createMemoryLedger(),
  idempotency: createMemoryIdempotencyStore(),
  rateLimiter: createMemoryRateLimiter(),
  pool: createWorkerPool({ workers, internalSecret: env.GG_INTERNAL_SECRET, clock: systemClock }),
  clock: systemClock,
  config: loadConfig(env),
});

Deno.serve({ port: Number(env.PORT || 8787), hostname: env.GG_HOST || "127.0.0.1" }, app.fetch);
