// Every worker busy: jobs posted beyond the workers' room wait at the edge (queued, with a position) and are
// dispatched as room frees. None may be lost and none billed twice: each tenant's ledger must hold exactly
// its job's NFEs, and the workers must have run exactly their sum.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "@guidegate/stack";
import { openEvents, postJob, type Tenant, tenant } from "./client.ts";
import { readEvents } from "./events.ts";
import { idle, nfeTotal, usage } from "./probes.ts";
import { stopStack } from "./restart.ts";

export interface QueueingResult {
  jobs: number;
  /** Jobs that waited in the edge's line for a worker with room (a `queued` event with a position). */
  queuedAtEdge: number;
  maxPosition: number;
  completed: number;
  /** Sum of the jobs' own NFEs (their completed events), of the ledger's settles, and of what workers ran. */
  jobNfe: number;
  billedNfe: number;
  workerNfe: number;
  reservedAfter: number;
  durationMs: number;
}

/** One worker with one slot and no queue of its own, so everything beyond the first job waits at the edge. */
export async function queueingScenario(jobs = 8, steps = 10): Promise<QueueingResult> {
  const dir = mkdtempSync(join(tmpdir(), "gg-bench-queue-"));
  const stack = await startStack({ dataDir: dir, workers: 1, workerEnv: { GG_CAPACITY: "1", GG_MAX_QUEUE: "0" } });
  try {
    const workers = stack.workers.map((w) => w.url);
    const before = await nfeTotal(workers);
    const t0 = Date.now();
    // One tenant per job: their own queues stay empty, so the line the jobs wait in is the capacity line.
    const tenants: Tenant[] = await Promise.all(Array.from({ length: jobs }, () => tenant("queueing")));
    const body = { prompt: "a small blue circle on a white background", steps, guidance: { policy: "cfg", scale: 2 } };
    const ids = await Promise.all(tenants.map((t) => postJob(stack.edgeUrl, t, body)));
    const logs = await Promise.all(
      ids.map(async (id, i) => readEvents(await openEvents(stack.edgeUrl, tenants[i]!, id))),
    );
    const durationMs = Date.now() - t0;
    await idle(workers);
    const positions = logs.map((l) =>
      Math.max(
        0,
        ...l
          .filter((e) => e.event === "queued" && typeof e.data.position === "number")
          .map((e) => Number(e.data.position)),
      ),
    );
    const ends = logs.map((l) => l.at(-1));
    const jobNfe = ends.reduce(
      (s, e) => s + (e?.event === "completed" ? Number((e.data.usage as { nfe: number }).nfe) : 0),
      0,
    );
    const usages = await Promise.all(tenants.map((t) => usage(stack.edgeUrl, t.token)));
    return {
      jobs,
      queuedAtEdge: positions.filter((p) => p > 0).length,
      maxPosition: Math.max(...positions),
      completed: ends.filter((e) => e?.event === "completed").length,
      jobNfe,
      billedNfe: usages.reduce((s, u) => s + u.used_nfe, 0),
      workerNfe: (await nfeTotal(workers)) - before,
      reservedAfter: usages.reduce((s, u) => s + u.reserved_nfe, 0),
      durationMs,
    };
  } finally {
    await stopStack(stack);
    rmSync(dir, { recursive: true, force: true });
  }
}
