// A JobStore on Deno KV: job records and their event logs survive a restart of the edge, and every Deno Deploy
// isolate reads the same ones. Keys, under the stores' prefix:
//   job/<id>                       the record, the next sequence number and the previews kept
//   ev/<id>/<seq>/<chunk>          an event's JSON, in chunks under KV's 64 KiB value limit
//   jobdone/<finished_at>/<id>     finished jobs by age, for the TTL sweep
//   jobopen/<created_at>/<id>      unfinished jobs, for a restarted edge to take up (unfinished())
//   spec/<id>/<chunk>              the job as dispatched, in chunks (an edit's images exceed one value)
// Bounds: finished jobs go after the TTL (swept on create, hidden by get at once); each job keeps its newest
// previews within a byte budget. There is no cap on the job count or a global preview budget: the store is a
// database, and the TTL bounds it.
import type { JobEvent, WorkerJob } from "@guidegate/shared";
import type { Clock } from "../clock.ts";
import type { JobRecord, JobStore, StoredEvent, UnfinishedJob } from "../jobs/types.ts";
import { type Kv, type KvKey, listAll, transact } from "./kv.ts";

export interface KvJobStoreOptions {
  clock: Clock;
  ttlMs: number;
  /** Preview bytes each job keeps (its newest); the memory store's default. */
  maxPreviewBytesPerJob?: number;
  /** How often wait() looks for an event appended by another process (ms); appends here wake it at once. */
  pollMs?: number;
}

interface Meta {
  rec: JobRecord;
  next: number; // the seq the next event gets
  previews: { seq: number; size: number; chunks: number }[]; // kept previews, oldest first
}

/** One piece of an event's JSON: `n` pieces in all, so a reader that finds fewer knows the event was dropped. */
interface Chunk {
  n: number;
  s: string;
}

/** Characters per chunk: under 64 KiB even as V8's two-byte strings. */
const CHUNK_CHARS = 30_000;
/** The longest event JSON kept, so its chunks fit one atomic write (under 800 KiB); longer previews are dropped. */
const EVENT_MAX_CHARS = 20 * CHUNK_CHARS;
/** Finished jobs removed per create. */
const SWEEP_JOBS = 16;

const previewSize = (e: JobEvent): number => (e.event === "preview" ? e.b64_png.length : 0);

