// Node-only: when a commit on a SQLite connection in WAL mode with synchronous = NORMAL is on disk. The
// ledger's SQLite store (sqlite.ts) waits for it where a power cut must not take a write back.
import { closeSync, fdatasync, openSync } from "node:fs";
import { promisify } from "node:util";
import type Database from "better-sqlite3";
import { groupSync } from "../storage/group-sync.ts";

type Db = InstanceType<typeof Database>;

/** Flushes a file's data to the disk; node's fdatasync (libuv's thread pool) unless a test holds or fails it. */
export type FlushFd = (fd: number) => Promise<void>;
const fdatasyncAsync: FlushFd = promisify(fdatasync);

/** `durable()`: everything committed on `db` before the call is on disk once it resolves. */
export interface Durability {
  durable(): Promise<void>;
  close(): void;
}

/**
 * Group commit for a WAL connection opened with synchronous = NORMAL: commits stay cheap and synchronous, and
 * `durable()` waits for an fdatasync of the WAL file, which holds every commit frame written before it (what
 * FULL would have synced in the commit itself). The flush runs on the thread pool, so a slow disk stalls only
 * the requests that wait for it, and callers waiting at once share one flush. Without a WAL (":memory:") the
 * connection falls back to FULL and `durable()` has nothing to wait for.
 */
export function walDurability(db: Db, flushFd: FlushFd = fdatasyncAsync): Durability {
  if (db.pragma("journal_mode", { simple: true }) !== "wal") {
    db.pragma("synchronous = FULL");
    return { durable: async () => {}, close: () => {} };
  }
  let fd: number | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  // The WAL exists once anything was committed, and stays while this connection is open (SQLite removes it
  // only when the last connection closes), so one descriptor serves the connection's lifetime.
  const flush = (): Promise<void> => {
    inFlight = (async () => {
      fd ??= openSync(`${db.name}-wal`, "r+");
      await flushFd(fd);
    })();
    return inFlight;
  };
  const closeFd = () => {
    if (fd !== null) closeSync(fd);
    fd = null;
  };
  return {
    durable: groupSync(flush),
    // A flush in flight keeps its descriptor until it ends.
    close: () => void inFlight.then(closeFd, closeFd),
  };
}
