// Idempotency-Key semantics that need no worker: a claim is seeded in the store as a first request would leave it.
import { describe, expect, it } from "vitest";
import { GenerationRequestSchema } from "@guidegate/shared";
import { fingerprint } from "../../../edge/src/idempotency/fingerprint.ts";
import { readSse } from "../../support/sse.ts";
import { envelopeOf, NOW, testApp } from "./support.ts";

const PATH = "/v1/images/generations";
const BODY = { prompt: "a red circle", seed: 1 };

async function seed(
  t: ReturnType<typeof testApp>,
  path: string,
  body: unknown,
  key: string,
  jobId = "job_0000000000000000aaaaaaaaaaaaaaaaaaaaaaaa",
) {
  const fp = await fingerprint("POST", path, GenerationRequestSchema.parse(body));
  const r = await t.idempotency.begin({ tenant: "alice", key, fingerprint: fp, job_id: jobId, created_at: NOW }, NOW);
  expect(r.kind).toBe("new");
}

describe("Idempotency-Key", () => {
  it("another body under the same key: 422", async () => {
    const t = testApp();
    await seed(t, PATH, BODY, "k1");
    const res = await t.post(PATH, { ...BODY, seed: 2 }, { headers: { "idempotency-key": "k1" } });
    expect(res.status).toBe(422);
    expect((await envelopeOf(res)).type).toBe("idempotency_error");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("same body while the first synchronous request runs: 409", async () => {
    const t = testApp();
    await seed(t, PATH, BODY, "k2");
    const res = await t.post(PATH, { seed: 1, prompt: "a red circle", n: 1 }, { headers: { "idempotency-key": "k2" } }); // key order and defaults do not matter
    expect(res.status).toBe(409);
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("same body after it finished: the first response, replayed", async () => {
    const t = testApp();
    await seed(t, PATH, BODY, "k3");
    const first = {
      created: 1,
      id: "job_x",
      seed: 1,
      data: [{ url: "https://s3/x.png" }],
      usage: { nfe: 30, cost_micro_usd: 1500 },
    };
    await t.idempotency.finish("alice", "k3", 200, JSON.stringify(first));
    const res = await t.post(PATH, BODY, { headers: { "idempotency-key": '"k3"' } });
    expect(res.status).toBe(200);
    expect(res.headers.get("idempotent-replayed")).toBe("true");
    expect(await res.json()).toEqual(first);
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("a finished streaming request is replayed as its completed events", async () => {
    const t = testApp();
    const body = { ...BODY, stream: true };
    await seed(t, PATH, body, "k7");
    const first = {
      created: 5,
      id: "job_y",
      seed: 1,
      data: [{ b64_json: "AAAA" }],
      usage: { nfe: 30, cost_micro_usd: 1500 },
    };
    await t.idempotency.finish("alice", "k7", 200, JSON.stringify(first));
    const res = await t.post(PATH, body, { headers: { "idempotency-key": "k7" } });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const events = await readSse(res);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({
      type: "image_generation.completed",
      b64_json: "AAAA",
      usage: { nfe: 30, cost_micro_usd: 1500 },
    });
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("keys are per tenant", async () => {
    const t = testApp();
    await seed(t, PATH, BODY, "k4");
    expect(
      (await t.post(PATH, { ...BODY, seed: 9 }, { sub: "bob", headers: { "idempotency-key": "k4" } })).status,
    ).toBe(503);
  });

  it("a claim that failed before anything billable is released", async () => {
    const t = testApp();
    expect((await t.post(PATH, BODY, { headers: { "idempotency-key": "k5" } })).status).toBe(503);
    expect((await t.post(PATH, { ...BODY, seed: 3 }, { headers: { "idempotency-key": "k5" } })).status).toBe(503); // not 422
    expect(t.pool.dispatched).toHaveLength(2);
  });

  it("POST /v1/jobs joins the job the key already started", async () => {
    const t = testApp();
    await seed(t, "/v1/jobs", BODY, "k6", "job_0000000000000000bbbbbbbbbbbbbbbbbbbbbbbb");
    const res = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k6" } });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { id: string }).id).toBe("job_0000000000000000bbbbbbbbbbbbbbbbbbbbbbbb");
    expect((await t.post("/v1/jobs", { ...BODY, n: 2 }, { headers: { "idempotency-key": "k6" } })).status).toBe(422);
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("rejects malformed keys", async () => {
    const t = testApp();
    const res = await t.post(PATH, BODY, { headers: { "idempotency-key": "x".repeat(300) } });
    expect(res.status).toBe(400);
    expect((await envelopeOf(res)).param).toBe("Idempotency-Key");
  });
});
