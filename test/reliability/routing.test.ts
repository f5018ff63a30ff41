// The pool's choice of worker from reported health (power of two choices) over an injected fetch:
// a routing decision, not a fault, so no process is needed to see it.
import type { WorkerHealth, WorkerJob } from "@guidegate/shared";
import { SHAPES_32 } from "../support/models.ts";
import { describe, expect, it } from "vitest";
import { createWorkerPool } from "../../edge/src/pool/pool.ts";

const job = (i: number): WorkerJob => ({
  job_id: `job_route_${String(i).padStart(4, "0")}`,
  tenant: "t",
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

function fakeWorkers(health: Record<string, Partial<WorkerHealth>>) {
  const started: string[] = [];
  const f = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const base = `${url.protocol}//${url.host}`;
    if (url.pathname === "/internal/health")
      return Response.json({
        ok: true,
        worker: base,
        models: [SHAPES_32],
        capacity: 8,
        running: 0,
        queued: 0,
        max_queue: 32,
        ...health[base],
      });
    started.push(base);
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(": open\n\n"));
        init.signal?.addEventListener("abort", () => c.error(new Error("closed")));
      },
    });
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }) as typeof fetch;
  return { f, started };
}

const clock = { now: () => Date.now() };

async function primed(health: Record<string, Partial<WorkerHealth>>, seed = 1) {
  const { f, started } = fakeWorkers(health);
  let s = seed;
  const random = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31; // deterministic choices
    return s / 2 ** 31;
  };
  const pool = createWorkerPool({
    workers: Object.keys(health),
    internalSecret: "routing-test-internal-secret",
    clock,
    fetch: f,
    healthTtlMs: 60_000,
    random,
  });
  (await pool.dispatch(job(0))).close(); // the first dispatch also fetches every worker's health
  await new Promise((r) => setTimeout(r, 20));
  started.length = 0;
  return { pool, started };
}

describe("power-of-two-choices routing by reported load", () => {
  it("sends most jobs to the least loaded workers and never to the most loaded one first", async () => {
    const { pool, started } = await primed({
      "http://w1": { running: 8, queued: 6 }, // 1.75 jobs per slot
      "http://w2": { running: 0 },
      "http://w3": { running: 2 }, // 0.25
      "http://w4": { running: 8 }, // 1.0
    });
    for (let i = 1; i <= 300; i++) (await pool.dispatch(job(i))).close(); // closed at once: health alone sets the load
    const count = (w: string) => started.filter((s) => s === w).length;
    expect(count("http://w1")).toBe(0);
    expect(count("http://w2")).toBeGreaterThan(count("http://w3"));
    expect(count("http://w3")).toBeGreaterThan(count("http://w4"));
    expect(count("http://w2") + count("http://w3") + count("http://w4")).toBe(300);
  });

  it("counts this edge's own outstanding jobs at once, before the next health report", async () => {
    const { pool, started } = await primed({ "http://w1": {}, "http://w2": {}, "http://w3": {} });
    const open = [];
    for (let i = 1; i <= 30; i++) open.push(await pool.dispatch(job(i)));
    const per = ["http://w1", "http://w2", "http://w3"].map((w) => started.filter((s) => s === w).length);
    expect(Math.max(...per) - Math.min(...per)).toBeLessThanOrEqual(2); // kept even while all 30 stay open
    for (const d of open) d.close();
  });

  it("skips a worker that reports a full queue, but not an idle one with no queue at all", async () => {
    const { pool, started } = await primed({
      "http://w1": { capacity: 1, running: 1, queued: 2, max_queue: 2 }, // full
      "http://w2": { capacity: 1, running: 0, queued: 0, max_queue: 0 }, // free slot, no queue
    });
    const d = await pool.dispatch(job(1));
    expect(started).toEqual(["http://w2"]);
    d.close();
  });
});
