// createApp(deps): the whole edge as one Hono app on Web APIs only, so the same code serves
// Cloudflare Workers, Deno and Node. Entries (worker.ts, deno.ts, node.ts) build the deps.
import { Hono } from "hono";
import { createMemoryAdmission } from "./admission/jobs.ts";
import { createStreamGate } from "./admission/streams.ts";
import type { AppEnv } from "./auth/caller.ts";
import { tenantAuth } from "./auth/middleware.ts";
import { adminAuth } from "./auth/admin.ts";
import { createMemoryKeyStore } from "./apikeys/memory.ts";
import { createMemoryAuditLog } from "./audit/memory.ts";
import { adminRoutes, isAdminPath } from "./routes/admin.ts";
import { createMemoryTierOverrideStore } from "./tiers/override-types.ts";
import type { Deps } from "./deps.ts";
import { notFoundOrMethodNotAllowed, onError } from "./errors.ts";
import { createMemoryJobStore } from "./jobs/memory.ts";
import { withLedgerMetrics } from "./metrics/ledger.ts";
import { requestBodyLimit } from "./middleware/body-limit.ts";
import { requestMetrics } from "./middleware/metrics.ts";
import { edgeLog, errorFields } from "./observability/log.ts";
import { requestContext } from "./observability/request-context.ts";
import { rateLimit } from "./middleware/rate-limit.ts";
import { createMemoryQuotaStore } from "./quotas/memory.ts";
import { withQuotaOverrides, withQuotaSeed } from "./quotas/overrides.ts";
import { accountRoutes } from "./routes/account.ts";
import type { RouteDeps } from "./routes/context.ts";
import { EDITS_PATH, generationRoutes } from "./routes/generations.ts";
import { EVENTS_PATH, jobRoutes } from "./routes/jobs.ts";
import { metaRoutes } from "./routes/meta.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { modelSource } from "./tiers/models.ts";
import { playground } from "./playground/index.ts";
import { resumeJobs } from "./relay/resume.ts";
import { webhookRoutes } from "./routes/webhooks.ts";
import { createMemoryWebhookStore } from "./webhooks/memory.ts";
import { createWebhooks } from "./webhooks/service.ts";

export type { Deps } from "./deps.ts";

const IMAGE_BODY_PATHS: ReadonlySet<string> = new Set([EDITS_PATH, "/v1/jobs"]);

function checkDeps(deps: Deps): void {
  const missing = (["keys", "ledger", "idempotency", "rateLimiter", "pool", "clock", "config"] as const).filter(
    (k) => !deps?.[k],
  );
  if (missing.length) throw new Error(`createApp: missing dependencies: ${missing.join(", ")}`);
}

export function createApp(deps: Deps) {
  checkDeps(deps);
  const { config, clock, metrics } = deps;
  const quotas = withQuotaSeed(deps.quotas ?? createMemoryQuotaStore(), config.tenantQuotas);
  const ledger = withQuotaOverrides(deps.ledger, quotas); // a tenant's own quota, where set, over its tier's
  metrics?.watchPool(() => deps.pool.status());
  const ctx: RouteDeps = {
    ...deps,
    ledger: metrics ? withLedgerMetrics(ledger, metrics) : ledger,
    jobs: deps.jobs ?? createMemoryJobStore({ clock, ttlMs: config.jobTtlMs }),
    runs: new Map(),
    models: modelSource(config.models, () => deps.pool.models()),
    webhooks: deps.webhooks ?? createWebhooks({ store: createMemoryWebhookStore(), clock }),
    streams: createStreamGate(config),
    admission: deps.admission ?? createMemoryAdmission({ maxConcurrentJobs: config.maxConcurrentJobs }),
    apiKeys: deps.apiKeys ?? createMemoryKeyStore(),
    audit: deps.audit ?? createMemoryAuditLog(),
    tierOverrides: deps.tierOverrides ?? createMemoryTierOverrideStore(),
    quotas,
  };
  if (deps.resumeJobs)
    void resumeJobs(ctx).then(
      (r) => edgeLog.info("resumed jobs", { ...r }),
      (err) => edgeLog.error("resuming jobs failed: {error}", errorFields(err)),
    );
  const authOptions = {
    keys: deps.keys,
    issuer: config.issuer,
    audience: config.audience,
    tiers: config.tiers,
    clock,
    clockToleranceSec: config.clockToleranceSec,
    apiKeys: ctx.apiKeys,
    tierOverrides: ctx.tierOverrides,
  };
  const auth = tenantAuth(authOptions);
  // EventSource cannot set headers: only the event stream also reads ?access_token=.
  const authForEvents = tenantAuth({ ...authOptions, queryParam: "access_token" });
  const limited = rateLimit({ limiter: deps.rateLimiter, clock });
  const bodyLimit = requestBodyLimit(config.bodyLimitBytes);
  // Routes that take images need room for them; every other body stays small.
  const imageBodyLimit = requestBodyLimit(config.editBodyLimitBytes);

  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.notFound(notFoundOrMethodNotAllowed(() => app.routes));
  if (metrics) app.use("*", requestMetrics(metrics));

  app.use("*", requestContext(clock));
  app.use("/v1/*", (c, next) =>
    c.req.method === "POST" && IMAGE_BODY_PATHS.has(c.req.path) ? imageBodyLimit(c, next) : bodyLimit(c, next),
  );
  const admin = adminAuth(config.adminToken);
  app.use("/v1/*", (c, next) => {
    if (isAdminPath(c.req.path)) return admin(c, next); // never a tenant credential (auth/admin.ts)
    return c.req.method === "GET" && EVENTS_PATH.test(c.req.path) ? authForEvents(c, next) : auth(c, next);
  });
  app.post("/v1/images/generations", limited);
  app.post("/v1/jobs", limited);
  app.post(EDITS_PATH, limited);

  app.route("/", metaRoutes(ctx));
  if (metrics) app.route("/", metricsRoutes(metrics));
  app.route("/", playground(ctx));
  app.route("/", generationRoutes(ctx));
  app.route("/", jobRoutes(ctx));
  app.route("/", accountRoutes(ctx));
  app.route("/", webhookRoutes(ctx));
  app.route("/", adminRoutes(ctx));
  return app;
}

export type App = ReturnType<typeof createApp>;
