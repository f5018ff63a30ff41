// The jobs read side (GET /v1/jobs/{id}, /events, /cancel) over a JobStore filled directly:
// replay, Last-Event-ID, live follow, keep-alives, 204 after the end, tenant isolation.
import type { JobEvent } from "@guidegate/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createMemoryJobStore } from "../../../edge/src/jobs/memory.ts";
import type { JobRecord, JobStore } from "../../../edge/src/jobs/types.ts";
import { readSse } from "../../support/sse.ts";
import { envelopeOf, NOW, testApp } from "./support.ts";

const ID = "job_0000000000000000cccccccccccccccccccccccc";

function record(over: Partial<JobRecord> = {}): JobRecord {
  return {
    id: ID,
    tenant: "alice",
    status: "running",
    created_at: NOW,
    finished_at: null,
    model: "shapes-32",
    size: "32x32",
    n: 1,
    steps: 4,
    policy: "cfg",
    seed: 7,
    max_nfe: 8,
    price_micro_usd_per_nfe: 50,
    nfe: 0,
    worker: "http://w1",
    result: null,
    error: null,
    ...over,
  };
}

async function filled(events: JobEvent[], over: Partial<JobRecord> = {}) {
  const clock = { now: () => NOW };
  const jobs = createMemoryJobStore({ clock, ttlMs: 60_000 });
  await jobs.create(record(over));
  for (const e of events) await jobs.append(ID, e);
  return jobs;
}

const progress = (step: number): JobEvent => ({ event: "progress", step, steps: 4, nfe: step * 2 });
const done: JobEvent = {
  event: "completed",
  images: [{ url: "https://s3/x.png", width: 32, height: 32 }],
  seed: 7,
  usage: { nfe: 8, cost_micro_usd: 400 },
};

describe("GET /v1/jobs/{id}/events", () => {
  it("replays from the start with id/event/data, and ends after the terminal event", async () => {
    const jobs = await filled(
      [{ event: "started", policy: "cfg", steps: 4, seed: 7, max_nfe: 8 }, progress(1), progress(2), done],
      { status: "completed", finished_at: NOW },
    );
    const t = testApp({ jobs });
    const res = await t.get(`/v1/jobs/${ID}/events`);
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const evs = await readSse(res);
    expect(evs.map((e) => `${e.id}:${e.event}`)).toEqual(["1:started", "2:progress", "3:progress", "4:completed"]);
    expect(evs[3]!.data).toMatchObject({ event: "completed", usage: { nfe: 8 } });
  });

  it("resumes after Last-Event-ID (header or query) and answers 204 once nothing is left", async () => {
    const jobs = await filled([progress(1), progress(2), progress(3), done], { status: "completed", finished_at: NOW });
    const t = testApp({ jobs });
    const h = await readSse(await t.get(`/v1/jobs/${ID}/events`, { headers: { "last-event-id": "2" } }));
    expect(h.map((e) => e.id)).toEqual(["3", "4"]);
    const q = await readSse(await t.get(`/v1/jobs/${ID}/events?last_event_id=3`));
    expect(q.map((e) => e.id)).toEqual(["4"]);
    expect((await t.get(`/v1/jobs/${ID}/events`, { headers: { "last-event-id": "4" } })).status).toBe(204);
    expect((await t.get(`/v1/jobs/${ID}/events`, { headers: { "last-event-id": "x" } })).status).toBe(400);
  });

  it("follows live with keep-alive comments until the terminal event", async () => {
    const jobs = await filled([progress(1)]);
    const t = testApp({ jobs, config: { keepAliveMs: 20 } });
    const res = await t.get(`/v1/jobs/${ID}/events`, { headers: { "last-event-id": "1" } });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let text = "";
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done: end } = await reader.read();
        if (end) throw new Error(`stream ended before ${needle}: ${text}`);
        text += dec.decode(value);
      }
    };
    await readUntil(": keep-alive");
    await jobs.append(ID, progress(2));
    await readUntil("id: 2");
    await jobs.update(ID, { status: "completed", finished_at: NOW });
    await jobs.append(ID, done);
    await readUntil("event: completed");
    const { done: ended } = await reader.read().then(async (r) => (r.done ? r : reader.read()));
    expect(ended).toBe(true);
    expect(text).not.toContain("id: 1\n");
  });

  it("Last-Event-ID at or past the end of a running job: the stream ends when the job does", async () => {
    for (const leid of ["2", "999"]) {
      const jobs = await filled([progress(1), progress(2)]);
      const t = testApp({ jobs, config: { keepAliveMs: 20 } });
      const res = await t.get(`/v1/jobs/${ID}/events`, { headers: { "last-event-id": leid } });
      expect(res.status).toBe(200);
      const read = readSse(res);
      await new Promise((r) => setTimeout(r, 50));
      await jobs.update(ID, { status: "completed", finished_at: NOW });
      await jobs.append(ID, done);
      const ended = await Promise.race([read, new Promise((r) => setTimeout(() => r("still open"), 2_000))]);
      expect(ended, `Last-Event-ID ${leid}`).not.toBe("still open");
      // At the end the client gets the terminal event; past it there is nothing it has not "seen".
      expect((ended as Awaited<typeof read>).map((e) => e.event)).toEqual(leid === "2" ? ["completed"] : []);
    }
  });

  it("any Last-Event-ID, running or finished job: exactly the events after it, and the stream ends with the job", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 10 }),
        fc.boolean(),
        async (logged, after, finished) => {
          const jobs = await filled(Array.from({ length: logged }, (_, i) => progress(i + 1)));
          if (finished) {
            await jobs.append(ID, done);
            await jobs.update(ID, { status: "completed", finished_at: NOW });
          }
          const t = testApp({ jobs, config: { keepAliveMs: 20 } });
          const res = await t.get(`/v1/jobs/${ID}/events`, { headers: { "last-event-id": String(after) } });
          const terminalSeq = logged + 1;
          if (finished && after >= terminalSeq) return void expect(res.status).toBe(204);
          const read = readSse(res);
          if (!finished) {
            await jobs.append(ID, done);
            await jobs.update(ID, { status: "completed", finished_at: NOW });
          }
          const evs = await Promise.race([read, new Promise<null>((r) => setTimeout(() => r(null), 1_500))]);
          expect(evs, "the stream ended").not.toBeNull();
          const want = Array.from({ length: terminalSeq }, (_, i) => String(i + 1)).filter((id) => Number(id) > after);
          expect(evs!.map((e) => e.id)).toEqual(want);
        },
      ),
      { numRuns: 40, seed: 5 },
    );
  });

  it("caps open event streams per tenant (429) and in total (503), with the envelope, and frees them on close", async () => {
    const jobs = createMemoryJobStore({ clock: { now: () => NOW }, ttlMs: 60_000 });
    for (const tenant of ["alice", "bob", "carol"])
      await jobs.create(record({ id: `${ID.slice(0, -5)}${tenant}`, tenant }));
    const t = testApp({ jobs, config: { maxEventStreamsPerTenant: 2, maxEventStreams: 3 } });
    const open = (tenant: string) => t.get(`/v1/jobs/${ID.slice(0, -5)}${tenant}/events`, { sub: tenant });
    const a1 = await open("alice");
    const a2 = await open("alice");
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await open("alice");
    expect(a3.status).toBe(429);
    expect(await envelopeOf(a3)).toMatchObject({ type: "rate_limit_error", code: "too_many_streams" });
    expect(Number(a3.headers.get("retry-after"))).toBeGreaterThan(0);
    const b1 = await open("bob"); // another tenant is not refused for alice's streams
    expect(b1.status).toBe(200);
    const c1 = await open("carol");
    expect(c1.status).toBe(503);
    expect(await envelopeOf(c1)).toMatchObject({ type: "overloaded_error", code: "stream_capacity" });
    await a1.body!.cancel();
    await new Promise((r) => setTimeout(r, 20));
    const a4 = await open("alice");
    expect(a4.status).toBe(200);
    for (const r of [a2, b1, a4]) await r.body!.cancel();
  });

  it("another tenant's job is 404 everywhere", async () => {
    const jobs = await filled([progress(1)]);
    const t = testApp({ jobs });
    for (const res of [
      await t.get(`/v1/jobs/${ID}`, { sub: "mallory" }),
      await t.get(`/v1/jobs/${ID}/events`, { sub: "mallory" }),
      await t.post(`/v1/jobs/${ID}/cancel`, {}, { sub: "mallory" }),
    ]) {
      expect(res.status).toBe(404);
      expect((await envelopeOf(res)).type).toBe("not_found_error");
    }
    expect(t.pool.cancelled).toHaveLength(0);
  });
});

