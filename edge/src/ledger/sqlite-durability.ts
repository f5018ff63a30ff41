// Node-only: keeping the disk off the event loop for a SQLite connection in WAL mode with synchronous =
// NORMAL: when a commit is on disk (the ledger's SQLite store, sqlite.ts, waits for it where a power cut must
// not take a write back), and checkpoints on a thread of their own.
import { closeSync, fdatasync, openSync } from "node:fs";
import { createRequire } from "node:module";
import { promisify } from "node:util";
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";
import { groupSync } from "../storage/group-sync.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

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

/** Writing statements between two checkpoints: ~1,000 generations, a WAL of ~30 MB at 4 KiB pages. */
export const CHECKPOINT_EVERY_WRITES = 4_000;

/** Copies the WAL into the database on its own connection when asked; plain JavaScript (eval'd, no loader). */
const CHECKPOINT_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 5000 });
parentPort.on("message", (m) => {
  if (m === "close") { db.close(); parentPort.close(); return; }
  try { db.pragma("wal_checkpoint(PASSIVE)"); parentPort.postMessage("done"); }
  catch (err) { parentPort.postMessage(String(err)); }
});`;

export interface Checkpoints {
  /** One more writing statement was run on the connection. */
  wrote(): void;
  close(): void;
}

/**
 * Checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that crosses 1,000
 * WAL pages, on the writer's thread, and syncs the WAL and the database file: here ~8-25 ms, every ~140
 * generations, which set the gateway's p99. The connection's own checkpoints are turned off; every
 * `everyWrites` writing statements a worker thread with a connection of its own runs a PASSIVE checkpoint,
 * which neither waits for nor blocks this connection's readers and writers. What stays on this thread is the
 * one sync of the WAL header when the next commit restarts the emptied WAL, once per ~1,000 generations.
 * Should the worker fail, the connection's automatic checkpoints come back.
 */
export function backgroundCheckpoints(db: Db, everyWrites = CHECKPOINT_EVERY_WRITES): Checkpoints {
  if (db.pragma("journal_mode", { simple: true }) !== "wal") return { wrote: () => {}, close: () => {} };
  db.pragma("wal_autocheckpoint = 0");
  let writes = 0;
  let busy = false;
  let worker: Worker | null = null;
  let state: "on" | "closed" | "failed" = "on";
  const fallBack = (why: unknown) => {
    if (state !== "on") return;
    state = "failed";
    edgeLog.error(
      "background checkpoints failed; SQLite checkpoints on the event loop again: {error}",
      errorFields(why),
    );
    if (db.open) db.pragma("wal_autocheckpoint = 1000");
  };
  const start = () => {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    const w = new Worker(CHECKPOINT_WORKER, { eval: true, execArgv: [], workerData: { driver, path: db.name } });
    w.on("message", (m) => {
      busy = false;
      if (m !== "done") edgeLog.error("checkpoint failed: {error}", errorFields(m));
    });
    w.on("error", fallBack);
    w.on("exit", (code) => fallBack(`checkpoint worker exited with ${code}`));
    w.unref(); // never what keeps the process alive; after the listeners, which would ref its port again
    return w;
  };
  return {
    wrote() {
      if (state !== "on" || ++writes < everyWrites || busy) return;
      writes = 0;
      busy = true;
      worker ??= start(); // started on first need: most stores (tests) never get there
      worker.postMessage("checkpoint");
    },
    close() {
      if (state === "on") state = "closed";
      worker?.postMessage("close");
    },
  };
}
