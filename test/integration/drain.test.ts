// Graceful drain with real processes: SIGTERM a worker mid-job. With room in its grace the job completes
// and a new one goes to the other worker; with none it is cancelled at the deadline and billed what it ran.
// Either way the worker exits 0 and the ledger bills each NFE once.
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type Service, type Stack, startStack } from "@guidegate/stack";
import { internalHealthToken, internalToken } from "../support/internal-token.ts";
import { scrape } from "../support/prometheus.ts";
import { readSse, type SseEvent } from "../support/sse.ts";

/** The worker's "drained" log line (JSON, LogTape's layout): what it finished, cancelled and abandoned. */
function drained(output: string[]): Record<string, unknown> | undefined {
  for (const line of output.join("").split("\n")) {
    if (!line.startsWith("{")) continue;
    const rec = JSON.parse(line) as { message?: string; properties?: Record<string, unknown> };
    if (rec.message === "drained") return rec.properties;
  }
  return undefined;
}

const METRICS_TOKEN = "metrics-token-for-drain-tests-0123456789";
// CFG: two NFEs per image and step. The short job is long enough to be caught mid-run on an idle machine and fits
// its 120 s grace on a loaded one; the long one cannot fit 200 ms anywhere.
const SHORT = { steps: 100, n: 2, nfe: 100 * 2 * 2 };
const LONG = { steps: 150, n: 4, nfe: 150 * 4 * 2 }; // pro's max_steps and a larger n

const tenantHeaders = async (tenant: string) => ({
  authorization: `Bearer ${await mintDevToken({ sub: tenant, tier: "pro" })}`,
  "content-type": "application/json",
});

const request = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    prompt: "a large red circle on a blue background",
    guidance: { policy: "cfg", scale: 3 },
    ...over,
  });

/** An async job (POST /v1/jobs) and its event stream; `running` resolves at its first progress event. */
async function streamed(edgeUrl: string, tenant: string, size: { steps: number; n: number }) {
  let progressed!: () => void;
  const running = new Promise<void>((resolve, reject) => {
    progressed = resolve;
    setTimeout(() => reject(new Error("the job never made progress")), 60_000).unref();
  });
  const headers = await tenantHeaders(tenant);
  const body = request({ steps: size.steps, n: size.n });
  const created = await fetch(`${edgeUrl}/v1/jobs`, { method: "POST", headers, body });
  expect(created.status).toBe(202);
  const { id } = (await created.json()) as { id: string };
  const res = await fetch(`${edgeUrl}/v1/jobs/${id}/events`, { headers });
  expect(res.status).toBe(200);
  const seen: SseEvent[] = [];
  const done = readSse(res, (e) => {
    seen.push(e);
    if (e.event === "progress") progressed();
    return undefined;
  });
  /** Steps the client had seen finish so far. */
  const stepsSeen = () => seen.filter((e) => e.event === "progress").length;
  return { running, done, stepsSeen };
}

async function health(w: Service): Promise<{ running: number; draining?: boolean }> {
  const res = await fetch(`${w.url}/internal/health`, {
    headers: { authorization: `Bearer ${await internalHealthToken()}` },
  });
  return (await res.json()) as { running: number; draining?: boolean };
}

