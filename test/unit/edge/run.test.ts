// JobRun's billing state machine against a scripted WorkerPool (interface level, no HTTP):
// settle/void exactly once, failover billed once, cancel settles what was spent.
import { type JobEvent, parseGuidance, type WorkerJob } from "@guidegate/shared";
import { describe, expect, it, vi } from "vitest";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { type Dispatch, NoCapacityError, type WorkerPool } from "../../../edge/src/pool/types.ts";
import { JobRun } from "../../../edge/src/relay/run.ts";
import { at } from "../ledger/terms.ts";

const NOW = Date.UTC(2026, 0, 10);

function job(): WorkerJob {
  return {
    job_id: newJobId("alice"),
    tenant: "alice",
    model: "shapes-32",
    prompt: "x",
    n: 1,
    width: 32,
    height: 32,
    steps: 10,
    seed: 7,
    guidance: parseGuidance({ policy: "cfg" }),
    max_nfe: 20,
    output_format: "png",
    response_format: "url",
  };
}

/** A dispatch whose events are pushed by the test; `fail()` breaks the stream like a dying worker. */
function scripted(worker: string) {
  const queue: Array<JobEvent | Error | null> = [];
  let wake: (() => void) | null = null;
  let closed = false;
  const push = (x: JobEvent | Error | null) => {
    queue.push(x);
    wake?.();
  };
  const d: Dispatch & { push: typeof push; closed: () => boolean } = {
    worker,
    push,
    closed: () => closed,
    close() {
      closed = true;
      push(null);
    },
    events: (async function* () {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        const x = queue.shift()!;
        if (x === null) return;
        if (x instanceof Error) throw x;
        yield x;
      }
    })(),
  };
  return d;
}

function pool(dispatches: Array<ReturnType<typeof scripted> | Error>, cancelOk = true) {
  const calls: Array<{ exclude: string[] }> = [];
  const cancels: string[] = [];
  const p: WorkerPool = {
    async dispatch(_job, opts) {
      calls.push({ exclude: [...(opts?.exclude ?? [])] });
      const next = dispatches.shift();
      if (!next) throw new NoCapacityError(1);
      if (next instanceof Error) throw next;
      return next;
    },
    async cancel(worker, id) {
      cancels.push(`${worker}:${id}`);
      return cancelOk;
    },
    status: () => [],
    models: async () => [],
  };
  return { p, calls, cancels };
}

async function setup(
  dispatches: Array<ReturnType<typeof scripted> | Error>,
  opts: { cancelOk?: boolean; maxAttempts?: number } = {},
) {
  const ledger = createMemoryLedger();
  const settle = vi.spyOn(ledger, "settle");
  const voidSpy = vi.spyOn(ledger, "void");
  const j = job();
  expect((await ledger.reserve("alice", j.job_id, j.max_nfe, 1000, NOW, at(50))).ok).toBe(true);
  const { p, calls, cancels } = pool(dispatches, opts.cancelOk ?? true);
  const config = { maxAttempts: opts.maxAttempts ?? 3, cancelGraceMs: 50 };
  const deps = { pool: p, ledger, clock: { now: () => NOW }, config };
  const run = new JobRun(deps, j, 50);
  const seen: JobEvent[] = [];
  return { ledger, settle, voidSpy, j, run, calls, cancels, seen, sink: (e: JobEvent) => void seen.push(e) };
}

const completed = (nfe: number): JobEvent => ({
  event: "completed",
  images: [{ url: "u", key: "secret/key", width: 32, height: 32 }],
  seed: 7,
  usage: { nfe },
});

