// Node-only: the JobStore in a SQLite file (better-sqlite3), beside the ledger's, so job records, their event
// logs and what re-attaching needs outlive an edge restart. Bounded like memory.ts: finished jobs expire after
// the TTL, the job count is capped (oldest finished first), and each job keeps its newest previews within a
// byte budget. Never import this from the Workers or Deno entries (native addon).
import type { JobEvent, WorkerJob } from "@guidegate/shared";
import type { Clock } from "../clock.ts";
import { openSqlite } from "../ledger/sqlite.ts";
import { backgroundCheckpoints } from "../ledger/sqlite-durability.ts";
import type { JobRecord, JobStore, StoredEvent, UnfinishedJob } from "./types.ts";

export interface SqliteJobStoreOptions {
  clock: Clock;
  ttlMs: number;
  maxJobs?: number;
  maxPreviewBytesPerJob?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  finished_at INTEGER,
  next_seq INTEGER NOT NULL DEFAULT 1,
  preview_bytes INTEGER NOT NULL DEFAULT 0,
  rec TEXT NOT NULL,
  spec TEXT
);
CREATE INDEX IF NOT EXISTS jobs_finished ON jobs (finished_at);
CREATE TABLE IF NOT EXISTS job_events (
  job_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  preview_bytes INTEGER NOT NULL,
  event TEXT NOT NULL,
  PRIMARY KEY (job_id, seq)
) WITHOUT ROWID;`;

const previewSize = (e: JobEvent): number => (e.event === "preview" ? e.b64_png.length : 0);

interface JobRow {
  rec: string;
  spec: string | null;
  next_seq: number;
  preview_bytes: number;
}

/** In-process waiters per job: this edge is the one appending, so a wake-up needs no polling. */
function waiterSet() {
  const byJob = new Map<string, Set<() => void>>();
  return {
    wake(id: string): void {
      const set = byJob.get(id);
      if (!set) return;
      byJob.delete(id);
      for (const w of set) w();
    },
    wait(id: string, timeoutMs: number, signal?: AbortSignal): Promise<void> {
      return new Promise<void>((resolve) => {
        const set = byJob.get(id) ?? new Set();
        byJob.set(id, set);
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          set.delete(done);
          if (set.size === 0 && byJob.get(id) === set) byJob.delete(id);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener("abort", done, { once: true });
        set.add(done);
      });
    },
  };
}

export function createSqliteJobStore(path: string, options: SqliteJobStoreOptions): JobStore & { close(): void } {
  if (!options?.clock) throw new Error("createSqliteJobStore: clock is required");
  if (!(options.ttlMs > 0)) throw new Error("createSqliteJobStore: ttlMs must be positive");
  const { clock, ttlMs } = options;
  const maxJobs = options.maxJobs ?? 10_000;
  const perJob = options.maxPreviewBytesPerJob ?? 4 * 1024 * 1024;
  // NORMAL: a write survives the process dying, which is what a restart needs; a power cut may take the last
  // events back, never money (the ledger syncs its settles itself).
  const db = openSqlite(path, "NORMAL");
  db.exec(SCHEMA);
  const checkpoints = backgroundCheckpoints(db);
  const waiters = waiterSet();
  const q = {
    insert: db.prepare("INSERT INTO jobs (id, finished_at, rec, spec) VALUES (?, ?, ?, ?)"),
    row: db.prepare<[string], JobRow>("SELECT rec, spec, next_seq, preview_bytes FROM jobs WHERE id = ?"),
    setRec: db.prepare("UPDATE jobs SET rec = ?, finished_at = ? WHERE id = ?"),
    count: db.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM jobs"),
    expired: db.prepare<[number], { id: string }>(
      "SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?",
    ),
    oldestFinished: db.prepare<[number], { id: string }>(
      "SELECT id FROM jobs WHERE finished_at IS NOT NULL ORDER BY rowid LIMIT ?",
    ),
    dropJob: db.prepare("DELETE FROM jobs WHERE id = ?"),
    dropEvents: db.prepare("DELETE FROM job_events WHERE job_id = ?"),
    addEvent: db.prepare("INSERT INTO job_events (job_id, seq, preview_bytes, event) VALUES (?, ?, ?, ?)"),
    bump: db.prepare("UPDATE jobs SET next_seq = next_seq + 1, preview_bytes = preview_bytes + ? WHERE id = ?"),
    previews: db.prepare<[string], { seq: number; preview_bytes: number }>(
      "SELECT seq, preview_bytes FROM job_events WHERE job_id = ? AND preview_bytes > 0 ORDER BY seq",
    ),
    dropEvent: db.prepare("DELETE FROM job_events WHERE job_id = ? AND seq = ?"),
    lessPreview: db.prepare("UPDATE jobs SET preview_bytes = preview_bytes - ? WHERE id = ?"),
    events: db.prepare<[string, number], { seq: number; event: string }>(
      "SELECT seq, event FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq",
    ),
    unfinished: db.prepare<[], { rec: string; spec: string | null }>(
      "SELECT rec, spec FROM jobs WHERE finished_at IS NULL ORDER BY rowid",
    ),
  };
  const wrote = () => checkpoints.wrote();

  const drop = db.transaction((id: string) => {
    q.dropEvents.run(id);
    q.dropJob.run(id);
  });
  const dropAll = (ids: { id: string }[]) => {
    for (const { id } of ids) {
      drop(id);
      waiters.wake(id);
    }
  };

  function sweep(): void {
    dropAll(q.expired.all(clock.now() - ttlMs));
    const n = q.count.get()!.n;
    if (n >= maxJobs) dropAll(q.oldestFinished.all(n - maxJobs + 1));
  }

  /** A row that exists and has not expired. */
  function live(id: string): JobRow | null {
    const row = q.row.get(id);
    if (!row) return null;
    const rec = JSON.parse(row.rec) as JobRecord;
    if (rec.finished_at !== null && clock.now() - rec.finished_at > ttlMs) {
      dropAll([{ id }]);
      return null;
    }
    return row;
  }

  /** Drop the job's oldest previews until it fits the budget; progress and the terminal event stay. */
  function trimPreviews(id: string, bytes: number): void {
    for (const p of q.previews.all(id)) {
      if (bytes <= perJob) return;
      q.dropEvent.run(id, p.seq);
      q.lessPreview.run(p.preview_bytes, id);
      bytes -= p.preview_bytes;
    }
  }

  const append = db.transaction((id: string, event: JobEvent): number => {
    const row = q.row.get(id);
    if (!row) return 0;
    const seq = row.next_seq;
    const size = previewSize(event);
    q.addEvent.run(id, seq, size, JSON.stringify(event));
    q.bump.run(size, id);
    if (size > 0 && row.preview_bytes + size > perJob) trimPreviews(id, row.preview_bytes + size);
    return seq;
  });

  const update = db.transaction((id: string, patch: Partial<JobRecord>): void => {
    const row = q.row.get(id);
    if (!row) return;
    const rec = { ...(JSON.parse(row.rec) as JobRecord), ...patch };
    q.setRec.run(JSON.stringify(rec), rec.finished_at, id);
  });

  return {
    async create(rec, spec) {
      sweep();
      if (q.count.get()!.n >= maxJobs) throw new Error("job store is full");
      q.insert.run(rec.id, rec.finished_at, JSON.stringify(rec), spec ? JSON.stringify(spec) : null);
      wrote();
    },
    async get(id) {
      const row = live(id);
      return row ? (JSON.parse(row.rec) as JobRecord) : null;
    },
    async update(id, patch) {
      update(id, patch);
      wrote();
    },
    async append(id, event) {
      const seq = append(id, event);
      wrote();
      if (seq > 0) waiters.wake(id);
      return seq;
    },
    async events(id, after) {
      return q.events.all(id, after).map((r): StoredEvent => ({ seq: r.seq, event: JSON.parse(r.event) as JobEvent }));
    },
    async wait(id, after, timeoutMs, signal) {
      const row = live(id);
      if (!row || row.next_seq - 1 > after || signal?.aborted) return;
      await waiters.wait(id, timeoutMs, signal);
    },
    async unfinished() {
      return q.unfinished.all().map(
        (r): UnfinishedJob => ({
          rec: JSON.parse(r.rec) as JobRecord,
          spec: r.spec === null ? null : (JSON.parse(r.spec) as WorkerJob),
        }),
      );
    },
    close() {
      checkpoints.close();
      db.close();
    },
  };
}
