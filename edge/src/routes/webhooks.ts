// Signed webhooks: /v1/webhook_endpoints (create, list, delete, rotate_secret), /v1/webhook_secret (the secret
// that signs per-job `webhook_url` deliveries) and GET /v1/jobs/{id}/webhook_deliveries (the delivery log).
// Endpoint secrets are shown once, on create and on rotate; a list never carries them.
import { Hono, type Context } from "hono";
import { WEBHOOK_EVENT_TYPES, WebhookEndpointCreateSchema } from "@guidegate/shared";
import type { AppEnv } from "../auth/caller.ts";
import { invalidRequest, notFound, readJson } from "../errors.ts";
import { newEndpointId, newSecret } from "../webhooks/sign.ts";
import {
  type DeliveryWithAttempts,
  JOB_URL_TARGET,
  type SigningSecrets,
  type WebhookEndpoint,
} from "../webhooks/types.ts";
import type { RouteDeps } from "./context.ts";

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

function endpointView(e: WebhookEndpoint) {
  return {
    id: e.id,
    object: "webhook_endpoint" as const,
    url: e.url,
    events: e.events,
    created_at: seconds(e.created_at),
    previous_secret_expires_at: seconds(e.previous_secret_expires_at),
  };
}

function secretView(s: SigningSecrets) {
  return {
    object: "webhook_secret" as const,
    secret: s.secret,
    previous_secret_expires_at: seconds(s.previous_secret_expires_at),
  };
}

function deliveryView(d: DeliveryWithAttempts) {
  return {
    id: d.id,
    object: "webhook_delivery" as const,
    job_id: d.job_id,
    event_type: d.event_type,
    endpoint_id: d.target === JOB_URL_TARGET ? null : d.target,
    url: d.url,
    status: d.state,
    attempts: d.attempts,
    created_at: seconds(d.created_at),
    next_attempt_at: seconds(d.next_attempt_at),
    last_status: d.last_status,
    last_error: d.last_error,
    log: d.log.map((a) => ({
      attempt: a.attempt,
      at: seconds(a.at),
      status: a.status,
      error: a.error,
      duration_ms: a.duration_ms,
    })),
  };
}

export function webhookRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  const { webhooks, clock } = deps;
  const { store, config } = webhooks;
  const tenantOf = (c: Context<AppEnv>) => c.get("caller").tenant;
  const noEndpoint = () => notFound("No such webhook endpoint.", "id");

  app.post("/v1/webhook_endpoints", async (c) => {
    const tenant = tenantOf(c);
    const body = WebhookEndpointCreateSchema.parse(await readJson(c));
    await webhooks.checkUrl(body.url, "url");
    if ((await store.listEndpoints(tenant)).length >= config.maxEndpoints)
      throw invalidRequest("too_many_endpoints", `At most ${config.maxEndpoints} webhook endpoints; delete one first.`);
    const endpoint: WebhookEndpoint = {
      id: newEndpointId(),
      tenant,
      url: body.url,
      events: [...new Set(body.events ?? WEBHOOK_EVENT_TYPES)],
      secret: newSecret(),
      previous_secret: null,
      previous_secret_expires_at: null,
      created_at: clock.now(),
    };
    await store.createEndpoint(endpoint);
    return c.json({ ...endpointView(endpoint), secret: endpoint.secret }, 201);
  });

  app.get("/v1/webhook_endpoints", async (c) =>
    c.json({ object: "list" as const, data: (await store.listEndpoints(tenantOf(c))).map(endpointView) }),
  );

  app.delete("/v1/webhook_endpoints/:id", async (c) => {
    const id = c.req.param("id");
    if (!(await store.deleteEndpoint(tenantOf(c), id))) throw noEndpoint();
    return c.json({ id, object: "webhook_endpoint" as const, deleted: true });
  });

  app.post("/v1/webhook_endpoints/:id/rotate_secret", async (c) => {
    const until = clock.now() + config.secretOverlapMs;
    const e = await store.rotateEndpointSecret(tenantOf(c), c.req.param("id"), newSecret(), until);
    if (!e) throw noEndpoint();
    return c.json({ ...endpointView(e), secret: e.secret });
  });

  app.get("/v1/webhook_secret", async (c) => c.json(secretView(await store.tenantSecret(tenantOf(c), newSecret()))));

  app.post("/v1/webhook_secret/rotate", async (c) => {
    const until = clock.now() + config.secretOverlapMs;
    return c.json(secretView(await store.rotateTenantSecret(tenantOf(c), newSecret(), until)));
  });

  app.get("/v1/jobs/:id/webhook_deliveries", async (c) => {
    const tenant = tenantOf(c);
    const id = c.req.param("id");
    const list = await store.deliveriesForJob(tenant, id);
    // Deliveries outlive the job record (retries span a day): either one proves the job is the caller's.
    if (list.length === 0 && (await deps.jobs.get(id))?.tenant !== tenant) throw notFound("No such job.", "id");
    return c.json({ object: "list" as const, data: list.map(deliveryView) });
  });

  return app;
}