describe("JobRun", () => {
  it("settles the NFEs the worker reported, priced, once", async () => {
    const d = scripted("w1");
    const s = await setup([d]);
    await s.run.start();
    d.push({ event: "started", policy: "cfg", steps: 10, seed: 7, max_nfe: 20 });
    d.push({ event: "progress", step: 1, steps: 10, nfe: 2 });
    d.push(completed(20));
    const out = await s.run.run(s.sink);
    expect(out.kind).toBe("completed");
    expect(s.seen.map((e) => e.event)).toEqual(["started", "progress", "completed"]);
    const last = s.seen.at(-1) as Extract<JobEvent, { event: "completed" }>;
    expect(last.usage).toEqual({ nfe: 20, cost_micro_usd: 1000 });
    expect(last.images[0]).not.toHaveProperty("key");
    expect(s.settle).toHaveBeenCalledTimes(1);
    expect(s.voidSpy).not.toHaveBeenCalled();
    expect((await s.ledger.get(s.j.job_id))?.spent).toBe(20);
  });

  it("customers never see which worker ran the job: started loses its worker id", async () => {
    const d = scripted("http://10.0.0.7:8790");
    const s = await setup([d]);
    await s.run.start();
    d.push({ event: "started", policy: "cfg", steps: 10, seed: 7, max_nfe: 20, n: 1, worker: "gpu-worker-abc12" });
    d.push(completed(20));
    await s.run.run(s.sink);
    expect(s.seen[0]).toEqual({ event: "started", policy: "cfg", steps: 10, seed: 7, max_nfe: 20, n: 1 });
  });

  it("voids on failed (no image, nothing billed)", async () => {
    const d = scripted("w1");
    const s = await setup([d]);
    await s.run.start();
    d.push({ event: "progress", step: 3, steps: 10, nfe: 6 });
    d.push({
      event: "failed",
      error: { type: "server_error", code: "oom", message: "out of memory", param: null },
      usage: { nfe: 6 },
    });
    const out = await s.run.run(s.sink);
    expect(out.kind).toBe("failed");
    expect(s.voidSpy).toHaveBeenCalledTimes(1);
    expect(s.settle).not.toHaveBeenCalled();
    expect((await s.ledger.get(s.j.job_id))?.state).toBe("voided");
  });

  it("fails over to another worker with the same job and bills only the attempt that completed", async () => {
    const d1 = scripted("w1");
    const d2 = scripted("w2");
    const s = await setup([d1, d2]);
    await s.run.start();
    d1.push({ event: "progress", step: 5, steps: 10, nfe: 10 });
    d1.push(new Error("socket hang up"));
    d2.push({ event: "progress", step: 1, steps: 10, nfe: 2 });
    d2.push(completed(20));
    const out = await s.run.run(s.sink);
    expect(out.kind).toBe("completed");
    expect(s.calls[1]!.exclude).toEqual(["w1"]);
    expect(s.seen.map((e) => e.event)).toEqual(["progress", "retrying", "progress", "completed"]);
    expect(s.settle).toHaveBeenCalledTimes(1);
    expect(s.settle).toHaveBeenCalledWith(s.j.job_id, 20, NOW);
  });

  it("gives up after maxAttempts and voids", async () => {
    const d1 = scripted("w1");
    const d2 = scripted("w2");
    const s = await setup([d1, d2], { maxAttempts: 2 });
    await s.run.start();
    d1.push(null); // stream ends without a terminal event
    d2.push(new Error("reset"));
    const out = await s.run.run(s.sink);
    expect(out).toMatchObject({ kind: "failed", error: { type: "server_error", code: "worker_failed" } });
    expect(s.voidSpy).toHaveBeenCalledTimes(1);
  });

  it("fails with overloaded_error (voided) when no worker is left to retry on", async () => {
    const d1 = scripted("w1");
    const s = await setup([d1]);
    await s.run.start();
    d1.push(new Error("gone"));
    const out = await s.run.run(s.sink);
    expect(out).toMatchObject({ kind: "failed", error: { type: "overloaded_error" } });
    expect((await s.ledger.get(s.j.job_id))?.state).toBe("voided");
  });

  it("cancel asks the worker and settles what its cancelled event reports", async () => {
    const d = scripted("w1");
    const s = await setup([d]);
    await s.run.start();
    d.push({ event: "progress", step: 2, steps: 10, nfe: 4 });
    const running = s.run.run(s.sink);
    await new Promise((r) => setTimeout(r, 5));
    s.run.cancel();
    s.run.cancel(); // idempotent
    await new Promise((r) => setTimeout(r, 5));
    expect(s.cancels).toEqual([`w1:${s.j.job_id}`]);
    d.push({ event: "cancelled", usage: { nfe: 6 } });
    const out = await running;
    expect(out).toEqual({ kind: "cancelled", usage: { nfe: 6, cost_micro_usd: 300 } });
    expect(s.settle).toHaveBeenCalledWith(s.j.job_id, 6, NOW);
  });

  it("cancel on an unresponsive worker cuts the stream and settles the last progress", async () => {
    const d = scripted("w1");
    const s = await setup([d], { cancelOk: false });
    await s.run.start();
    d.push({ event: "progress", step: 4, steps: 10, nfe: 8 });
    const running = s.run.run(s.sink);
    await new Promise((r) => setTimeout(r, 5));
    s.run.cancel();
    const out = await running;
    expect(d.closed()).toBe(true);
    expect(out).toEqual({ kind: "cancelled", usage: { nfe: 8, cost_micro_usd: 400 } });
    expect(s.settle).toHaveBeenCalledTimes(1);
  });

  it("start() voids the reservation when no worker can take the job", async () => {
    const s = await setup([new NoCapacityError(2)]);
    await expect(s.run.start()).rejects.toBeInstanceOf(NoCapacityError);
    expect((await s.ledger.get(s.j.job_id))?.state).toBe("voided");
  });

  it("clamps a worker that over-reports to the reservation", async () => {
    const d = scripted("w1");
    const s = await setup([d]);
    await s.run.start();
    d.push(completed(999));
    const out = await s.run.run(s.sink);
    expect(out.kind === "completed" && out.event.usage).toEqual({ nfe: 20, cost_micro_usd: 1000 });
  });
});
