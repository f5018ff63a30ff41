// The worker pool over an injected fetch: routing, refusals, the internal token, SSE parsing.
import { INTERNAL_AUDIENCE, INTERNAL_ISSUER, type WorkerJob } from "@guidegate/shared";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createWorkerPool } from "../../../edge/src/pool/pool.ts";
import { JobRejectedError, NoCapacityError, WorkerProtocolError } from "../../../edge/src/pool/types.ts";

const SECRET = "pool-test-internal-secret";
const clock = { now: () => Date.UTC(2026, 0, 1) };
const job = (id = "job_abcdefgh"): WorkerJob => ({
  job_id: id,
  tenant: "alice",
  model: "shapes-32",
  prompt: "x",
  n: 1,
  width: 32,
  height: 32,
  steps: 4,
  seed: 1,
  guidance: { policy: "none" },
  max_nfe: 4,
  output_format: "png",
  response_format: "url",
});

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;
function fakeFetch(handler: Handler) {
  const calls: Array<{ url: string; init: RequestInit }> = [];
  const f = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, init });
    return handler(url, init);
  }) as typeof fetch;
  return { f, calls };
}

/** An SSE response that stays open until `signal` aborts (or ends after `text` when `end`). */
function sse(text: string, signal?: AbortSignal | null, end = false): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      if (end) c.close();
      signal?.addEventListener("abort", () => c.error(new Error("aborted")));
    },
  });
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}
const envelope = (status: number, type: string, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error: { type, code: "x", message: "m", param: null } }), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });

const make = (f: typeof fetch, workers = ["http://w1", "http://w2"]) =>
  createWorkerPool({ workers, internalSecret: SECRET, clock, fetch: f, healthTtlMs: 0 });

