// The behaviour every JobStore (edge/src/jobs/types.ts) must share: records, ordered event logs with
// Last-Event-ID reads, waiting for the next event, bounded retention, the unfinished jobs a restarted edge
// resumes, and (where the store has one) persistence across a reopen. Each implementation's test file calls
// `jobStoreConformance` with a factory; nothing here knows which store it is testing.
import type { JobEvent, WorkerJob } from "@guidegate/shared";
import { afterEach, describe, expect, it } from "vitest";
import type { Clock } from "../../edge/src/clock.ts";
import type { JobRecord, JobStore } from "../../edge/src/jobs/types.ts";

export interface JobStoreLimits {
  clock: Clock;
  ttlMs: number;
  maxJobs: number;
  maxPreviewBytesPerJob: number;
}

export interface JobStoreUnderTest {
  store: JobStore;
  /** The same store opened again on what it persisted (a restarted process); absent for in-memory stores. */
  reopen?(): Promise<JobStore>;
  close?(): Promise<void> | void;
}

export type JobStoreFactory = (limits: JobStoreLimits) => Promise<JobStoreUnderTest>;

const T0 = Date.UTC(2026, 4, 1);
const TTL_MS = 60_000;
const MAX_JOBS = 5;
const PREVIEW_BUDGET = 100;

let n = 0;
const jobId = () => `job_conformance_${String(++n).padStart(8, "0")}`;

export function jobRecord(id: string, over: Partial<JobRecord> = {}): JobRecord {
  return {
    id,
    tenant: "alice",
    status: "queued",
    created_at: T0,
    finished_at: null,
    model: "shapes-32",
    size: "32x32",
    n: 1,
    steps: 4,
    policy: "cfg",
    seed: 7,
    max_nfe: 8,
    price_micro_usd_per_nfe: 50,
    nfe: 0,
    worker: null,
    result: null,
    error: null,
    ...over,
  };
}

export const specFor = (id: string): WorkerJob => ({
  job_id: id,
  tenant: "alice",
  model: "shapes-32",
  prompt: "a red circle",
  n: 1,
  width: 32,
  height: 32,
  steps: 4,
  seed: 7,
  guidance: { policy: "cfg", scale: 2, rescale: 0 },
  max_nfe: 8,
  output_format: "png",
  response_format: "url",
});

const progress = (step: number): JobEvent => ({ event: "progress", step, steps: 4, nfe: step * 2 });
const preview = (step: number, bytes: number): JobEvent => ({
  event: "preview",
  step,
  index: 0,
  b64_png: "A".repeat(bytes),
  width: 32,
  height: 32,
});
const completed: JobEvent = {
  event: "completed",
  images: [{ url: "https://s3/x.png", width: 32, height: 32 }],
  seed: 7,
  usage: { nfe: 8, cost_micro_usd: 400 },
};

export interface JobStoreTraits {
  /** Whether the store caps its job count (memory, SQLite); a database-backed one (Deno KV) is bounded by TTL. */
  capsJobCount: boolean;
  /** Whether the store outlives its process (its factory then gives reopen()); memory does not. */
  persists: boolean;
}

