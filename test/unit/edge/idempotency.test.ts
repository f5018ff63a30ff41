// Idempotency-Key semantics that need no worker: a claim is seeded in the store as a first request would leave it.
import { describe, expect, it } from "vitest";
import { GenerationRequestSchema } from "@guidegate/shared";
import { fingerprint } from "../../../edge/src/idempotency/fingerprint.ts";
import { readSse } from "../../support/sse.ts";
import { createMemoryJobStore } from "../../../edge/src/jobs/memory.ts";
import type { JobRecord } from "../../../edge/src/jobs/types.ts";
import { JobRejectedError } from "../../../edge/src/pool/types.ts";
import { envelopeOf, liveDispatch, NOW, recordingPool, testApp } from "./support.ts";

const PATH = "/v1/images/generations";

function jobRecord(id: string, status: JobRecord["status"]): JobRecord {
  return {
    id,
    tenant: "alice",
    status,
    created_at: NOW,
    finished_at: null,
    model: "shapes-32",
    size: "32x32",
    n: 1,
    steps: 20,
    policy: "ag",
    seed: 1,
    max_nfe: 40,
    price_micro_usd_per_nfe: 50,
    nfe: 0,
    worker: "http://w1",
    result: null,
    error: null,
  };
}
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

  it("POST /v1/jobs joins the job the key already started, with the job's current status", async () => {
    const jobs = createMemoryJobStore({ clock: { now: () => NOW }, ttlMs: 60_000 });
    const t = testApp({ jobs });
    const id = "job_0000000000000000bbbbbbbbbbbbbbbbbbbbbbbb";
    await seed(t, "/v1/jobs", BODY, "k6", id);
    await jobs.create(jobRecord(id, "running"));
    await t.idempotency.finish("alice", "k6", 202, JSON.stringify({ id, object: "job", status: "queued" }));
    const res = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k6" } });
    expect(res.status).toBe(202);
    expect(res.headers.get("idempotent-replayed")).toBe("true");
    expect(await res.json()).toMatchObject({ id, status: "running" });
    expect((await t.post("/v1/jobs", { ...BODY, n: 2 }, { headers: { "idempotency-key": "k6" } })).status).toBe(422);
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("POST /v1/jobs: 20 callers at once under one key, the first refused (no capacity): all get that 503", async () => {
    const t = testApp();
    const body = { ...BODY, queue_timeout_s: 0 }; // not waiting for room: refused at once
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.post("/v1/jobs", body, { headers: { "idempotency-key": "k-full" } })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(503));
    for (const r of answers) expect((await envelopeOf(r)).code).toBe("no_capacity");
    expect(t.pool.dispatched).toHaveLength(1);
    // The refusal released the key: a later retry is a new attempt, not a replay of the 503.
    expect((await t.post("/v1/jobs", body, { headers: { "idempotency-key": "k-full" } })).status).toBe(503);
    expect(t.pool.dispatched).toHaveLength(2);
  });

  it("POST /v1/jobs: 20 callers at once, the worker rejects the job: all get the same 400", async () => {
    const rejected = { type: "invalid_request_error" as const, code: "unsupported_job", message: "no", param: "size" };
    const t = testApp({ pool: recordingPool(async () => Promise.reject(new JobRejectedError(rejected))) });
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k-rej" } })),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(400));
    for (const r of answers) expect(await envelopeOf(r)).toMatchObject({ code: "unsupported_job", param: "size" });
    expect(t.pool.dispatched).toHaveLength(1);
  });

  it("POST /v1/jobs: 20 callers at once, the first admitted: one job, and each 202's id is readable at once", async () => {
    const d = liveDispatch();
    // A dispatch that takes a while to connect: the joiners arrive while the first is being admitted.
    const t = testApp({ pool: recordingPool(() => new Promise((r) => setTimeout(() => r(d), 30))) });
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k-ok" } });
        const body = (await res.json()) as { id: string };
        const read = await t.get(`/v1/jobs/${body.id}`); // right after the 202, as the callers did
        return { status: res.status, id: body.id, read: read.status };
      }),
    );
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.map((a) => `${a.status}/${a.read}`)).toEqual(Array(20).fill("202/200"));
    expect(t.pool.dispatched).toHaveLength(1);
    d.push({ event: "completed", images: [], seed: 1, usage: { nfe: 20 } });
  });

  it("POST /v1/jobs: a replay after the job's record expired says so, instead of 202 queued for a dead job", async () => {
    const d = liveDispatch();
    const t = testApp({ pool: recordingPool(async () => d), config: { jobTtlMs: 1_000 } });
    const first = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k-ttl" } });
    const { id } = (await first.json()) as { id: string };
    d.push({ event: "completed", images: [], seed: 1, usage: { nfe: 20 } });
    await new Promise((r) => setTimeout(r, 20));
    expect(((await (await t.get(`/v1/jobs/${id}`)).json()) as { status: string }).status).toBe("completed");
    t.clock.t += 2_000; // past GG_JOB_TTL_MS, well inside the key's 24 h
    const replay = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k-ttl" } });
    expect(replay.status).toBe(404);
    const err = await envelopeOf(replay);
    expect(err).toMatchObject({ code: "job_expired", param: "Idempotency-Key" });
    expect(err.message).toContain(id);
    expect(t.pool.dispatched).toHaveLength(1); // never run twice
  });

  it("POST /v1/jobs: a key held by a request elsewhere is waited for, then its job joined; 409 if it never ends", async () => {
    const jobs = createMemoryJobStore({ clock: { now: () => NOW }, ttlMs: 60_000 });
    const t = testApp({ jobs, config: { idempotencyWaitMs: 300 } });
    const id = "job_0000000000000000dddddddddddddddddddddddd";
    await seed(t, "/v1/jobs", BODY, "k-else", id);
    setTimeout(async () => {
      await jobs.create(jobRecord(id, "queued"));
      await t.idempotency.finish("alice", "k-else", 202, JSON.stringify({ id }));
    }, 100);
    const joined = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k-else" } });
    expect(joined.status).toBe(202);
    expect(((await joined.json()) as { id: string }).id).toBe(id);
    await seed(t, "/v1/jobs", BODY, "k-stuck");
    const stuck = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "k-stuck" } });
    expect(stuck.status).toBe(409);
    expect((await envelopeOf(stuck)).code).toBe("idempotency_in_progress");
    expect(t.pool.dispatched).toHaveLength(0);
  });

  it("rejects malformed keys", async () => {
    const t = testApp();
    const res = await t.post(PATH, BODY, { headers: { "idempotency-key": "x".repeat(300) } });
    expect(res.status).toBe(400);
    expect((await envelopeOf(res)).param).toBe("Idempotency-Key");
  });
});