describe("GET /v1/jobs/{id} and cancel", () => {
  it("shows status, result and priced usage", async () => {
    const jobs = await filled([done], {
      status: "completed",
      finished_at: NOW,
      nfe: 8,
      result: { images: [{ url: "https://s3/x.png", width: 32, height: 32 }], seed: 7 },
    });
    const t = testApp({ jobs });
    const body = await (await t.get(`/v1/jobs/${ID}`)).json();
    expect(body).toMatchObject({
      id: ID,
      status: "completed",
      seed: 7,
      usage: { nfe: 8, cost_micro_usd: 400 },
      events_url: `/v1/jobs/${ID}/events`,
    });
  });

  it("cancel of a job consumed elsewhere goes straight to its worker; a finished job is left alone", async () => {
    const jobs: JobStore = await filled([progress(1)]);
    const t = testApp({ jobs });
    const res = await t.post(`/v1/jobs/${ID}/cancel`, {});
    expect(res.status).toBe(202);
    expect(t.pool.cancelled).toEqual([ID]);
    await jobs.update(ID, { status: "completed", finished_at: NOW });
    expect(
      ((await (await t.post(`/v1/jobs/${ID}/cancel`, {})).json()) as { cancel_requested: boolean }).cancel_requested,
    ).toBe(false);
    expect(t.pool.cancelled).toHaveLength(1);
  });
});

describe("memory JobStore bounds", () => {
  it("drops finished jobs after the TTL and old previews over the byte budget", async () => {
    let now = NOW;
    const jobs = createMemoryJobStore({ clock: { now: () => now }, ttlMs: 1000, maxPreviewBytesPerJob: 10 });
    await jobs.create(record());
    for (let i = 0; i < 5; i++)
      await jobs.append(ID, { event: "preview", step: i, index: 0, b64_png: "abcd", width: 1, height: 1 });
    await jobs.append(ID, done);
    const kept = await jobs.events(ID, 0);
    expect(kept.map((e) => e.seq)).toEqual([4, 5, 6]); // two newest previews (8 bytes) and the terminal event
    await jobs.update(ID, { status: "completed", finished_at: now });
    now += 2000;
    expect(await jobs.get(ID)).toBeNull();
  });
});
