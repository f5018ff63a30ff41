// Deno smoke: the same edge app (edge/src/app.ts) under Deno, through app.request.
//   npx deno run -A test/deno/smoke.ts
import { createApp } from "../../edge/src/app.ts";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { createSecretKeySource } from "../../edge/src/auth/key-source.ts";
import { makeConfig } from "../../edge/src/config.ts";
import { createMemoryIdempotencyStore, createMemoryLedger } from "../../edge/src/ledger/memory.ts";
import { NoCapacityError, type WorkerPool } from "../../edge/src/pool/types.ts";
import { createMemoryRateLimiter } from "../../edge/src/ratelimit/memory.ts";
import { systemClock } from "../../edge/src/clock.ts";
import { Webhook } from "standardwebhooks";
import { newSecret, signedHeaders } from "../../edge/src/webhooks/sign.ts";
import { SHAPES_32 } from "../support/models.ts";

const SECRET = "deno-smoke-secret-0123456789abcdef0123456789";
let dispatched = 0;
const pool: WorkerPool = {
  dispatch() {
    dispatched++;
    return Promise.reject(new NoCapacityError(1));
  },
  cancel: () => Promise.resolve(false),
  status: () => [],
  models: () => Promise.resolve([SHAPES_32]),
};
const app = createApp({
  keys: [createSecretKeySource(SECRET)],
  ledger: createMemoryLedger(),
  idempotency: createMemoryIdempotencyStore(),
  rateLimiter: createMemoryRateLimiter(),
  pool,
  clock: systemClock,
  config: makeConfig(),
});

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`deno smoke failed: ${what}`);
  console.log(`ok - ${what}`);
}

const health = await app.request("/healthz");
check(health.status === 200 && (await health.json()).ok === true, "GET /healthz is 200");

const bad = await app.request("/v1/images/generations", {
  method: "POST",
  headers: { authorization: "Bearer not.a.token", "content-type": "application/json" },
  body: JSON.stringify({ prompt: "x" }),
});
const badBody = await bad.json();
check(bad.status === 401 && badBody.error?.type === "authentication_error", "a bad token is 401 with the envelope");

const token = await mintDevToken({ sub: "deno", tier: "eco", secret: SECRET });
const policies = await app.request("/v1/policies", { headers: { authorization: `Bearer ${token}` } });
check(policies.status === 200 && (await policies.json()).tier === "eco", "a good token reads /v1/policies");

const gen = await app.request("/v1/images/generations", {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ prompt: "x" }),
});
check(
  gen.status === 503 && gen.headers.get("retry-after") === "1" && dispatched === 1,
  "admission reaches the pool (no capacity: 503)",
);

const openapi = await app.request("/openapi.json");
check(openapi.status === 200 && (await openapi.json()).openapi === "3.1.0", "GET /openapi.json");

// Webhooks: the standardwebhooks signer (pure JS) and ipaddr.js load and work under Deno too.
const endpoint = await app.request("/v1/webhook_endpoints", {
  method: "POST",
  headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
  body: JSON.stringify({ url: "http://10.0.0.1/hook" }),
});
check(endpoint.status === 400 && (await endpoint.json()).error?.param === "url", "a private webhook URL is refused");
const secret = newSecret();
const signed = signedHeaders([secret], "msg_deno", Date.now(), '{"type":"job.completed"}');
check(
  (new Webhook(secret).verify('{"type":"job.completed"}', signed) as { type: string }).type === "job.completed",
  "a webhook signature verifies with standardwebhooks",
);
