// resumeJobs() after a restart, branch by branch, over a memory job store and ledger. The pool is a test
// double: "the worker ended the job while no edge was attached" and "it runs but refuses the re-attach" are
// worker states the real stack cannot be steered into on cue (the restart suite covers the live paths).
import type { JobOutcome, WorkerJob } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { createMemoryJobStore } from "../../../edge/src/jobs/memory.ts";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import type { Dispatch, WorkerPool } from "../../../edge/src/pool/types.ts";
import { resumeJobs } from "../../../edge/src/relay/resume.ts";
import type { JobRun } from "../../../edge/src/relay/run.ts";
import { jobRecord, specFor } from "../../support/job-store-conformance.ts";
import { liveDispatch } from "../edge/support.ts";

const NOW = Date.UTC(2026, 4, 1);
const PRICE = 50;
const W = "http://w1";

async function setup(worker: { outcome: JobOutcome | null; attach?: Dispatch | null }) {
  const clock = { now: () => NOW };
  const jobs = createMemoryJobStore({ clock, ttlMs: 60_000 });
  const ledger = createMemoryLedger();
  const calls: string[] = [];
  const pool: WorkerPool = {
    dispatch: async () => Promise.reject(new Error("a resumed job is never dispatched afresh")),
    attach: async (_w, _job, after) => {
      calls.push(`attach:${after}`);
      return worker.attach ?? null;
    },
    outcome: async () => worker.outcome,
    cancel: async () => {
      calls.push("cancel");
      return true;
    },
    status: () => [],
    models: async () => [],
  };
  const finished: string[] = [];
  const deps = {
    jobs,
    ledger,
    pool,
    clock,
    config: { maxAttempts: 1, cancelGraceMs: 0 },
    webhooks: { jobFinished: async () => void finished.push("webhook") },
    runs: new Map<string, JobRun>(),
  };
  const id = `job_resume_${Math.random().toString(36).slice(2, 12)}`;
  const spec: WorkerJob = { ...specFor(id), detach_grace_ms: 60_000 };
  const terms = { tier: "pro", policy: "cfg", price_micro_usd_per_nfe: PRICE };
  expect((await ledger.reserve("alice", id, 8, 1_000, NOW, terms)).ok).toBe(true);
  await jobs.create(jobRecord(id, { status: "running", worker: W, worker_seq: 3, nfe: 4 }), spec);
  const ended = async () => {
    for (let i = 0; i < 100 && deps.runs.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    return { rec: await jobs.get(id), res: await ledger.get(id), log: await jobs.events(id, 0) };
  };
  return { deps, id, calls, finished, ended };
}

describe("resumeJobs", () => {
  it("re-attaches a running job from its last worker event and settles it once at the reserved price", async () => {
    const d = liveDispatch(W);
    const s = await setup({ outcome: { id: "x", status: "running", step: 2, nfe: 4, terminal: null }, attach: d });
    expect(await resumeJobs(s.deps)).toEqual({ reattached: [s.id], settledFromWorker: [], failed: [] });
    expect(s.calls).toEqual(["attach:3"]);
    d.push({ event: "progress", step: 4, steps: 4, nfe: 8 });
    d.push({ event: "completed", images: [], seed: 7, usage: { nfe: 8 } });
    const { rec, res, log } = await s.ended();
    expect(rec).toMatchObject({ status: "completed", nfe: 8 });
    expect(res).toMatchObject({ state: "settled", spent: 8, price_micro_usd_per_nfe: PRICE });
    expect(log.map((e) => e.event.event)).toEqual(["progress", "completed"]);
    expect(s.finished).toEqual(["webhook"]);
  });

  it("a job the worker cancelled while no edge was attached settles from the worker's count, never re-POSTed", async () => {
    const outcome: JobOutcome = {
      id: "x",
      status: "cancelled",
      step: 3,
      nfe: 6,
      terminal: { event: "cancelled", usage: { nfe: 6 } },
    };
    const s = await setup({ outcome });
    expect(await resumeJobs(s.deps)).toMatchObject({ settledFromWorker: [s.id] });
    expect(s.calls).toEqual([]); // a re-POST of a cancelled job would run it again
    const { rec, res } = await s.ended();
    expect(rec).toMatchObject({ status: "cancelled", nfe: 6 });
    expect(res).toMatchObject({ state: "settled", spent: 6 });
  });

  it("a worker that runs the job but will not stream it is told to stop, and the job settles from its report", async () => {
    const s = await setup({ outcome: { id: "x", status: "running", step: 2, nfe: 4, terminal: null }, attach: null });
    expect(await resumeJobs(s.deps)).toMatchObject({ settledFromWorker: [s.id] });
    expect(s.calls).toEqual(["attach:3", "cancel"]);
    const { rec, res } = await s.ended();
    expect(rec).toMatchObject({ status: "cancelled", nfe: 4 });
    expect(res).toMatchObject({ state: "settled", spent: 4 });
  });

  it("a worker that no longer knows the job: failed with edge_restarted, the reservation released", async () => {
    const s = await setup({ outcome: null });
    expect(await resumeJobs(s.deps)).toMatchObject({ failed: [s.id] });
    expect(s.calls).toEqual([]);
    const { rec, res } = await s.ended();
    expect(rec).toMatchObject({ status: "failed", error: { code: "edge_restarted" } });
    expect(res?.state).toBe("voided");
    expect(await resumeJobs(s.deps)).toEqual({ reattached: [], settledFromWorker: [], failed: [] }); // ended: once
  });
});
