// The delivery loop on a fake clock with a recording sender: first attempt at once, retries on the schedule
// with the same webhook-id, give-up after the window, and what counts as delivered.
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import type { JobRecord } from "../../../edge/src/jobs/types.ts";
import { makeWebhookConfig } from "../../../edge/src/webhooks/config.ts";
import { createMemoryWebhookStore } from "../../../edge/src/webhooks/memory.ts";
import { createWebhooks, type Webhooks } from "../../../edge/src/webhooks/service.ts";
import { newSecret } from "../../../edge/src/webhooks/sign.ts";
import type { WebhookEndpoint } from "../../../edge/src/webhooks/types.ts";

// Real time, so Webhook.verify's 5-minute tolerance accepts the timestamps; the clock only moves forward.
const T0 = Date.now();

function job(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: "job_1",
    tenant: "alice",
    status: "completed",
    created_at: T0 - 2000,
    finished_at: T0,
    model: "shapes-32",
    size: "32x32",
    n: 1,
    steps: 4,
    policy: "cfg",
    seed: 7,
    max_nfe: 8,
    price_micro_usd_per_nfe: 50,
    nfe: 8,
    worker: "http://w1",
    result: { images: [{ url: "https://s3.example.com/a.png", width: 32, height: 32 }], seed: 7 },
    error: null,
    ...over,
  };
}

