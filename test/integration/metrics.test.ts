// GET /metrics on a real worker and on the Node and Deno edges, read with a Prometheus text-format parser,
// after a known workload: 3 jobs of 20 steps under CFG (2 NFEs a step) are 120 NFEs, 60 steps, 3 jobs.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type EdgeRuntime, type Stack, startStack } from "@guidegate/stack";
import { type Scrape, scrape } from "../support/prometheus.ts";

const TOKEN = "metrics-token-for-tests-0123456789abcdef";
const JOBS = 3;
const STEPS = 20;
const NFE = JOBS * STEPS * 2;

async function generate(edgeUrl: string): Promise<{ nfe: number }> {
  const res = await fetch(`${edgeUrl}/v1/images/generations`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${await mintDevToken({ sub: "metrics-tenant", tier: "standard" })}`,
      "content-type": "application/json",
    },
    body: JSON.stringify({
      prompt: "a large blue circle on a yellow background",
      steps: STEPS,
      guidance: { policy: "cfg", scale: 3 },
      preview_every: 5,
    }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { usage: { nfe: number } };
  return { nfe: body.usage.nfe };
}

/** Runs the workload on a fresh stack with metrics on, then scrapes the worker and the edge. */
function withWorkload(runtime: EdgeRuntime) {
  const seen: { worker?: Scrape; edge?: Scrape; stack?: Stack } = {};
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `gg-metrics-${runtime}-`));
    const stack = await startStack({
      dataDir: dir,
      edgeRuntime: runtime,
      workerEnv: { GG_METRICS_TOKEN: TOKEN },
      edgeEnv: { GG_METRICS_TOKEN: TOKEN },
    });
    seen.stack = stack;
    const usage = await Promise.all(Array.from({ length: JOBS }, () => generate(stack.edgeUrl)));
    expect(usage.reduce((s, u) => s + u.nfe, 0)).toBe(NFE);
    // Two requests whose labels must be the route pattern and "unmatched", never their raw paths.
    const auth = { authorization: `Bearer ${await mintDevToken({ sub: "metrics-tenant", tier: "standard" })}` };
    expect((await fetch(`${stack.edgeUrl}/v1/jobs/job_doesnotexist1`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${stack.edgeUrl}/no/such/path/42`)).status).toBe(404);
    seen.worker = await scrape(`${stack.workers[0]!.url}/metrics`, TOKEN);
    seen.edge = await scrape(`${stack.edgeUrl}/metrics`, TOKEN);
  }, 240_000);
  afterAll(async () => {
    await seen.stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return seen;
}

describe("worker and Node edge /metrics", () => {
  const seen = withWorkload("node");

  it("the worker counts the workload's NFEs, rows, steps, previews and jobs", () => {
    const w = seen.worker!;
    expect(w.type("gg_worker_nfe_total")).toBe("COUNTER");
    expect(w.value("gg_worker_nfe_total", { policy: "cfg" })).toBe(NFE);
    expect(w.type("gg_worker_unet_batch_rows")).toBe("HISTOGRAM");
    const rows = w.histogram("gg_worker_unet_batch_rows");
    expect(rows.sum).toBe(NFE); // every NFE is one UNet row
    // Between every run holding all 3 jobs' 2 rows and every run holding one job's 2.
    expect(rows.count).toBeGreaterThanOrEqual(NFE / (JOBS * 2));
    expect(rows.count).toBeLessThanOrEqual(NFE / 2);
    const ort = w.histogram("gg_worker_unet_ort_seconds");
    expect(ort.count).toBe(rows.count);
    expect(ort.sum).toBeGreaterThan(0);
    expect(w.histogram("gg_worker_step_seconds").count).toBe(JOBS * STEPS);
    expect(w.histogram("gg_worker_time_to_first_preview_seconds").count).toBe(JOBS);
    expect(w.value("gg_worker_jobs_total", { outcome: "completed" })).toBe(JOBS);
    expect(w.value("gg_worker_queue_depth")).toBe(0);
    expect(w.value("gg_worker_running_jobs")).toBe(0);
    expect(w.value("gg_worker_capacity")).toBe(8);
    expect(w.value("gg_worker_draining")).toBe(0);
  });

  it("the edge counts requests by route pattern, settled NFEs by tier, reservations and the pool", () => {
    const e = seen.edge!;
    const generations = { route: "/v1/images/generations", method: "POST" };
    expect(e.value("gg_edge_requests_total", { ...generations, status: "200" })).toBe(JOBS);
    expect(e.type("gg_edge_request_duration_seconds")).toBe("HISTOGRAM"); // its count is the counter's, by route
    expect(e.value("gg_edge_requests_total", { route: "/v1/jobs/:id", method: "GET", status: "404" })).toBe(1);
    expect(e.value("gg_edge_requests_total", { route: "unmatched", method: "GET", status: "404" })).toBe(1);
    const routes = e.samples("gg_edge_requests_total").map((s) => s.labels?.route);
    expect(routes.filter((r) => /doesnotexist|42/.test(r ?? ""))).toEqual([]);
    expect(e.value("gg_edge_nfe_settled_total", { tier: "standard" })).toBe(NFE);
    expect(e.value("gg_edge_open_reservations")).toBe(0);
    const worker = seen.stack!.workers[0]!.url;
    expect(e.value("gg_edge_worker_up", { worker })).toBe(1);
    expect(e.value("gg_edge_worker_outstanding", { worker })).toBe(0);
    expect(e.value("gg_edge_worker_draining", { worker })).toBe(0);
  });

  it("refuses a scrape without the token, on the worker and on the edge", async () => {
    for (const url of [`${seen.stack!.workers[0]!.url}/metrics`, `${seen.stack!.edgeUrl}/metrics`]) {
      expect((await fetch(url)).status, url).toBe(401);
      const wrong = await fetch(url, { headers: { authorization: `Bearer ${TOKEN.replace("0", "1")}` } });
      expect(wrong.status, url).toBe(401);
      expect(((await wrong.json()) as { error: { type: string } }).error.type).toBe("authentication_error");
    }
  });
});

describe("Deno edge /metrics", () => {
  const seen = withWorkload("deno");

  it("prom-client serves the same figures on Deno", () => {
    const e = seen.edge!;
    expect(e.value("gg_edge_requests_total", { route: "/v1/images/generations", method: "POST", status: "200" })).toBe(
      JOBS,
    );
    expect(e.value("gg_edge_nfe_settled_total", { tier: "standard" })).toBe(NFE);
    expect(e.value("gg_edge_open_reservations")).toBe(0);
    expect(e.value("gg_edge_worker_up", { worker: seen.stack!.workers[0]!.url })).toBe(1);
    expect(seen.worker!.value("gg_worker_nfe_total", { policy: "cfg" })).toBe(NFE);
  });
});
