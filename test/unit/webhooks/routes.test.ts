// /v1/webhook_endpoints, /v1/webhook_secret, webhook_url on the POST routes, and the per-job delivery log.
import { describe, expect, it } from "vitest";
import { createMemoryJobStore } from "../../../edge/src/jobs/memory.ts";
import { makeWebhookConfig } from "../../../edge/src/webhooks/config.ts";
import { createMemoryWebhookStore } from "../../../edge/src/webhooks/memory.ts";
import { createWebhooks } from "../../../edge/src/webhooks/service.ts";
import { envelopeOf, NOW, testApp } from "../edge/support.ts";

const clock = { now: () => NOW };

/** An app with development URL rules (local receivers allowed) unless `production`. */
function appWith(production = false) {
  const store = createMemoryWebhookStore();
  const config = makeWebhookConfig({ allowPrivateUrls: !production, maxEndpoints: 2 });
  const webhooks = createWebhooks({ store, clock, config, send: async () => new Response(null, { status: 500 }) });
  const jobs = createMemoryJobStore({ clock, ttlMs: 60_000 });
  return { t: testApp({ webhooks, jobs }), store, jobs, webhooks };
}

async function del(t: ReturnType<typeof testApp>, path: string, sub = "alice") {
  return t.app.request(path, { method: "DELETE", headers: { authorization: `Bearer ${await t.token({ sub })}` } });
}

describe("webhook endpoints", () => {
  it("creates with the secret shown once, lists without secrets, rotates and deletes", async () => {
    const { t, store } = appWith();
    const res = await t.post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/hook", events: ["job.failed"] });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string; secret: string };
    expect(created).toMatchObject({
      id: expect.stringMatching(/^we_[0-9a-f]{24}$/),
      object: "webhook_endpoint",
      url: "http://127.0.0.1:9/hook",
      events: ["job.failed"],
      created_at: Math.floor(NOW / 1000),
      secret: expect.stringMatching(/^whsec_/),
      previous_secret_expires_at: null,
    });
    const list = await (await t.get("/v1/webhook_endpoints")).json();
    expect(list).toEqual({ object: "list", data: [expect.not.objectContaining({ secret: expect.anything() })] });
    expect(JSON.stringify(list)).not.toContain(created.secret);
    expect((await (await t.get("/v1/webhook_endpoints", { sub: "bob" })).json()).data).toEqual([]);

    const rotated = (await (await t.post(`/v1/webhook_endpoints/${created.id}/rotate_secret`, {})).json()) as {
      secret: string;
      previous_secret_expires_at: number;
    };
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.previous_secret_expires_at).toBe(Math.floor(NOW / 1000) + 24 * 3600);
    expect((await store.getEndpoint("alice", created.id))?.previous_secret).toBe(created.secret);

    expect((await del(t, `/v1/webhook_endpoints/${created.id}`, "bob")).status).toBe(404);
    const gone = await del(t, `/v1/webhook_endpoints/${created.id}`);
    expect(await gone.json()).toEqual({ id: created.id, object: "webhook_endpoint", deleted: true });
    expect((await del(t, `/v1/webhook_endpoints/${created.id}`)).status).toBe(404);
    const again = await t.post(`/v1/webhook_endpoints/${created.id}/rotate_secret`, {});
    expect(await envelopeOf(again)).toMatchObject({ type: "not_found_error", param: "id" });
  });

  it("refuses bad bodies by field name and caps endpoints per tenant", async () => {
    const { t } = appWith();
    const cases: [unknown, string, string][] = [
      [{}, "url", "invalid_value"],
      [{ url: "ftp://x.example.com" }, "url", "invalid_value"],
      [{ url: "https://u:p@x.example.com" }, "url", "invalid_webhook_url"],
      [{ url: "https://x.example.com", events: ["job.started"] }, "events[0]", "invalid_value"],
      [{ url: "https://x.example.com", event: ["job.failed"] }, "event", "unknown_parameter"],
    ];
    for (const [body, param, code] of cases) {
      const res = await t.post("/v1/webhook_endpoints", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(await envelopeOf(res)).toMatchObject({ code, param });
    }
    for (let i = 0; i < 2; i++)
      expect((await t.post("/v1/webhook_endpoints", { url: "https://x.example.com" })).status).toBe(201);
    const full = await t.post("/v1/webhook_endpoints", { url: "https://x.example.com" });
    expect(await envelopeOf(full)).toMatchObject({ code: "too_many_endpoints" });
  });

  it("in production refuses loopback, private and link-local URLs", async () => {
    const { t } = appWith(true);
    for (const url of [
      "http://127.0.0.1:8080/",
      "http://localhost/",
      "http://10.0.0.1/",
      "http://[fe80::1]/",
      "http://169.254.169.254/",
    ]) {
      const res = await t.post("/v1/webhook_endpoints", { url });
      expect(res.status, url).toBe(400);
      expect(await envelopeOf(res)).toMatchObject({ code: "invalid_webhook_url", param: "url" });
    }
  });
});

