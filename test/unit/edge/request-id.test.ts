// Request ids and trace context through the app: a well-formed x-request-id is kept, anything else replaced; the
// id is in the response header and every error envelope; the job dispatched to a worker carries it and a
// traceparent that continues the client's trace (same trace id, a new span id) or starts one.
import { describe, expect, it } from "vitest";
import { parseTraceparent } from "@guidegate/shared";
import { envelopeOf, liveDispatch, recordingPool, testApp } from "./support.ts";

const PATH = "/v1/images/generations";

describe("request ids", () => {
  it("keeps a well-formed x-request-id and replaces a malformed one", async () => {
    const t = testApp();
    const kept = await t.get("/v1/models", { headers: { "x-request-id": "client:abc.123-X_y" } });
    expect(kept.headers.get("x-request-id")).toBe("client:abc.123-X_y");
    for (const bad of ["", "has space", "a".repeat(129), "semi;colon", "ünï"]) {
      const res = await t.get("/v1/models", { headers: { "x-request-id": bad } });
      const id = res.headers.get("x-request-id");
      expect(id, JSON.stringify(bad)).toMatch(/^[0-9a-f-]{36}$/);
    }
    const a = (await t.get("/v1/models")).headers.get("x-request-id");
    const b = (await t.get("/v1/models")).headers.get("x-request-id");
    expect(a).not.toBe(b);
    expect((await t.app.request("/healthz")).headers.get("x-request-id")).toBeTruthy();
  });

  it("is in every error envelope: 401, 404, 405, 400 and a worker's failure", async () => {
    const pool = recordingPool(async () => {
      const d = liveDispatch();
      d.push({
        event: "failed",
        error: { type: "server_error", code: "generation_failed", message: "x", param: null },
        usage: { nfe: 0 },
      });
      return d;
    });
    const t = testApp({ pool });
    const cases = [
      await t.app.request("/v1/models", { headers: { "x-request-id": "r-401" } }),
      await t.get("/v1/nothing", { headers: { "x-request-id": "r-404" } }),
      await t.app.request(PATH, { method: "GET", headers: { "x-request-id": "r-405" } }),
      await t.post(PATH, { prompt: "x", colour: 1 }, { headers: { "x-request-id": "r-400" } }),
      await t.post(PATH, { prompt: "a red circle" }, { headers: { "x-request-id": "r-500" } }),
    ];
    const ids = [];
    for (const res of cases) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      const body = (await envelopeOf(res)) as { request_id?: string };
      expect(body.request_id).toBe(res.headers.get("x-request-id"));
      ids.push(body.request_id);
    }
    expect(ids).toEqual(["r-401", "r-404", "r-405", "r-400", "r-500"]);
    expect(cases[4]!.status).toBe(500);
  });

  it("hands the worker the request id and a child span of the client's traceparent, or a new trace", async () => {
    const pool = recordingPool(async () => {
      const d = liveDispatch();
      d.push({ event: "completed", images: [{ b64_json: "aGk=", width: 32, height: 32 }], seed: 1, usage: { nfe: 4 } });
      return d;
    });
    const t = testApp({ pool });
    const incoming = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const res = await t.post(
      PATH,
      { prompt: "a red circle" },
      { headers: { "x-request-id": "gen-1", traceparent: incoming } },
    );
    expect(res.status).toBe(200);
    const job = pool.dispatched[0]!;
    expect(job.request_id).toBe("gen-1");
    const child = parseTraceparent(job.traceparent)!;
    expect(child.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(child.spanId).not.toBe("b7ad6b7169203331");
    expect(child.flags).toBe("01");

    for (const bad of ["00-00000000000000000000000000000000-b7ad6b7169203331-01", "garbage"]) {
      await t.post(PATH, { prompt: "a red circle" }, { headers: { traceparent: bad } });
      const fresh = parseTraceparent(pool.dispatched.at(-1)!.traceparent)!;
      expect(fresh.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(fresh.traceId).not.toBe("00000000000000000000000000000000");
      expect(pool.dispatched.at(-1)!.request_id).toMatch(/^[0-9a-f-]{36}$/);
    }
  });
});
