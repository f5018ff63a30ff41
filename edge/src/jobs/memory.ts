// A bounded in-memory JobStore: finished jobs expire after a TTL, the job count is capped
// (oldest finished first), and preview payloads have a per-job and a global byte budget.
import type { JobEvent, WorkerJob } from "@guidegate/shared";
import type { Clock } from "../clock.ts";
import { isFinished } from "@guidegate/shared";
import type { JobRecord, JobStore, StoredEvent } from "./types.ts";

export interface MemoryJobStoreOptions {
  clock: Clock;
  ttlMs: number;
  maxJobs?: number;
  maxPreviewBytesPerJob?: number;
  maxPreviewBytesTotal?: number;
}

interface Entry {
  rec: JobRecord;
  spec: WorkerJob | null;
  log: StoredEvent[];
  next: number;
  previewBytes: number;
  waiters: Set<() => void>;
}

const previewSize = (e: JobEvent): number => (e.event === "preview" ? e.b64_png.length : 0);

export function createMemoryJobStore(options: MemoryJobStoreOptions): JobStore {
  if (!options?.clock) throw new Error("createMemoryJobStore: clock is required");
  if (!(options.ttlMs > 0)) throw new Error("createMemoryJobStore: ttlMs must be positive");
  const { clock, ttlMs } = options;
  const maxJobs = options.maxJobs ?? 10_000;
  const perJob = options.maxPreviewBytesPerJob ?? 4 * 1024 * 1024;
  const total = options.maxPreviewBytesTotal ?? 64 * 1024 * 1024;
  const jobs = new Map<string, Entry>(); // insertion order = age
  let totalPreview = 0;

  const wake = (e: Entry) => {
    for (const w of e.waiters) w();
    e.waiters.clear();
  };
  const drop = (id: string, e: Entry) => {
    totalPreview -= e.previewBytes;
    jobs.delete(id);
    wake(e);
  };

  function sweep(): void {
    const now = clock.now();
    for (const [id, e] of jobs) if (e.rec.finished_at !== null && now - e.rec.finished_at > ttlMs) drop(id, e);
    if (jobs.size < maxJobs) return;
    for (const [id, e] of jobs) {
      if (jobs.size < maxJobs) break;
      if (isFinished(e.rec.status)) drop(id, e);
    }
  }

  /** Drop the oldest previews of `e` until it fits `limit` bytes. */
  function trimPreviews(e: Entry, limit: number): void {
    for (let i = 0; i < e.log.length && e.previewBytes > limit; ) {
      const size = previewSize(e.log[i]!.event);
      if (size > 0) {
        e.log.splice(i, 1);
        e.previewBytes -= size;
        totalPreview -= size;
      } else i++;
    }
  }

  function trimGlobal(): void {
    for (const e of jobs.values()) {
      if (totalPreview <= total) return;
      trimPreviews(e, Math.max(0, e.previewBytes - (totalPreview - total)));
    }
  }

  return {
    async create(rec, spec) {
      sweep();
      if (jobs.size >= maxJobs) throw new Error("job store is full");
      jobs.set(rec.id, { rec: { ...rec }, spec: spec ?? null, log: [], next: 1, previewBytes: 0, waiters: new Set() });
    },
    async get(id) {
      const e = jobs.get(id);
      if (!e) return null;
      if (e.rec.finished_at !== null && clock.now() - e.rec.finished_at > ttlMs) {
        drop(id, e);
        return null;
      }
      return { ...e.rec };
    },
    async update(id, patch) {
      const e = jobs.get(id);
      if (e) Object.assign(e.rec, patch);
    },
    async append(id, event) {
      const e = jobs.get(id);
      if (!e) return 0;
      const seq = e.next++;
      e.log.push({ seq, event });
      const size = previewSize(event);
      if (size > 0) {
        e.previewBytes += size;
        totalPreview += size;
        // Keep the newest previews; the terminal event and progress are never dropped.
        if (e.previewBytes > perJob) trimPreviews(e, perJob);
        if (totalPreview > total) trimGlobal();
      }
      wake(e);
      return seq;
    },
    async events(id, after) {
      const e = jobs.get(id);
      if (!e) return [];
      let lo = 0;
      while (lo < e.log.length && e.log[lo]!.seq <= after) lo++;
      return e.log.slice(lo);
    },
    async unfinished() {
      return [...jobs.values()]
        .filter((e) => e.rec.finished_at === null)
        .map((e) => ({ rec: { ...e.rec }, spec: e.spec }));
    },
    wait(id, after, timeoutMs, signal) {
      const e = jobs.get(id);
      if (!e || e.next - 1 > after || signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          e.waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener("abort", done, { once: true });
        e.waiters.add(done);
      });
    },
  };
}