describe("webhook_url on the POST routes", () => {
  it("POST /v1/jobs refuses a private webhook_url in production before reserving anything", async () => {
    const { t } = appWith(true);
    const res = await t.post("/v1/jobs", { prompt: "a red circle", webhook_url: "http://192.168.1.2/h" });
    expect(res.status).toBe(400);
    expect(await envelopeOf(res)).toMatchObject({ code: "invalid_webhook_url", param: "webhook_url" });
    expect(t.pool.dispatched).toEqual([]);
    expect((await t.ledger.usage("alice", 100, NOW)).reserved).toBe(0);
  });

  it("the synchronous route refuses webhook_url by name", async () => {
    const { t } = appWith();
    const res = await t.post("/v1/images/generations", {
      prompt: "a red circle",
      webhook_url: "https://x.example.com",
    });
    expect(res.status).toBe(400);
    expect(await envelopeOf(res)).toMatchObject({ code: "unsupported_parameter", param: "webhook_url" });
    expect(t.pool.dispatched).toEqual([]);
  });
});

describe("webhook secret and delivery log", () => {
  it("GET /v1/webhook_secret creates the tenant secret once; rotate replaces it", async () => {
    const { t } = appWith();
    const a = (await (await t.get("/v1/webhook_secret")).json()) as { secret: string };
    expect(a).toEqual({
      object: "webhook_secret",
      secret: expect.stringMatching(/^whsec_/),
      previous_secret_expires_at: null,
    });
    expect(await (await t.get("/v1/webhook_secret")).json()).toEqual(a);
    expect(((await (await t.get("/v1/webhook_secret", { sub: "bob" })).json()) as { secret: string }).secret).not.toBe(
      a.secret,
    );
    const b = (await (await t.post("/v1/webhook_secret/rotate", {})).json()) as { secret: string };
    expect(b.secret).not.toBe(a.secret);
  });

  it("lists a job's deliveries with their attempts; another tenant's job is 404", async () => {
    const { t, webhooks, jobs } = appWith();
    const id = "job_0000000000000000dddddddddddddddddddddddd";
    await jobs.create({
      id,
      tenant: "alice",
      status: "failed",
      created_at: NOW,
      finished_at: NOW,
      model: "shapes-32",
      size: "32x32",
      n: 1,
      steps: 4,
      policy: "cfg",
      seed: 1,
      max_nfe: 8,
      price_micro_usd_per_nfe: 50,
      nfe: 0,
      worker: null,
      result: null,
      error: { type: "server_error", code: "worker_failed", message: "x", param: null },
    });
    expect((await (await t.get(`/v1/jobs/${id}/webhook_deliveries`)).json()).data).toEqual([]);
    await t.post("/v1/webhook_endpoints", { url: "http://127.0.0.1:9/hook" });
    await webhooks.jobFinished(await jobs.get(id));
    const log = (await (await t.get(`/v1/jobs/${id}/webhook_deliveries`)).json()) as { data: unknown[] };
    expect(log.data).toEqual([
      expect.objectContaining({
        id: expect.stringMatching(/^msg_/),
        object: "webhook_delivery",
        job_id: id,
        event_type: "job.failed",
        endpoint_id: expect.stringMatching(/^we_/),
        status: "pending",
        attempts: 1,
        last_status: 500,
        log: [{ attempt: 1, at: Math.floor(NOW / 1000), status: 500, error: "HTTP 500", duration_ms: 0 }],
      }),
    ]);
    expect((await t.get(`/v1/jobs/${id}/webhook_deliveries`, { sub: "bob" })).status).toBe(404);
    expect((await t.get("/v1/jobs/job_nope/webhook_deliveries")).status).toBe(404);
  });
});

describe("webhooks in /openapi.json", () => {
  it("lists the routes, the three events and webhook_url", async () => {
    const { t } = appWith();
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, unknown>>;
      webhooks: Record<string, unknown>;
      components: { schemas: { GenerationRequest: { properties: Record<string, unknown> } } };
    };
    expect(Object.keys(doc.paths["/v1/webhook_endpoints"]!)).toEqual(["post", "get"]);
    expect(doc.paths["/v1/webhook_endpoints/{id}"]).toHaveProperty("delete");
    expect(doc.paths["/v1/webhook_endpoints/{id}/rotate_secret"]).toHaveProperty("post");
    expect(doc.paths["/v1/jobs/{id}/webhook_deliveries"]).toHaveProperty("get");
    expect(Object.keys(doc.webhooks)).toEqual(["job.completed", "job.failed", "job.cancelled"]);
    expect(doc.components.schemas.GenerationRequest.properties).toHaveProperty("webhook_url");
  });
});
