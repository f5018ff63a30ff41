// POST /v1/jobs when every worker is full: the job waits at the edge as `queued` with its place in line, is
// dispatched when room frees, and fails with queue_timeout (its reservation released) past its deadline.
// The pool is a test double: "every worker full, then one frees" cannot be timed reliably with real workers.
import type { JobEvent, WorkerJob } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { type Dispatch, NoCapacityError } from "../../../edge/src/pool/types.ts";
import { readSse } from "../../support/sse.ts";
import { envelopeOf, liveDispatch, recordingPool, testApp } from "./support.ts";

const BODY = { prompt: "a red circle", steps: 4, guidance: { policy: "cfg", scale: 2 } };

/** A pool with no room until `open()`; then each dispatch gets a live stream the test drives. */
function fullPool() {
  let room = 0;
  const live: ReturnType<typeof liveDispatch>[] = [];
  const pool = recordingPool(async (_job: WorkerJob): Promise<Dispatch> => {
    if (room <= 0) throw new NoCapacityError(2);
    room--;
    const d = liveDispatch();
    live.push(d);
    return d;
  });
  return { pool, live, open: (n = 1) => (room += n) };
}

const until = async (what: string, ok: () => Promise<boolean>, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe("POST /v1/jobs with every worker busy", () => {
  it("queues with a position, dispatches in order as room frees, and bills each job once", async () => {
    const p = fullPool();
    const t = testApp({ pool: p.pool });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.post("/v1/jobs", BODY);
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    const job = async (id: string) => (await (await t.get(`/v1/jobs/${id}`)).json()) as Record<string, unknown>;
    await until("both in line", async () => (await job(ids[1]!)).position === 2);
    expect(await job(ids[0]!)).toMatchObject({ status: "queued", position: 1 });
    p.open();
    await until("first dispatched", async () => p.live.length === 1);
    await until("second moved up", async () => (await job(ids[1]!)).position === 1);
    p.live[0]!.push({ event: "started", policy: "cfg", steps: 4, seed: 1, max_nfe: 8 });
    await until("first running", async () => (await job(ids[0]!)).status === "running");
    expect(await job(ids[0]!)).not.toHaveProperty("position");
    p.live[0]!.push({ event: "completed", images: [], seed: 1, usage: { nfe: 8 } } as JobEvent);
    p.open();
    await until("second dispatched", async () => p.live.length === 2);
    p.live[1]!.push({ event: "cancelled", usage: { nfe: 2 } });
    await until("both ended", async () => (await job(ids[1]!)).status === "cancelled");
    const evs = await readSse(await t.get(`/v1/jobs/${ids[1]}/events`));
    expect(evs.filter((e) => e.event === "queued").map((e) => e.data.position)).toEqual([2, 1]);
    const usage = (await (await t.get("/v1/usage")).json()) as Record<string, number>;
    expect(usage).toMatchObject({ used_nfe: 8 + 2, reserved_nfe: 0 });
  });

  it("fails with queue_timeout past the request's deadline and releases the reservation", async () => {
    const p = fullPool();
    const t = testApp({ pool: p.pool });
    const res = await t.post("/v1/jobs", { ...BODY, queue_timeout_s: 1 });
    const { id } = (await res.json()) as { id: string };
    await until(
      "queued",
      async () => ((await (await t.get(`/v1/jobs/${id}`)).json()) as { position?: number }).position === 1,
    );
    expect(((await (await t.get("/v1/usage")).json()) as { reserved_nfe: number }).reserved_nfe).toBeGreaterThan(0);
    t.clock.t += 1_001; // the deadline passes; the line's next retry sees it
    await until(
      "failed",
      async () => ((await (await t.get(`/v1/jobs/${id}`)).json()) as { status: string }).status === "failed",
    );
    const rec = (await (await t.get(`/v1/jobs/${id}`)).json()) as { error: { code: string; param: string } };
    expect(rec.error).toMatchObject({ code: "queue_timeout", param: "queue_timeout_s" });
    expect(await (await t.get("/v1/usage")).json()).toMatchObject({ used_nfe: 0, reserved_nfe: 0 });
  });

  it("a job cancelled while it waits for room leaves the line, billed nothing", async () => {
    const p = fullPool();
    const t = testApp({ pool: p.pool });
    const { id } = (await (await t.post("/v1/jobs", BODY)).json()) as { id: string };
    await until(
      "queued",
      async () => ((await (await t.get(`/v1/jobs/${id}`)).json()) as { position?: number }).position === 1,
    );
    expect((await t.post(`/v1/jobs/${id}/cancel`, {})).status).toBe(202);
    await until(
      "cancelled",
      async () => ((await (await t.get(`/v1/jobs/${id}`)).json()) as { status: string }).status === "cancelled",
    );
    p.open();
    await new Promise((r) => setTimeout(r, 1_200)); // a retry tick: nothing left in line to dispatch
    expect(p.live).toHaveLength(0);
    expect(await (await t.get("/v1/usage")).json()).toMatchObject({ used_nfe: 0, reserved_nfe: 0 });
  });

  it("queue_timeout_s: 0 answers 503 at once; out of range or on a synchronous route is a 400 naming it", async () => {
    const t = testApp();
    const now = await t.post("/v1/jobs", { ...BODY, queue_timeout_s: 0 });
    expect(now.status).toBe(503);
    expect(Number(now.headers.get("retry-after"))).toBeGreaterThan(0);
    for (const bad of [-1, 3601, 1.5, "10"]) {
      const res = await t.post("/v1/jobs", { ...BODY, queue_timeout_s: bad });
      expect(res.status, String(bad)).toBe(400);
      expect((await envelopeOf(res)).param).toBe("queue_timeout_s");
    }
    const sync = await t.post("/v1/images/generations", { ...BODY, queue_timeout_s: 10 });
    expect(sync.status).toBe(400);
    expect(await envelopeOf(sync)).toMatchObject({ code: "unsupported_parameter", param: "queue_timeout_s" });
    const full = await t.post("/v1/images/generations", BODY); // synchronous: still refused, with Retry-After
    expect(full.status).toBe(503);
    expect(full.headers.get("retry-after")).toBeTruthy();
  });
});