describe("createWorkerPool", () => {
  it("validates options at start-up", () => {
    expect(() => createWorkerPool({ workers: [], internalSecret: SECRET, clock })).toThrow(/worker/);
    expect(() => createWorkerPool({ workers: ["not a url"], internalSecret: SECRET, clock })).toThrow();
    expect(() => createWorkerPool({ workers: ["http://w1"], internalSecret: "", clock })).toThrow(/secret/);
  });

  it("POSTs the job with a short-lived internal token for that job", async () => {
    const { f, calls } = fakeFetch((_u, init) =>
      sse('id: 1\nevent: queued\ndata: {"event":"queued","position":0}\n\n', init.signal),
    );
    const d = await make(f).dispatch(job("job_token_test"));
    const { url, init } = calls[0]!;
    expect(url).toBe("http://w1/internal/jobs");
    expect(init.method).toBe("POST");
    expect(JSON.parse(String(init.body))).toMatchObject({ job_id: "job_token_test", model: "shapes-32" });
    const token = (init.headers as Record<string, string>).authorization!.replace("Bearer ", "");
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(SECRET), {
      issuer: INTERNAL_ISSUER,
      audience: INTERNAL_AUDIENCE,
      currentDate: new Date(clock.now()),
    });
    expect(protectedHeader.alg).toBe("HS256");
    expect(payload.job_id).toBe("job_token_test");
    expect(payload.exp! - payload.iat!).toBe(300);
    const it = d.events[Symbol.asyncIterator]();
    expect((await it.next()).value).toEqual({ event: "queued", position: 0 });
    d.close();
  });

  it("routes to the worker with the fewest outstanding jobs", async () => {
    const { f, calls } = fakeFetch((_u, init) => sse(": hi\n\n", init.signal));
    const pool = make(f);
    const a = await pool.dispatch(job("job_aaaaaaaa"));
    const b = await pool.dispatch(job("job_bbbbbbbb"));
    expect(new Set([a.worker, b.worker])).toEqual(new Set(["http://w1", "http://w2"]));
    expect(pool.status().map((w) => w.outstanding)).toEqual([1, 1]);
    a.close();
    const c = await pool.dispatch(job("job_cccccccc"));
    expect(c.worker).toBe(a.worker);
    expect(calls).toHaveLength(3);
    b.close();
    c.close();
    expect(pool.status().map((w) => w.outstanding)).toEqual([0, 0]);
  });

  it("skips full (503) and unreachable workers; NoCapacityError when none is left", async () => {
    const { f } = fakeFetch((url, init) => {
      if (url.startsWith("http://w1")) return envelope(503, "overloaded_error", { "retry-after": "2" });
      if (url.startsWith("http://w2")) throw new TypeError("fetch failed: ECONNREFUSED");
      return sse(": ok\n\n", init.signal);
    });
    const pool = make(f, ["http://w1", "http://w2", "http://w3"]);
    expect((await pool.dispatch(job())).worker).toBe("http://w3");
    const two = make(f, ["http://w1", "http://w2"]);
    await expect(two.dispatch(job())).rejects.toBeInstanceOf(NoCapacityError);
    expect(two.status().every((w) => !w.up)).toBe(true);
  });

  it("leaves a draining worker out even when it is the least loaded", async () => {
    const health = (worker: string, running: number, draining?: boolean) =>
      Response.json({
        ok: true,
        worker,
        models: [{ id: "shapes-32", sizes: ["32x32"], policies: ["none"] }],
        capacity: 8,
        running,
        queued: 0,
        max_queue: 32,
        ...(draining === undefined ? {} : { draining }),
      });
    const routed = async (draining?: boolean) => {
      const { f, calls } = fakeFetch((url, init) => {
        if (url === "http://w1/internal/health") return health("w1", 0, draining);
        if (url === "http://w2/internal/health") return health("w2", 6);
        return sse(": ok\n\n", init.signal);
      });
      const pool = createWorkerPool({ workers: ["http://w1", "http://w2"], internalSecret: SECRET, clock, fetch: f });
      await pool.models(); // reads both healths
      const d = await pool.dispatch(job());
      d.close();
      return { worker: d.worker, posts: calls.filter((c) => c.url.endsWith("/internal/jobs")).map((c) => c.url) };
    };
    expect(await routed()).toEqual({ worker: "http://w1", posts: ["http://w1/internal/jobs"] });
    expect(await routed(false)).toEqual({ worker: "http://w1", posts: ["http://w1/internal/jobs"] });
    expect(await routed(true)).toEqual({ worker: "http://w2", posts: ["http://w2/internal/jobs"] });
  });

  it("a 400 from the worker is the job's fault: JobRejectedError, no other worker tried", async () => {
    const { f, calls } = fakeFetch(() => envelope(400, "invalid_request_error"));
    await expect(make(f).dispatch(job())).rejects.toBeInstanceOf(JobRejectedError);
    expect(calls).toHaveLength(1);
  });

  it("rejects events that break the contract", async () => {
    const { f } = fakeFetch(() => sse('event: progress\ndata: {"event":"progress","step":"x"}\n\n', null, true));
    const d = await make(f).dispatch(job());
    await expect(
      (async () => {
        for await (const _ of d.events);
      })(),
    ).rejects.toBeInstanceOf(WorkerProtocolError);
  });

  it("close() aborts the upstream request (which cancels on the worker)", async () => {
    let signal: AbortSignal | null | undefined;
    const { f } = fakeFetch((_u, init) => {
      signal = init.signal;
      return sse(": open\n\n", init.signal);
    });
    const d = await make(f).dispatch(job());
    expect(signal?.aborted).toBe(false);
    d.close();
    expect(signal?.aborted).toBe(true);
  });

  it("cancel() POSTs to the worker's cancel endpoint with a token", async () => {
    const { f, calls } = fakeFetch(
      () => new Response(JSON.stringify({ id: "job_cancel_me", cancelled: true, step: 2, nfe: 4 }), { status: 202 }),
    );
    expect(await make(f).cancel("http://w2", "job_cancel_me")).toBe(true);
    expect(calls[0]!.url).toBe("http://w2/internal/jobs/job_cancel_me/cancel");
    expect((calls[0]!.init.headers as Record<string, string>).authorization).toMatch(/^Bearer /);
    const down = fakeFetch(() => {
      throw new TypeError("down");
    });
    expect(await make(down.f).cancel("http://w2", "job_x")).toBe(false);
  });
});
