// Per-tenant admission: a tenant's jobs beyond its tier's max_concurrent_jobs wait at the edge in its own
// queue (429 beyond max_queued_jobs), another tenant is never refused or delayed for it, and with an
// edge-wide limit the tenant served longest ago goes next. The module alone, then through both POST routes.
import type { JobEvent } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../../edge/src/errors.ts";
import { createMemoryAdmission, type Place } from "../../../edge/src/admission/jobs.ts";
import { parseTiers } from "../../../edge/src/config.ts";
import { envelopeOf, liveDispatch, recordingPool, testApp } from "./support.ts";

const LIMITS = { maxConcurrentJobs: 2, maxQueuedJobs: 2 };
const tick = () => new Promise((r) => setTimeout(r, 10));

/** Polls `ok` every 10 ms (a loaded machine runs the requests in its own time); throws after 5 s. */
async function until(ok: () => boolean | Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + 5_000; !(await ok()); await tick())
    if (Date.now() > deadline) throw new Error("condition not reached in 5 s");
}

/** Which of `places` have had their turn (after the microtasks of any grant ran). */
async function granted(places: Place[]): Promise<boolean[]> {
  const seen = places.map(() => false);
  places.forEach(
    (p, i) =>
      void p.turn().then(
        () => (seen[i] = true),
        () => {},
      ),
  );
  await tick();
  return seen;
}

describe("memory admission", () => {
  it("a slot at once up to the tenant's limit, then its own queue, then 429 too_many_jobs", async () => {
    const a = createMemoryAdmission({ maxConcurrentJobs: 0 });
    const places = [
      await a.enter("t", LIMITS),
      await a.enter("t", LIMITS),
      await a.enter("t", LIMITS),
      await a.enter("t", LIMITS),
    ];
    expect(places.map((p) => p.position)).toEqual([0, 0, 1, 2]);
    const refused = await a.enter("t", LIMITS).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(429);
    expect((refused as ApiError).code).toBe("too_many_jobs");
    expect(Number((refused as ApiError).headers["retry-after"])).toBeGreaterThan(0);
    // Another tenant is not refused for it, and not queued either.
    expect((await a.enter("u", LIMITS)).position).toBe(0);
  });

  it("a freed slot goes to the same tenant's next job, in order; release is once", async () => {
    const a = createMemoryAdmission({ maxConcurrentJobs: 0 });
    const [r1, r2, q1, q2] = [
      await a.enter("t", LIMITS),
      await a.enter("t", LIMITS),
      await a.enter("t", LIMITS),
      await a.enter("t", LIMITS),
    ];
    expect(await granted([q1!, q2!])).toEqual([false, false]);
    r1!.release();
    r1!.release(); // a second release frees nothing more
    expect(await granted([q1!, q2!])).toEqual([true, false]);
    r2!.release();
    expect(await granted([q2!])).toEqual([true]);
  });

  it("a job that gives up its place while queued leaves the queue; the one behind moves up", async () => {
    const a = createMemoryAdmission({ maxConcurrentJobs: 0 });
    const running = [await a.enter("t", LIMITS), await a.enter("t", LIMITS)];
    const q1 = await a.enter("t", LIMITS);
    const q2 = await a.enter("t", LIMITS);
    const ctrl = new AbortController();
    const waiting = q1.turn(ctrl.signal);
    ctrl.abort(new Error("client left"));
    await expect(waiting).rejects.toThrow("client left");
    expect((await a.enter("t", LIMITS)).position).toBe(2); // its place was given back
    running[0]!.release();
    expect(await granted([q2])).toEqual([true]);
  });

  it("with an edge-wide limit, the tenant served longest ago goes next: a flood waits behind its own jobs", async () => {
    const a = createMemoryAdmission({ maxConcurrentJobs: 1 });
    const big = { maxConcurrentJobs: 10, maxQueuedJobs: 10 };
    const first = await a.enter("flood", big);
    const flood = [await a.enter("flood", big), await a.enter("flood", big), await a.enter("flood", big)];
    const quiet = [await a.enter("quiet", big), await a.enter("quiet", big)];
    const order: string[] = [];
    const all = [...flood.map((p, i) => ["flood", i, p] as const), ...quiet.map((p, i) => ["quiet", i, p] as const)];
    for (const [who, i, p] of all) void p.turn().then(() => order.push(`${who}${i + 1}`));
    let current = first;
    for (let n = 0; n < 5; n++) {
      current.release();
      await tick();
      current = all.find(([who, i]) => order.at(-1) === `${who}${i + 1}`)![2];
    }
    expect(order).toEqual(["quiet1", "flood1", "quiet2", "flood2", "flood3"]);
  });
});