interface Sent {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function setup(statuses: number[]) {
  const clock = { t: T0, now: () => clock.t };
  const store = createMemoryWebhookStore();
  const sent: Sent[] = [];
  const send = async (url: string, init: RequestInit) => {
    sent.push({ url, headers: init.headers as Record<string, string>, body: String(init.body) });
    return new Response(null, { status: statuses[sent.length - 1] ?? 200 });
  };
  const config = makeWebhookConfig({ allowPrivateUrls: true, backoffBaseMs: 1000, retryWindowMs: 10_000 });
  const webhooks = createWebhooks({ store, clock, config, send, random: () => 1 - 1e-12 });
  return { clock, store, sent, webhooks };
}

async function addEndpoint(w: Webhooks, over: Partial<WebhookEndpoint> = {}): Promise<WebhookEndpoint> {
  const e: WebhookEndpoint = {
    id: "we_1",
    tenant: "alice",
    url: "http://127.0.0.1:9/hook",
    events: ["job.completed", "job.failed", "job.cancelled"],
    secret: newSecret(),
    previous_secret: null,
    previous_secret_expires_at: null,
    created_at: T0,
    ...over,
  };
  await w.store.createEndpoint(e);
  return e;
}

let current: Webhooks | null = null;
afterEach(() => current?.stop());

describe("webhook dispatcher", () => {
  it("sends a signed job.completed at once with usage and image URLs", async () => {
    const t = setup([204]);
    current = t.webhooks;
    const e = await addEndpoint(t.webhooks);
    await t.webhooks.jobFinished(job());
    expect(t.sent).toHaveLength(1);
    const body = new Webhook(e.secret).verify(t.sent[0]!.body, t.sent[0]!.headers);
    expect(body).toEqual({
      type: "job.completed",
      timestamp: new Date(T0).toISOString(),
      data: expect.objectContaining({
        id: "job_1",
        status: "completed",
        usage: { nfe: 8, cost_micro_usd: 400 },
        images: [{ url: "https://s3.example.com/a.png", width: 32, height: 32 }],
        error: null,
      }),
    });
    const [d] = await t.store.deliveriesForJob("alice", "job_1");
    expect(d).toMatchObject({
      id: t.sent[0]!.headers["webhook-id"],
      state: "delivered",
      attempts: 1,
      last_status: 204,
    });
  });

  it("retries failures on the schedule with the same webhook-id and body", async () => {
    const t = setup([500, 503, 200]);
    current = t.webhooks;
    await addEndpoint(t.webhooks);
    await t.webhooks.jobFinished(job());
    await t.webhooks.dispatcher.pass(); // not due yet: nothing sent
    expect(t.sent).toHaveLength(1);
    t.clock.t += 1000;
    await t.webhooks.dispatcher.pass();
    t.clock.t += 2000;
    await t.webhooks.dispatcher.pass();
    expect(t.sent).toHaveLength(3);
    expect(new Set(t.sent.map((s) => s.headers["webhook-id"])).size).toBe(1);
    expect(new Set(t.sent.map((s) => s.body)).size).toBe(1);
    const [d] = await t.store.deliveriesForJob("alice", "job_1");
    expect(d?.log.map((a) => [a.attempt, a.at - T0, a.status, a.error])).toEqual([
      [1, 0, 500, "HTTP 500"],
      [2, 1000, 503, "HTTP 503"],
      [3, 3000, 200, null],
    ]);
    expect(d?.state).toBe("delivered");
  });

  it("gives up once an attempt fails after the retry window, and counts a redirect as a failure", async () => {
    const t = setup(Array(50).fill(302));
    current = t.webhooks;
    await addEndpoint(t.webhooks);
    await t.webhooks.jobFinished(job({ status: "failed", result: null, nfe: 0 }));
    for (let i = 0; i < 10; i++) {
      t.clock.t += 8000; // past every delay this schedule draws (1 s, 2 s, 4 s, 8 s)
      await t.webhooks.dispatcher.pass();
    }
    const [d] = await t.store.deliveriesForJob("alice", "job_1");
    expect(d).toMatchObject({ event_type: "job.failed", state: "failed", next_attempt_at: null, last_status: 302 });
    expect(d!.log.length).toBe(t.sent.length);
    expect(d!.log.at(-1)!.at - T0).toBeGreaterThanOrEqual(10_000);
    expect(d!.log.at(-2)!.at - T0).toBeLessThan(10_000);
  });

  it("sends each event only to endpoints subscribed to it, and the job's own URL with the tenant secret", async () => {
    const t = setup([]);
    current = t.webhooks;
    await addEndpoint(t.webhooks, { id: "we_failures", events: ["job.failed"] });
    await t.webhooks.watchJob("alice", "job_1", "http://127.0.0.1:9/own");
    await t.webhooks.jobFinished(job({ status: "cancelled", result: null, nfe: 3 }));
    await t.webhooks.jobFinished(job({ status: "cancelled", result: null, nfe: 3 })); // a second hook sends nothing more
    expect(t.sent.map((s) => s.url)).toEqual(["http://127.0.0.1:9/own"]);
    const { secret } = await t.store.tenantSecret("alice", "unused");
    const body = new Webhook(secret).verify(t.sent[0]!.body, t.sent[0]!.headers) as { type: string; data: unknown };
    expect(body.type).toBe("job.cancelled");
    expect(body.data).toMatchObject({ usage: { nfe: 3, cost_micro_usd: 150 }, images: [] });
  });

  it("stops retrying a deleted endpoint and refuses private URLs in production at send time", async () => {
    const t = setup([500]);
    current = t.webhooks;
    await addEndpoint(t.webhooks);
    await t.webhooks.jobFinished(job());
    await t.store.deleteEndpoint("alice", "we_1");
    t.clock.t += 5000;
    await t.webhooks.dispatcher.pass();
    expect(t.sent).toHaveLength(1);
    t.webhooks.stop(); // only the production loop below may touch the shared store

    const prod = createWebhooks({ store: t.store, clock: t.clock, send: async () => new Response(null) });
    current = prod;
    await addEndpoint(prod, { id: "we_2" });
    await prod.jobFinished(job({ id: "job_2" }));
    const [d] = await t.store.deliveriesForJob("alice", "job_2");
    expect(d).toMatchObject({ state: "pending", last_status: null, last_error: expect.stringMatching(/^url refused/) });
  });
});
