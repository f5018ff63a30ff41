// JobStore behaviour on memory and on Deno KV (edge/src/kv/jobs.ts), and what only KV does: a reopened file (a
// restarted edge) finds jobs and their events, and a wait hears of an append made through another connection.
// jobStoreCases is written to fold into a shared JobStore conformance suite (test/unit/jobs/) when one lands.
import type { JobEvent } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { createMemoryJobStore } from "../../../edge/src/jobs/memory.ts";
import type { JobRecord, JobStore } from "../../../edge/src/jobs/types.ts";
import { createKvJobStore } from "../../../edge/src/kv/jobs.ts";
import type { Clock } from "../../../edge/src/clock.ts";
import { freshPrefix, openKvFile, useDenoKv } from "../../support/deno-kv.ts";
import { jobStoreConformance } from "../../support/job-store-conformance.ts";
import type { Kv } from "../../../edge/src/kv/kv.ts";

const NOW = Date.UTC(2026, 4, 1);
const ID = "job_0000000000000000dddddddddddddddddddddddd";

type JobStoreFactory = (clock: Clock, ttlMs: number, maxPreviewBytesPerJob?: number) => JobStore;

const record = (over: Partial<JobRecord> = {}): JobRecord => ({
  id: ID,
  tenant: "alice",
  status: "running",
  created_at: NOW,
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
  worker: "http://w1",
  result: null,
  error: null,
  ...over,
});
const progress = (step: number): JobEvent => ({ event: "progress", step, steps: 4, nfe: step * 2 });
const preview = (step: number, b64_png: string): JobEvent => ({
  event: "preview",
  step,
  index: 0,
  b64_png,
  width: 1,
  height: 1,
});
const done: JobEvent = {
  event: "completed",
  images: [{ url: "https://s3/x.png", width: 32, height: 32 }],
  seed: 7,
  usage: { nfe: 8, cost_micro_usd: 400 },
};

function jobStoreCases(name: string, make: JobStoreFactory): void {
  describe(`JobStore: ${name}`, () => {
    const clock = { now: () => NOW };

    it("creates, reads and patches a record; unknown ids read null and patch nothing", async () => {
      const jobs = make(clock, 60_000);
      await jobs.create(record());
      await jobs.update(ID, { status: "completed", finished_at: NOW, nfe: 8 });
      expect(await jobs.get(ID)).toEqual(record({ status: "completed", finished_at: NOW, nfe: 8 }));
      const got = await jobs.get(ID);
      got!.nfe = 99; // a copy
      expect((await jobs.get(ID))?.nfe).toBe(8);
      const other = "job_0000000000000000eeeeeeeeeeeeeeeeeeeeeeee";
      await jobs.update(other, { nfe: 1 });
      expect(await jobs.get(other)).toBeNull();
      expect(await jobs.append(other, progress(1))).toBe(0);
      expect(await jobs.events(other, 0)).toEqual([]);
    });

    it("numbers events from 1 and replays exactly those after a sequence number", async () => {
      const jobs = make(clock, 60_000);
      await jobs.create(record());
      const events = [progress(1), progress(2), progress(3), done];
      const seqs = [];
      for (const e of events) seqs.push(await jobs.append(ID, e));
      expect(seqs).toEqual([1, 2, 3, 4]);
      expect(await jobs.events(ID, 0)).toEqual(events.map((event, i) => ({ seq: i + 1, event })));
      expect((await jobs.events(ID, 2)).map((e) => e.seq)).toEqual([3, 4]);
      expect(await jobs.events(ID, 4)).toEqual([]);
    });

    it("keeps a preview larger than one KV value whole", async () => {
      const jobs = make(clock, 60_000);
      await jobs.create(record());
      const big = preview(1, "QUJD".repeat(50_000)); // 200 kB of base64
      await jobs.append(ID, big);
      await jobs.append(ID, done);
      expect(await jobs.events(ID, 0)).toEqual([
        { seq: 1, event: big },
        { seq: 2, event: done },
      ]);
    });

    it("keeps the newest previews within the per-job budget, never progress or the terminal event", async () => {
      const jobs = make(clock, 60_000, 10);
      await jobs.create(record());
      for (let i = 0; i < 5; i++) await jobs.append(ID, preview(i, "abcd"));
      await jobs.append(ID, progress(1));
      await jobs.append(ID, done);
      expect((await jobs.events(ID, 0)).map((e) => e.seq)).toEqual([4, 5, 6, 7]);
    });

    it("wait resolves on an append, at once when an event is already there, on timeout, on abort", async () => {
      const jobs = make(clock, 60_000);
      await jobs.create(record());
      const t0 = Date.now();
      const waiting = jobs.wait(ID, 0, 5_000);
      setTimeout(() => void jobs.append(ID, progress(1)), 20);
      await waiting;
      expect(Date.now() - t0).toBeLessThan(2_000);
      await jobs.wait(ID, 0, 5_000); // seq 1 > 0 exists
      const t1 = Date.now();
      await jobs.wait(ID, 1, 50);
      expect(Date.now() - t1).toBeGreaterThanOrEqual(45);
      const abort = new AbortController();
      const aborted = jobs.wait(ID, 1, 5_000, abort.signal);
      abort.abort();
      await aborted;
      await jobs.wait("job_0000000000000000ffffffffffffffffffffffff", 0, 5_000); // unknown: at once
    });

    it("forgets a finished job after the TTL", async () => {
      let now = NOW;
      const jobs = make({ now: () => now }, 1_000);
      await jobs.create(record());
      await jobs.append(ID, done);
      await jobs.update(ID, { status: "completed", finished_at: now });
      now += 1_000;
      expect(await jobs.get(ID)).not.toBeNull(); // not past it yet
      now += 1;
      expect(await jobs.get(ID)).toBeNull();
    });
  });
}