// pro with room for two jobs at once and one waiting: small enough to fill in a test.
const SMALL = parseTiers(JSON.stringify({ pro: { max_concurrent_jobs: 2, max_queued_jobs: 1 } }));
const BODY = { prompt: "a red circle", steps: 10, guidance: { policy: "none" } };
const completed = (nfe: number): JobEvent => ({ event: "completed", images: [], seed: 1, usage: { nfe } });

function fleet() {
  const dispatches: Array<ReturnType<typeof liveDispatch>> = [];
  const pool = recordingPool(async () => {
    const d = liveDispatch();
    dispatches.push(d);
    return d;
  });
  return { pool, dispatches };
}

describe("admission through the routes", () => {
  it("POST /v1/jobs: a tenant over its limit waits in its own queue (202 queued), then 429; others go at once", async () => {
    const { pool, dispatches } = fleet();
    const t = testApp({ pool, config: { tiers: SMALL } });
    const post = async (sub = "alice") => {
      const res = await t.post("/v1/jobs", BODY, { sub });
      return { status: res.status, body: (await res.json()) as { id: string; error?: { code: string } } };
    };
    const [a1, a2, a3] = [await post(), await post(), await post()];
    expect([a1.status, a2.status, a3.status]).toEqual([202, 202, 202]);
    expect(pool.dispatched.map((j) => j.job_id)).toEqual([a1.body.id, a2.body.id]); // the third waits at the edge
    const a4 = await post();
    expect(a4.status).toBe(429);
    expect(a4.body.error?.code).toBe("too_many_jobs");
    const usage = (await (await t.get("/v1/usage")).json()) as { reserved_nfe: number };
    expect(usage.reserved_nfe).toBe(30); // three jobs of 10 NFEs held, nothing for the refused one
    const b1 = await post("bob");
    expect(b1.status).toBe(202);
    expect(pool.dispatched.at(-1)!.job_id).toBe(b1.body.id); // bob never waits behind alice
    dispatches[0]!.push(completed(10));
    // Alice's own slot goes to her next job.
    await until(() => pool.dispatched.some((j) => j.job_id === a3.body.id));
    const events = await t.get(`/v1/jobs/${a3.body.id}/events`);
    const text = await readUntil(events, "event: queued");
    expect(text).toContain('"position":1');
    for (const d of dispatches.slice(1)) d.push(completed(10));
  });

  it("POST /v1/jobs: a job cancelled while it waits at the edge never runs and costs nothing", async () => {
    const { pool, dispatches } = fleet();
    const t = testApp({ pool, config: { tiers: SMALL } });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(((await (await t.post("/v1/jobs", BODY)).json()) as { id: string }).id);
    expect((await t.post(`/v1/jobs/${ids[2]}/cancel`, {})).status).toBe(202);
    const read = async () =>
      (await (await t.get(`/v1/jobs/${ids[2]}`)).json()) as { status: string; usage: { nfe: number } };
    await until(async () => (await read()).status === "cancelled");
    const job = await read();
    expect(job).toMatchObject({ status: "cancelled", usage: { nfe: 0 } });
    expect(pool.dispatched).toHaveLength(2);
    expect((await t.ledger.get(ids[2]!))?.state).toBe("voided");
    expect((await t.post("/v1/jobs", BODY)).status).toBe(202); // its place in the queue was given back
    for (const d of dispatches) d.push(completed(10));
  });

  it("the synchronous route waits for the tenant's turn, and answers 429 too_many_jobs beyond its queue", async () => {
    const { pool, dispatches } = fleet();
    const t = testApp({ pool, config: { tiers: SMALL } });
    const sync = () => t.post("/v1/images/generations", BODY);
    const reserved = async () => (await t.ledger.usage("alice", 10 ** 9, t.clock.t)).reserved;
    const running = [sync(), sync()];
    await until(() => pool.dispatched.length === 2);
    const waiting = sync();
    await until(async () => (await reserved()) === 30); // queued: its place taken and its NFEs held, not dispatched
    expect(pool.dispatched).toHaveLength(2);
    const over = await sync();
    expect(over.status).toBe(429);
    expect((await envelopeOf(over)).code).toBe("too_many_jobs");
    dispatches[0]!.push(completed(10));
    await until(() => pool.dispatched.length === 3); // the freed slot went to the waiting request
    for (const d of dispatches.slice(1)) d.push(completed(10));
    expect((await Promise.all([...running, waiting])).map((r) => r.status)).toEqual([200, 200, 200]);
  });
});

async function readUntil(res: Response, needle: string): Promise<string> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = "";
  while (!text.includes(needle)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += dec.decode(value);
  }
  await reader.cancel();
  return text;
}
