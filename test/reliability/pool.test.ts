// Two real workers with one slot and one queue place each (GG_CAPACITY=1 GG_MAX_QUEUE=1): a worker
// refuses beyond its queue, the gateway spreads jobs by load and answers 503 + Retry-After when all
// are full, and a worker SIGKILLed mid-generation has its job rerun elsewhere, same seed, billed once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorEnvelopeSchema } from "@guidegate/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Service, type Stack, startStack } from "@guidegate/stack";
import { openEvents, postJob, tenant } from "../../bench/lib/reliability/client.ts";
import { readEvents } from "../../bench/lib/reliability/events.ts";
import { failoverScenario } from "../../bench/lib/reliability/failover.ts";
import { health, idle, until, usage } from "../../bench/lib/reliability/probes.ts";
import { restartWorker, stopService, stopStack } from "../../bench/lib/reliability/restart.ts";
import { internalToken } from "../support/internal-token.ts";

let dir: string;
let stack: Stack;
let restarted: Service | undefined;
const workersUp = (n: number) =>
  until(
    `${n} workers up at the gateway`,
    async () => ((await (await fetch(`${stack.edgeUrl}/healthz`)).json()) as { workers_up: number }).workers_up >= n,
  );

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-rel-pool-"));
  stack = await startStack({ dataDir: dir, workers: 2, workerEnv: { GG_CAPACITY: "1", GG_MAX_QUEUE: "1" } });
});
afterAll(async () => {
  await stopService(restarted);
  await stopStack(stack);
  rmSync(dir, { recursive: true, force: true });
});

const longJob = (id: string) => ({
  job_id: id,
  tenant: "tenant-q",
  model: "shapes-32",
  prompt: "a small green square on a white background",
  n: 1,
  width: 32,
  height: 32,
  steps: 1000,
  seed: 1,
  guidance: { policy: "none" },
  max_nfe: 1000,
});

describe("worker pool under load and faults", () => {
  it("a worker runs GG_CAPACITY jobs, queues GG_MAX_QUEUE more and refuses the next with 503 + Retry-After", async () => {
    const w = stack.workers[0]!;
    const ids = ["job_queue_a1", "job_queue_b2", "job_queue_c3"];
    const post = async (id: string) =>
      fetch(`${w.url}/internal/jobs`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await internalToken(id)}` },
        body: JSON.stringify(longJob(id)),
      });
    const first = await post(ids[0]!);
    const second = await post(ids[1]!);
    expect([first.status, second.status]).toEqual([200, 200]);
    const h = await until("one running, one queued", async () =>
      (await health(w.url)).queued === 1 ? health(w.url) : null,
    );
    expect(h).toMatchObject({ capacity: 1, running: 1, queued: 1, max_queue: 1 });
    const third = await post(ids[2]!);
    expect(third.status).toBe(503);
    expect(Number(third.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(ErrorEnvelopeSchema.parse(await third.json()).error).toMatchObject({
      type: "overloaded_error",
      code: "worker_full",
    });
    // Cancelling frees both places at once: the queued job leaves the queue without waiting for a slot.
    for (const id of ids.slice(0, 2))
      await fetch(`${w.url}/internal/jobs/${id}/cancel`, {
        method: "POST",
        headers: { authorization: `Bearer ${await internalToken(id)}` },
      });
    await Promise.all([first.body?.cancel(), second.body?.cancel()]);
    await idle([w.url], 5_000);
  });

  it("spreads jobs over workers by load; once every worker is full, a job queues and a synchronous request gets 503", async () => {
    await workersUp(2);
    const t = await tenant("pool");
    const body = {
      prompt: "a large blue circle on a white background",
      steps: 150,
      n: 4,
      guidance: { policy: "cfg", scale: 2 },
    };
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await postJob(stack.edgeUrl, t, body)); // 2 workers x (1 running + 1 queued)
    // A job waits at the edge for room, in line; it is cancelled below with the others.
    ids.push(await postJob(stack.edgeUrl, t, body));
    await until("the fifth job in line", async () => {
      const j = (await (await fetch(`${stack.edgeUrl}/v1/jobs/${ids[4]}`, { headers: t.headers })).json()) as {
        status: string;
        position?: number;
      };
      return j.status === "queued" && j.position === 1;
    });
    const full = await fetch(`${stack.edgeUrl}/v1/images/generations`, {
      method: "POST",
      headers: t.headers,
      body: JSON.stringify(body),
    });
    expect(full.status).toBe(503);
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(ErrorEnvelopeSchema.parse(await full.json()).error).toMatchObject({
      type: "overloaded_error",
      code: "no_capacity",
    });
    // One job running and one queued on each worker: routing followed load, not arrival order. (No public
    // event names the worker; the workers' own health says where the jobs are.)
    for (const w of stack.workers) expect(await health(w.url)).toMatchObject({ running: 1, queued: 1 });
    // The refused request held nothing: the reservations are the five admitted jobs'.
    expect((await usage(stack.edgeUrl, t.token)).reserved_nfe).toBe(5 * 4 * 150 * 2);
    for (const id of ids) await fetch(`${stack.edgeUrl}/v1/jobs/${id}/cancel`, { method: "POST", headers: t.headers });
    await idle(stack.workers.map((w) => w.url));
    await until("settled", async () => (await usage(stack.edgeUrl, t.token)).reserved_nfe === 0);
  });

  it("reruns a job whose worker was SIGKILLed on another worker: stream continues, same image, billed once", async () => {
    await workersUp(2);
    const r = await failoverScenario(stack, { steps: 60, killAtStep: 5 });
    expect(r.killedAtStep).toBeGreaterThanOrEqual(5);
    expect(r.retrying).toEqual([{ event: "retrying", attempt: 2, reason: "worker_lost" }]);
    expect(r.check).toEqual({ lost: 0, reordered: 0, terminals: 1, trailing: 0 }); // ids consecutive across attempts
    expect(r.terminal).toBe("completed");
    expect(r.seed).toBe(4242);
    expect(r.reportedNfe).toBe(120);
    expect(r.billedNfe).toBe(120); // the lost attempt's NFEs are ours, not the tenant's
    expect(r.reservedAfter).toBe(0);
    expect(r.survivorNfe).toBe(120);
    // Both runs were alone on a worker (capacity 1), so their UNet batches match: identical bytes.
    expect(r.image).toEqual({ identicalBytes: true, maxPixelDiff: 0 });
    expect(r.referenceNfe).toBe(120);
  });

  it("takes a restarted worker back into the pool", async () => {
    const dead = stack.workers.find((w) => w.proc.signalCode === "SIGKILL")!;
    restarted = await restartWorker(dead);
    await workersUp(2);
    const t = await tenant("rejoin");
    const body = {
      prompt: "a small red square on a black background",
      steps: 60,
      guidance: { policy: "cfg", scale: 2 },
    };
    const ids = [await postJob(stack.edgeUrl, t, body), await postJob(stack.edgeUrl, t, body)];
    for (const id of ids) await readEvents(await openEvents(stack.edgeUrl, t, id), (e) => e.event === "started");
    for (const w of stack.workers) expect((await health(w.url)).running, w.url).toBe(1); // one job each
    await idle(stack.workers.map((w) => w.url));
  });
});
