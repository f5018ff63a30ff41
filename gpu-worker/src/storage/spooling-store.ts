// An ImageStore that never loses an image: a few quick retries, then the local spool, drained in
// the background with backoff until the store answers again. put() resolves only once uploaded,
// so a job's `completed` event (with its presigned URL) always names an object that exists.
import type { ImageStore } from "./s3.ts";
import { type Backoff, backoffDelay, sleep, withRetries } from "./retry.ts";
import type { Spool, SpoolEntry } from "./spool.ts";

export interface SpoolingOptions {
  /** Direct attempts (each one the SDK's own retries) before an image goes to the spool. */
  attempts: number;
  retry: Backoff;
  /** Backoff of the background drain while the store stays down. */
  drain: Backoff;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface SpoolingStore extends ImageStore {
  /** Images waiting in the spool. */
  pending(): number;
  /** Upload what a previous run left in the spool (no job waits for those; they must not be lost). */
  resume(): Promise<void>;
}

export function spoolingStore(inner: ImageStore, spool: Spool, opts: SpoolingOptions): SpoolingStore {
  const waiters = new Map<string, Array<() => void>>();
  const log = opts.log ?? (() => {});
  let queued = 0;
  let draining = false;

  async function uploadOne(e: SpoolEntry): Promise<void> {
    await inner.put(e.key, await spool.read(e), e.contentType);
    await spool.remove(e);
    queued = Math.max(0, queued - 1);
    for (const w of waiters.get(e.key) ?? []) w();
    waiters.delete(e.key);
  }

  async function drainLoop(): Promise<void> {
    let failures = 0;
    for (;;) {
      const entries = await spool.list().catch(() => []);
      if (entries.length === 0) return;
      queued = Math.max(queued, entries.length);
      try {
        for (const e of entries) await uploadOne(e);
        if (failures > 0) log("object store reachable again; spool drained", { uploaded: entries.length });
        failures = 0;
      } catch (err) {
        if (failures === 0)
          log("object store unreachable; images wait in the spool", { pending: queued, error: errName(err) });
        await sleep(backoffDelay(failures++, opts.drain));
      }
    }
  }

  function kick(): void {
    if (draining) return;
    draining = true;
    void drainLoop().finally(() => {
      draining = false;
      if (waiters.size > 0) kick(); // an add raced the loop's last empty listing
    });
  }

  return {
    url: (key) => inner.url(key),
    pending: () => queued,
    async resume() {
      kick();
    },
    async put(key, body, contentType) {
      // During an outage go straight to the spool: keeps order and spares each job the retry delay.
      if (queued === 0) {
        try {
          return await withRetries(() => inner.put(key, body, contentType), opts.attempts, opts.retry);
        } catch (err) {
          log("upload failed after retries; spooling", { error: errName(err) });
        }
      }
      await spool.add(key, body, contentType);
      queued++;
      // Registered after the entry is on disk, so a waiter always has something the drain will find.
      const done = new Promise<void>((resolve) => waiters.set(key, [...(waiters.get(key) ?? []), resolve]));
      kick();
      await done;
    },
  };
}

/** Only the error's name/code reaches logs: SDK errors can carry request metadata. */
function errName(err: unknown): string {
  const e = err as { name?: string; code?: string } | null;
  return String(e?.code ?? e?.name ?? "error");
}