export function createKvJobStore(kv: Kv, prefix: KvKey, options: KvJobStoreOptions): JobStore {
  if (!options?.clock) throw new Error("createKvJobStore: clock is required");
  if (!(options.ttlMs > 0)) throw new Error("createKvJobStore: ttlMs must be positive");
  const { clock, ttlMs } = options;
  const perJob = options.maxPreviewBytesPerJob ?? 4 * 1024 * 1024;
  const pollMs = options.pollMs ?? 250;
  const metaKey = (id: string): KvKey => [...prefix, "job", id];
  const eventsOf = (id: string): KvKey => [...prefix, "ev", id];
  const doneOf: KvKey = [...prefix, "jobdone"];
  const openOf: KvKey = [...prefix, "jobopen"];
  const specOf = (id: string): KvKey => [...prefix, "spec", id];
  const waiters = new Map<string, Set<() => void>>();

  const wake = (id: string): void => {
    for (const w of waiters.get(id) ?? []) w();
    waiters.delete(id);
  };
  const expired = (rec: JobRecord): boolean => rec.finished_at !== null && clock.now() - rec.finished_at > ttlMs;

  async function drop(id: string, doneKey?: KvKey): Promise<void> {
    const events = [...(await listAll(kv, { prefix: eventsOf(id) })), ...(await listAll(kv, { prefix: specOf(id) }))];
    for (let i = 0; i < events.length; i += 500) {
      const op = kv.atomic();
      for (const e of events.slice(i, i + 500)) op.delete(e.key);
      await op.commit();
    }
    const op = kv.atomic().delete(metaKey(id));
    if (doneKey) op.delete(doneKey);
    await op.commit();
    wake(id);
  }

  async function sweep(): Promise<void> {
    const old = await listAll<string>(kv, { start: doneOf, end: [...doneOf, clock.now() - ttlMs] }, SWEEP_JOBS);
    for (const e of old) await drop(e.value, e.key);
  }

  async function readMeta(id: string) {
    return kv.get<Meta>(metaKey(id));
  }

  /** The dispatched job, or null when it was never stored or a piece is missing. */
  async function readSpec(id: string): Promise<WorkerJob | null> {
    const parts = await listAll<Chunk>(kv, { prefix: specOf(id) });
    if (parts.length === 0 || parts.length !== parts[0]!.value.n) return null;
    return JSON.parse(parts.map((c) => c.value.s).join("")) as WorkerJob;
  }

  return {
    async create(rec, spec) {
      await sweep();
      const op = kv.atomic().set(metaKey(rec.id), { rec: { ...rec }, next: 1, previews: [] } satisfies Meta);
      if (rec.finished_at === null) op.set([...openOf, rec.created_at, rec.id], rec.id);
      // The spec goes in one write with the record, so a restart never finds one without the other; one too
      // large for a write is not kept, and a restart then fails that job and releases its reservation.
      const json = spec ? JSON.stringify(spec) : "";
      if (json.length > 0 && json.length <= EVENT_MAX_CHARS) {
        const n = Math.ceil(json.length / CHUNK_CHARS);
        for (let i = 0; i < n; i++)
          op.set([...specOf(rec.id), i], { n, s: json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS) } satisfies Chunk);
      }
      await op.commit();
    },
    async get(id) {
      const meta = (await readMeta(id)).value;
      if (meta === null) return null;
      if (!expired(meta.rec)) return meta.rec;
      await drop(id, [...doneOf, meta.rec.finished_at!, id]);
      return null;
    },
    async update(id, patch) {
      await transact(async () => {
        const found = await readMeta(id);
        if (found.value === null) return { op: null, result: undefined };
        const rec = { ...found.value.rec, ...patch };
        const op = kv
          .atomic()
          .check(found)
          .set(metaKey(id), { ...found.value, rec });
        if (found.value.rec.finished_at === null && rec.finished_at !== null)
          op.set([...doneOf, rec.finished_at, id], id).delete([...openOf, rec.created_at, id]);
        return { op, result: undefined };
      });
    },
    async append(id, event) {
      const json = JSON.stringify(event);
      const size = previewSize(event);
      const seq = await transact(async () => {
        const found = await readMeta(id);
        const meta = found.value;
        if (meta === null) return { op: null, result: 0 };
        const seq = meta.next;
        const previews = [...meta.previews];
        const op = kv.atomic().check(found);
        // A preview too large for one write is dropped, as the memory store drops previews over its budget.
        const keep = size === 0 || (json.length <= EVENT_MAX_CHARS && size <= perJob);
        if (keep) {
          const n = Math.max(1, Math.ceil(json.length / CHUNK_CHARS));
          for (let i = 0; i < n; i++) {
            op.set([...eventsOf(id), seq, i], {
              n,
              s: json.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS),
            } satisfies Chunk);
          }
          if (size > 0) previews.push({ seq, size, chunks: n });
        }
        // Keep the newest previews; the terminal event and progress are never dropped.
        let bytes = previews.reduce((sum, p) => sum + p.size, 0);
        while (bytes > perJob) {
          const old = previews.shift()!;
          bytes -= old.size;
          for (let i = 0; i < old.chunks; i++) op.delete([...eventsOf(id), old.seq, i]);
        }
        op.set(metaKey(id), { ...meta, next: seq + 1, previews } satisfies Meta);
        return { op, result: seq };
      });
      if (seq > 0) wake(id);
      return seq;
    },
    async events(id, after) {
      const prefix = eventsOf(id);
      const chunks = await listAll<Chunk>(kv, { prefix, start: [...prefix, after + 1] });
      const out: StoredEvent[] = [];
      for (let i = 0; i < chunks.length; ) {
        const seq = chunks[i]!.key[prefix.length] as number;
        let j = i;
        while (j < chunks.length && chunks[j]!.key[prefix.length] === seq) j++;
        const parts = chunks.slice(i, j);
        // Fewer pieces than written: the preview was trimmed while this was read.
        if (parts.length === parts[0]!.value.n)
          out.push({ seq, event: JSON.parse(parts.map((c) => c.value.s).join("")) });
        i = j;
      }
      return out;
    },
    async unfinished() {
      const open = await listAll<string>(kv, { prefix: openOf });
      const out: UnfinishedJob[] = [];
      for (const { value: id } of open) {
        const meta = (await readMeta(id)).value;
        if (meta && meta.rec.finished_at === null) out.push({ rec: meta.rec, spec: await readSpec(id) });
      }
      return out;
    },
    wait(id, after, timeoutMs, signal) {
      if (signal?.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        let settled = false;
        const done = () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener("abort", done);
          waiters.get(id)?.delete(done);
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal?.addEventListener("abort", done, { once: true });
        const set = waiters.get(id) ?? new Set();
        set.add(done);
        waiters.set(id, set);
        // Polls for what another process appended (another Deno Deploy isolate); the first read also covers an
        // event appended before this wait began.
        void (async () => {
          while (!settled) {
            const meta = (await readMeta(id)).value;
            if (meta === null || meta.next - 1 > after) {
              done();
              return;
            }
            await new Promise((r) => setTimeout(r, pollMs));
          }
        })().catch(done);
      });
    },
  };
}