export function jobStoreConformance(
  name: string,
  make: JobStoreFactory,
  traits: JobStoreTraits = { capsJobCount: true, persists: true },
): void {
  describe(`JobStore conformance: ${name}`, () => {
    let now = T0;
    const clock: Clock = { now: () => now };
    let open: JobStoreUnderTest[] = [];
    const fresh = async (limits: Partial<JobStoreLimits> = {}) => {
      now = T0;
      const s = await make({
        clock,
        ttlMs: TTL_MS,
        maxJobs: MAX_JOBS,
        maxPreviewBytesPerJob: PREVIEW_BUDGET,
        ...limits,
      });
      open.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of open) await s.close?.();
      open = [];
    });

    it("creates, reads and patches a record; an unknown id reads as null and ignores writes", async () => {
      const { store } = await fresh();
      const id = jobId();
      await store.create(jobRecord(id));
      expect(await store.get(id)).toEqual(jobRecord(id));
      await store.update(id, { status: "running", worker: "http://w1", worker_seq: 3, position: null });
      expect(await store.get(id)).toEqual(
        jobRecord(id, { status: "running", worker: "http://w1", worker_seq: 3, position: null }),
      );
      expect(await store.get("job_conformance_missing")).toBeNull();
      await store.update("job_conformance_missing", { status: "failed" });
      expect(await store.append("job_conformance_missing", progress(1))).toBe(0);
      expect(await store.events("job_conformance_missing", 0)).toEqual([]);
    });

    it("numbers events from 1 per job and reads exactly those after a Last-Event-ID, in order", async () => {
      const { store } = await fresh();
      const [a, b] = [jobId(), jobId()];
      await store.create(jobRecord(a));
      await store.create(jobRecord(b));
      expect(await store.append(a, progress(1))).toBe(1);
      expect(await store.append(b, progress(1))).toBe(1);
      expect(await store.append(a, progress(2))).toBe(2);
      expect(await store.append(a, completed)).toBe(3);
      expect((await store.events(a, 0)).map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(await store.events(a, 1)).toEqual([
        { seq: 2, event: progress(2) },
        { seq: 3, event: completed },
      ]);
      expect(await store.events(a, 3)).toEqual([]);
      expect(await store.events(b, 0)).toEqual([{ seq: 1, event: progress(1) }]);
    });

    it("wait: at once when a later event exists, on the next append, on timeout, on abort", async () => {
      const { store } = await fresh();
      const id = jobId();
      await store.create(jobRecord(id));
      await store.append(id, progress(1));
      await store.wait(id, 0, 10_000); // already there
      const woken = store.wait(id, 1, 10_000).then(() => "woken");
      await store.append(id, progress(2));
      expect(await Promise.race([woken, new Promise((r) => setTimeout(() => r("stuck"), 2_000))])).toBe("woken");
      const t = Date.now();
      await store.wait(id, 2, 50);
      expect(Date.now() - t).toBeGreaterThanOrEqual(40);
      const ctrl = new AbortController();
      const aborted = store.wait(id, 2, 10_000, ctrl.signal).then(() => "aborted");
      ctrl.abort();
      expect(await Promise.race([aborted, new Promise((r) => setTimeout(() => r("stuck"), 2_000))])).toBe("aborted");
      await store.wait("job_conformance_missing", 0, 10_000); // no such job: nothing to wait for
    });

    it("expires finished jobs after the TTL, never unfinished ones", async () => {
      const { store } = await fresh();
      const [done, running] = [jobId(), jobId()];
      await store.create(jobRecord(done));
      await store.create(jobRecord(running, { status: "running" }));
      await store.append(done, completed);
      await store.update(done, { status: "completed", finished_at: T0 });
      now = T0 + TTL_MS;
      expect(await store.get(done)).not.toBeNull();
      now = T0 + TTL_MS + 1;
      expect(await store.get(done)).toBeNull();
      expect(await store.events(done, 0)).toEqual([]);
      now = T0 + 100 * TTL_MS;
      expect((await store.get(running))?.status).toBe("running");
    });

    if (!traits.capsJobCount)
      it("has no job cap: past maxJobs every job is kept, finished or not (the TTL bounds the store)", async () => {
        const { store } = await fresh();
        const ids = Array.from({ length: MAX_JOBS + 2 }, jobId);
        for (const id of ids) await store.create(jobRecord(id));
        await store.update(ids[0]!, { status: "completed", finished_at: T0 });
        for (const id of ids) expect(await store.get(id)).not.toBeNull();
      });
    else
      it("caps the job count by dropping the oldest finished jobs, and refuses when only unfinished ones are left", async () => {
        const { store } = await fresh();
        const ids = Array.from({ length: MAX_JOBS }, jobId);
        for (const id of ids) await store.create(jobRecord(id));
        await store.update(ids[1]!, { status: "completed", finished_at: T0 });
        await store.update(ids[3]!, { status: "failed", finished_at: T0 });
        const extra = [jobId(), jobId()];
        await store.create(jobRecord(extra[0]!));
        expect(await store.get(ids[1]!)).toBeNull(); // the oldest finished went first
        expect(await store.get(ids[3]!)).not.toBeNull();
        await store.create(jobRecord(extra[1]!));
        expect(await store.get(ids[3]!)).toBeNull();
        for (const id of [ids[0]!, ids[2]!, ids[4]!, ...extra]) expect(await store.get(id)).not.toBeNull();
        await expect(store.create(jobRecord(jobId()))).rejects.toThrow();
      });

    it("keeps each job's newest previews within its budget; progress and the terminal event are never dropped", async () => {
      const { store } = await fresh();
      const id = jobId();
      await store.create(jobRecord(id));
      await store.append(id, progress(1));
      await store.append(id, preview(1, 40));
      await store.append(id, preview(2, 40));
      await store.append(id, progress(2));
      await store.append(id, preview(3, 40)); // 120 > 100: the oldest preview goes
      await store.append(id, completed);
      const log = await store.events(id, 0);
      expect(log.map((e) => `${e.seq}:${e.event.event}`)).toEqual([
        "1:progress",
        "3:preview",
        "4:progress",
        "5:preview",
        "6:completed",
      ]);
    });

    it("lists unfinished jobs oldest first with the spec they were created with", async () => {
      const { store } = await fresh();
      const [a, b, c] = [jobId(), jobId(), jobId()];
      await store.create(jobRecord(a, { status: "running", worker: "http://w1" }), specFor(a));
      await store.create(jobRecord(b), specFor(b));
      await store.create(jobRecord(c)); // no spec given
      await store.update(b, { status: "completed", finished_at: T0 });
      await store.update(a, { worker_seq: 5 });
      expect(await store.unfinished()).toEqual([
        { rec: jobRecord(a, { status: "running", worker: "http://w1", worker_seq: 5 }), spec: specFor(a) },
        { rec: jobRecord(c), spec: null },
      ]);
    });

    // Registered only for stores that persist: an in-memory store has nothing to reopen, so nothing to check.
    if (traits.persists)
      it("reopened, has every record, log, spec and sequence it had", async () => {
        const s = await fresh();
        if (!s.reopen) throw new Error("a store that persists must give reopen()");
        const id = jobId();
        await s.store.create(jobRecord(id, { status: "running", worker: "http://w1" }), specFor(id));
        await s.store.append(id, progress(1));
        await s.store.append(id, progress(2));
        await s.store.update(id, { nfe: 4, worker_seq: 7 });
        const again = await s.reopen();
        expect(await again.get(id)).toEqual(
          jobRecord(id, { status: "running", worker: "http://w1", nfe: 4, worker_seq: 7 }),
        );
        expect(await again.unfinished()).toEqual([
          { rec: jobRecord(id, { status: "running", worker: "http://w1", nfe: 4, worker_seq: 7 }), spec: specFor(id) },
        ]);
        expect(await again.append(id, completed)).toBe(3);
        expect((await again.events(id, 1)).map((e) => e.event)).toEqual([progress(2), completed]);
      });
  });
}
