// The edge learns which models exist from its workers' health (no hand-kept list), keeps what it
// learnt while a worker is down, lets an operator pin the list, and validates the cancel ack.
import {
  INTERNAL_AUDIENCE,
  INTERNAL_HEALTH_AUDIENCE,
  INTERNAL_ISSUER,
  type ModelInfo,
  POLICY_NAMES,
  type WorkerHealth,
} from "@guidegate/shared";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createWorkerPool } from "../../../edge/src/pool/pool.ts";
import { SHAPES_32 } from "../../support/models.ts";
import { envelopeOf, recordingPool, testApp } from "./support.ts";

const SECRET = "models-test-internal-secret";
const TINY: ModelInfo = { id: "tiny-sd", sizes: ["64x64"], policies: ["none", "cfg"], negative_prompt: true };

function health(models: ModelInfo[]): WorkerHealth {
  return { ok: true, worker: "w", models, capacity: 1, running: 0, queued: 0, max_queue: 4 };
}

/** Workers answering health from `byUrl` (a thrown error for a worker that is down) and cancel with `cancelBody`. */
function fleet(byUrl: Record<string, () => WorkerHealth>, cancelBody: unknown = null) {
  const clock = {
    t: Date.UTC(2026, 0, 1),
    now() {
      return this.t;
    },
  };
  const healthAuth: string[] = [];
  const f = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const base = `${url.protocol}//${url.host}`;
    if (url.pathname === "/internal/health") {
      healthAuth.push(new Headers(init.headers).get("authorization") ?? "");
      return Response.json(byUrl[base]!());
    }
    if (url.pathname.endsWith("/cancel")) return Response.json(cancelBody, { status: 202 });
    return new Response("no", { status: 404 });
  }) as typeof fetch;
  const pool = createWorkerPool({
    workers: Object.keys(byUrl),
    internalSecret: SECRET,
    clock,
    fetch: f,
    healthTtlMs: 1_000,
  });
  return { pool, clock, healthAuth };
}

describe("WorkerPool.models()", () => {
  it("asks for health with a health-scoped internal token, which names no job and cannot start one", async () => {
    const { pool, clock, healthAuth } = fleet({ "http://w1": () => health([SHAPES_32]) });
    await pool.models();
    const token = healthAuth[0]!.replace(/^Bearer /, "");
    const key = new TextEncoder().encode(SECRET);
    const opts = { issuer: INTERNAL_ISSUER, currentDate: new Date(clock.t) };
    const { payload } = await jwtVerify(token, key, { ...opts, audience: INTERNAL_HEALTH_AUDIENCE });
    expect(payload.job_id).toBeUndefined();
    await expect(jwtVerify(token, key, { ...opts, audience: INTERNAL_AUDIENCE })).rejects.toThrow();
  });

  it("is the union of what the workers serve, first listing first", async () => {
    const { pool } = fleet({ "http://w1": () => health([SHAPES_32]), "http://w2": () => health([TINY, SHAPES_32]) });
    expect((await pool.models()).map((m) => m.id)).toEqual(["shapes-32", "tiny-sd"]);
  });

  it("keeps a worker's models while it is down, and learns a new one once it answers", async () => {
    let down = false;
    let models = [SHAPES_32];
    const { pool, clock } = fleet({
      "http://w1": () => {
        if (down) throw new Error("connection refused");
        return health(models);
      },
    });
    expect((await pool.models()).map((m) => m.id)).toEqual(["shapes-32"]);
    down = true;
    clock.t += 5_000;
    expect((await pool.models()).map((m) => m.id)).toEqual(["shapes-32"]);
    down = false;
    models = [SHAPES_32, TINY];
    clock.t += 10_000;
    expect((await pool.models()).map((m) => m.id)).toEqual(["shapes-32", "tiny-sd"]);
  });

  it("refuses a health whose models are not the contract's objects", async () => {
    const bad = { ...health([]), models: ["shapes-32"] } as unknown as WorkerHealth; // an old worker's shape
    const { pool } = fleet({ "http://w1": () => bad });
    expect(await pool.models()).toEqual([]);
  });
});

describe("cancel acknowledgement", () => {
  const ack = (body: unknown) =>
    fleet({ "http://w1": () => health([SHAPES_32]) }, body).pool.cancel("http://w1", "job_abcdefgh");
  it("true only for the contract's ack of this job", async () => {
    expect(await ack({ id: "job_abcdefgh", cancelled: true, step: 3, nfe: 6 })).toBe(true);
    expect(await ack({ id: "job_other123", cancelled: true, step: 3, nfe: 6 })).toBe(false);
    expect(await ack({ ok: true })).toBe(false);
  });
});

describe("the edge's catalogue", () => {
  it("lists and validates against what workers serve", async () => {
    const pool = { ...recordingPool(), models: async () => [TINY] };
    const t = testApp({ pool });
    const listed = (await (await t.get("/v1/models")).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((m) => m.id)).toEqual(["tiny-sd"]);
    const res = await t.post("/v1/images/generations", { prompt: "a red circle", model: "shapes-32" });
    expect(res.status).toBe(400);
    const e = await envelopeOf(res);
    expect(e).toMatchObject({ code: "model_not_found", param: "model" });
    expect(e.message).toContain("tiny-sd");
  });

  it("an operator's pinned list (GG_MODELS_JSON) wins over health", async () => {
    const pool = { ...recordingPool(), models: async () => [TINY] };
    const t = testApp({ pool, config: { models: [SHAPES_32] } });
    const listed = (await (await t.get("/v1/models")).json()) as { data: Array<{ id: string }> };
    expect(listed.data.map((m) => m.id)).toEqual(["shapes-32"]);
  });

  it("no worker has answered yet: 503 no_capacity, not model_not_found, nothing reserved", async () => {
    const pool = { ...recordingPool(), models: async () => [] };
    const t = testApp({ pool });
    const res = await t.post("/v1/images/generations", { prompt: "a red circle" });
    expect(res.status).toBe(503);
    expect((await envelopeOf(res)).code).toBe("no_capacity");
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(pool.dispatched).toHaveLength(0);
  });

  it("a model without PAG is not offered PAG", async () => {
    const noPag = { ...SHAPES_32, policies: POLICY_NAMES.filter((p) => p !== "pag") };
    const pool = { ...recordingPool(), models: async () => [noPag] };
    const t = testApp({ pool });
    const res = await t.post("/v1/images/generations", { prompt: "x", guidance: { policy: "pag" } });
    expect(res.status).toBe(400);
    expect((await envelopeOf(res)).code).toBe("policy_not_supported");
  });
});