/** The worker running something, polled from health. */
async function busyWorker(workers: Service[]): Promise<Service> {
  for (let i = 0; i < 200; i++) {
    for (const w of workers) if ((await health(w)).running > 0) return w;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("no worker ever ran the job");
}

const exited = (proc: ChildProcess) =>
  new Promise<number | null>((r) => (proc.exitCode !== null ? r(proc.exitCode) : proc.once("exit", (code) => r(code))));

async function usage(edgeUrl: string, tenant: string) {
  const res = await fetch(`${edgeUrl}/v1/usage`, { headers: await tenantHeaders(tenant) });
  return (await res.json()) as { used_nfe: number; reserved_nfe: number };
}

const terminal = (events: SseEvent[]) =>
  events.filter((e) => ["completed", "cancelled", "failed"].includes(e.event ?? ""));

function stackWithGrace(graceMs: number, workers: number) {
  const s: { stack?: Stack; dir?: string } = {};
  beforeAll(async () => {
    s.dir = mkdtempSync(join(tmpdir(), "gg-drain-"));
    s.stack = await startStack({
      dataDir: s.dir,
      workers,
      workerEnv: { GG_DRAIN_GRACE_MS: String(graceMs), GG_METRICS_TOKEN: METRICS_TOKEN },
    });
  }, 240_000);
  afterAll(async () => {
    await s.stack?.stop();
    rmSync(s.dir!, { recursive: true, force: true });
  });
  return s;
}

describe("SIGTERM with room in the grace period", () => {
  const s = stackWithGrace(120_000, 2);

  it("finishes the running job, routes the next one to the other worker, bills each NFE once", async () => {
    const { edgeUrl, workers } = s.stack!;
    const tenant = "drain-finishes";
    const first = await streamed(edgeUrl, tenant, SHORT);
    await first.running;
    const a = await busyWorker(workers);
    const b = workers.find((w) => w !== a)!;
    const exit = exited(a.proc);
    a.proc.kill("SIGTERM");
    expect(first.stepsSeen()).toBeLessThan(SHORT.steps); // mid-job
    for (let i = 0; i < 100 && !(await health(a)).draining; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await health(a)).draining).toBe(true);
    expect((await health(b)).draining).toBeUndefined();

    // A job sent to the draining worker itself is refused for capacity, with a time to come back...
    const jobId = `job_drain_${Date.now()}`;
    const direct = await fetch(`${a.url}/internal/jobs`, {
      method: "POST",
      headers: { authorization: `Bearer ${await internalToken(jobId)}`, "content-type": "application/json" },
      body: JSON.stringify({
        job_id: jobId,
        tenant,
        model: "shapes-32",
        prompt: "a square",
        n: 1,
        width: 32,
        height: 32,
        steps: 4,
        seed: 1,
        guidance: { policy: "none" },
        max_nfe: 4,
      }),
    });
    expect(direct.status).toBe(503);
    expect(direct.headers.get("retry-after")).toBe("2");
    expect(((await direct.json()) as { error: { code: string } }).error.code).toBe("worker_draining");

    // ...and one sent through the edge runs on the other worker.
    const second = await fetch(`${edgeUrl}/v1/images/generations`, {
      method: "POST",
      headers: await tenantHeaders(tenant),
      body: request({ steps: 10, n: 1 }),
    });
    expect(second.status).toBe(200);
    const secondNfe = ((await second.json()) as { usage: { nfe: number } }).usage.nfe;
    expect(secondNfe).toBe(20);
    const onB = await scrape(`${b.url}/metrics`, METRICS_TOKEN);
    expect(onB.value("gg_worker_nfe_total", { policy: "cfg" })).toBe(secondNfe);

    const [end] = terminal(await first.done);
    expect(end?.event).toBe("completed");
    expect((end!.data as { usage: { nfe: number } }).usage.nfe).toBe(SHORT.nfe);
    expect(await exit).toBe(0);
    expect(drained(a.output)).toMatchObject({ finished: 1, cancelled: 0, abandoned: 0 });

    const u = await usage(edgeUrl, tenant);
    expect(u.used_nfe).toBe(SHORT.nfe + secondNfe);
    expect(u.reserved_nfe).toBe(0);
  }, 180_000);
});

describe("SIGTERM with a grace period shorter than the job", () => {
  const s = stackWithGrace(200, 1);

  it("cancels the job at the deadline and bills exactly the NFEs it ran", async () => {
    const { edgeUrl, workers } = s.stack!;
    const tenant = "drain-deadline";
    const job = await streamed(edgeUrl, tenant, LONG);
    await job.running;
    const worker = workers[0]!;
    const exit = exited(worker.proc);
    worker.proc.kill("SIGTERM");
    expect(job.stepsSeen()).toBeLessThan(LONG.steps);
    const events = await job.done;
    const [end] = terminal(events);
    expect(end?.event).toBe("cancelled");
    const nfe = (end!.data as { usage: { nfe: number } }).usage.nfe;
    expect(nfe).toBeGreaterThan(0);
    expect(nfe).toBeLessThan(LONG.nfe);
    expect(nfe % (LONG.n * 2)).toBe(0); // whole steps: a cancel lands on a step boundary
    expect(await exit).toBe(0);
    expect(drained(worker.output)).toMatchObject({ finished: 0, cancelled: 1, abandoned: 0 });
    const u = await usage(edgeUrl, tenant);
    expect(u.used_nfe).toBe(nfe);
    expect(u.reserved_nfe).toBe(0);
  }, 180_000);
});
