// Idempotency-Key through the routes with every store on Deno KV (createKvStores, as the Deno entry builds them):
// a finished request replays without billing again, 20 callers under one key make one job, another body is a 422.
// idempotency.test.ts covers the rest of the semantics on memory; the store itself passes the conformance suite.
import { describe, expect, it } from "vitest";
import { createKvStores } from "../../../edge/src/kv/index.ts";
import { freshPrefix, useDenoKv } from "../../support/deno-kv.ts";
import { envelopeOf, liveDispatch, NOW, recordingPool, testApp } from "./support.ts";

const PATH = "/v1/images/generations";
const BODY = { prompt: "a red circle", seed: 1 };
const denoKv = useDenoKv();

function kvApp(pool: ReturnType<typeof recordingPool>) {
  const stores = createKvStores(denoKv.kv(), {
    prefix: freshPrefix(),
    jobs: { clock: { now: () => NOW }, ttlMs: 60_000 },
  });
  return testApp({ ...stores, pool });
}

describe("Idempotency-Key on Deno KV", () => {
  it("replays a finished request instead of running and billing it again; another body is a 422", async () => {
    const t = kvApp(
      recordingPool(async () => {
        const d = liveDispatch();
        d.push({
          event: "completed",
          images: [{ url: "https://s3/x.png", width: 32, height: 32 }],
          seed: 1,
          usage: { nfe: 20 },
        });
        return d;
      }),
    );
    const first = await t.post(PATH, BODY, { headers: { "idempotency-key": "kv-1" } });
    expect(first.status).toBe(200);
    const answer = await first.json();
    const usage = await (await t.get("/v1/usage")).json();
    expect(usage).toMatchObject({ used_nfe: 20, reserved_nfe: 0 });
    const again = await t.post(PATH, BODY, { headers: { "idempotency-key": "kv-1" } });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.json()).toEqual(answer);
    expect(await (await t.get("/v1/usage")).json()).toEqual(usage);
    const other = await t.post(PATH, { ...BODY, seed: 2 }, { headers: { "idempotency-key": "kv-1" } });
    expect(other.status).toBe(422);
    expect((await envelopeOf(other)).type).toBe("idempotency_error");
    expect(t.pool.dispatched).toHaveLength(1);
  });

  it("POST /v1/jobs: 20 callers at once under one key make one job, readable at once by each", async () => {
    const d = liveDispatch();
    const t = kvApp(recordingPool(() => new Promise((r) => setTimeout(() => r(d), 30))));
    const answers = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const res = await t.post("/v1/jobs", BODY, { headers: { "idempotency-key": "kv-jobs" } });
        const body = (await res.json()) as { id: string };
        return { status: res.status, id: body.id, read: (await t.get(`/v1/jobs/${body.id}`)).status };
      }),
    );
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
    expect(answers.map((a) => `${a.status}/${a.read}`)).toEqual(Array(20).fill("202/200"));
    expect(t.pool.dispatched).toHaveLength(1);
    d.push({ event: "completed", images: [], seed: 1, usage: { nfe: 20 } });
    // Settled once, before the file's KV closes.
    for (let i = 0; i < 100 && (await (await t.get("/v1/usage")).json()).used_nfe !== 20; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await (await t.get("/v1/usage")).json()).toMatchObject({ used_nfe: 20, reserved_nfe: 0 });
  });
});