jobStoreCases("memory", (clock, ttlMs, maxPreviewBytesPerJob) =>
  createMemoryJobStore({ clock, ttlMs, maxPreviewBytesPerJob }),
);
const denoKv = useDenoKv();
jobStoreCases("deno-kv", (clock, ttlMs, maxPreviewBytesPerJob) =>
  createKvJobStore(denoKv.kv(), freshPrefix(), { clock, ttlMs, maxPreviewBytesPerJob }),
);

describe("deno-kv JobStore across connections", () => {
  const clock = { now: () => NOW };

  it("a reopened file has the job's record and every event; the TTL sweep on create removes expired ones", async () => {
    const prefix = freshPrefix();
    const a = await openKvFile(denoKv.path());
    const first = createKvJobStore(a, prefix, { clock, ttlMs: 60_000 });
    await first.create(record());
    for (const e of [progress(1), preview(2, "abcd"), done]) await first.append(ID, e);
    await first.update(ID, { status: "completed", finished_at: NOW, nfe: 8 });
    a.close();

    const b = await openKvFile(denoKv.path());
    try {
      const again = createKvJobStore(b, prefix, { clock, ttlMs: 60_000 });
      expect(await again.get(ID)).toMatchObject({ status: "completed", nfe: 8 });
      expect((await again.events(ID, 1)).map((e) => e.event.event)).toEqual(["preview", "completed"]);
      const later = createKvJobStore(b, prefix, { clock: { now: () => NOW + 60_001 }, ttlMs: 60_000 });
      await later.create(record({ id: "job_0000000000000000aaaaaaaaaaaaaaaaaaaaaaaa" }));
      expect(await again.events(ID, 0)).toEqual([]); // swept, events and all
      expect(await again.get(ID)).toBeNull();
    } finally {
      b.close();
    }
  });

  it("wakes a wait on an append made through another connection, within the poll interval", async () => {
    const prefix = freshPrefix();
    const other = await openKvFile(denoKv.path());
    try {
      const here = createKvJobStore(denoKv.kv(), prefix, { clock, ttlMs: 60_000, pollMs: 20 });
      const there = createKvJobStore(other, prefix, { clock, ttlMs: 60_000 });
      await here.create(record());
      const t0 = Date.now();
      const waiting = here.wait(ID, 0, 5_000);
      await new Promise((r) => setTimeout(r, 50));
      await there.append(ID, progress(1));
      await waiting;
      expect(Date.now() - t0).toBeLessThan(1_000);
    } finally {
      other.close();
    }
  });
});

// The shared JobStore suite on Deno KV; reopen is a second connection to the same file, as a restarted edge opens it.
describe("Deno KV in the shared suite", () => {
  const kvFile = useDenoKv();
  jobStoreConformance(
    "deno kv",
    async (limits) => {
      const prefix = freshPrefix();
      const opened: Kv[] = [];
      return {
        store: createKvJobStore(kvFile.kv(), prefix, limits),
        async reopen() {
          const kv = await openKvFile(kvFile.path());
          opened.push(kv);
          return createKvJobStore(kv, prefix, limits);
        },
        close() {
          for (const kv of opened) kv.close();
        },
      };
    },
    { capsJobCount: false, persists: true },
  );
});
