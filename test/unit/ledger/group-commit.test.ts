// Group commit on the SQLite ledger: a settle resolves only once an fdatasync of the WAL that started after
// its commit has ended, callers waiting at once share one flush, and what was acknowledged survives the
// process being killed. The flush is injected where the test must hold or fail it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type JobEvent, parseGuidance, type WorkerJob } from "@guidegate/shared";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { createSqliteStores, type FlushFd, openSqlite } from "../../../edge/src/ledger/sqlite.ts";
import { backgroundCheckpoints } from "../../../edge/src/ledger/sqlite-durability.ts";
import type { WorkerPool } from "../../../edge/src/pool/types.ts";
import { JobRun } from "../../../edge/src/relay/run.ts";
import { groupSync } from "../../../edge/src/storage/group-sync.ts";

const NOW = Date.UTC(2026, 2, 3);
const TERMS = { tier: "pro", policy: "cfg", price_micro_usd_per_nfe: 50 };

/** A flush the test releases by hand, recording what the file held when each flush began. */
function heldFlush(onStart: () => void = () => {}) {
  const pending: Array<{ release: () => void; fail: (e: Error) => void }> = [];
  const flushFd: FlushFd = () =>
    new Promise<void>((release, fail) => {
      onStart();
      pending.push({ release, fail });
    });
  return { flushFd, pending };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("groupSync", () => {
  it("a caller waits for a flush that starts after it asked, not the one already running", async () => {
    const { flushFd, pending } = heldFlush();
    const sync = groupSync(() => flushFd(0));
    let firstDone = false;
    let secondDone = false;
    void sync().then(() => (firstDone = true));
    void sync().then(() => (secondDone = true)); // arrives during the first flush
    expect(pending).toHaveLength(1);
    pending[0]!.release();
    await tick();
    expect(firstDone).toBe(true);
    expect(secondDone).toBe(false); // its write may have missed the first flush
    expect(pending).toHaveLength(2);
    pending[1]!.release();
    await tick();
    expect(secondDone).toBe(true);
  });

  it("callers arriving during one flush share the next: 50 writes, 2 flushes", async () => {
    const { flushFd, pending } = heldFlush();
    const sync = groupSync(() => flushFd(0));
    const first = sync();
    const rest = Array.from({ length: 49 }, () => sync());
    pending[0]!.release();
    await first;
    await tick();
    expect(pending).toHaveLength(2);
    pending[1]!.release();
    await Promise.all(rest);
    expect(pending).toHaveLength(2);
  });

  it("a failed flush fails its callers only; the next flush still runs", async () => {
    const { flushFd, pending } = heldFlush();
    const sync = groupSync(() => flushFd(0));
    const first = sync();
    const second = sync();
    pending[0]!.fail(new Error("EIO"));
    await expect(first).rejects.toThrow("EIO");
    await tick();
    pending[1]!.release();
    await expect(second).resolves.toBeUndefined();
  });
});

describe("sqlite ledger: settles are on disk before they resolve", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "guidegate-group-commit-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("settle resolves after the WAL flush, which starts after the settle's commit", async () => {
    const path = join(dir, "ledger.db");
    const seenAtFlush: string[] = [];
    const job = newJobId("t1");
    const { flushFd, pending } = heldFlush(() => {
      const raw = new Database(path, { readonly: true });
      const row = raw.prepare("SELECT state FROM ledger_reservations WHERE job_id = ?").get(job) as { state: string };
      seenAtFlush.push(row.state);
      raw.close();
    });
    const s = createSqliteStores(path, { flushFd });
    try {
      expect((await s.ledger.reserve("t1", job, 10, 100, NOW, TERMS)).ok).toBe(true);
      expect(pending).toHaveLength(0); // a reservation bills nothing: it does not wait for the disk
      let settled = false;
      const settle = s.ledger.settle(job, 7, NOW).then((ok) => (settled = ok));
      await tick();
      expect(seenAtFlush).toEqual(["settled"]); // the flush covers the commit
      expect(settled).toBe(false);
      pending[0]!.release();
      await settle;
      expect(settled).toBe(true);
    } finally {
      for (const p of pending) p.release();
      s.close();
    }
  });

  it("a settle whose flush fails rejects (JobRun logs it), and the row stays settled", async () => {
    const path = join(dir, "ledger.db");
    const s = createSqliteStores(path, { flushFd: async () => Promise.reject(new Error("EIO")) });
    try {
      const job = newJobId("t1");
      await s.ledger.reserve("t1", job, 10, 100, NOW, TERMS);
      await expect(s.ledger.settle(job, 7, NOW)).rejects.toThrow("EIO");
      expect(await s.ledger.get(job)).toMatchObject({ state: "settled", spent: 7 });
    } finally {
      s.close();
    }
  });

  it("concurrent settles share flushes", async () => {
    let flushes = 0;
    const s = createSqliteStores(join(dir, "ledger.db"), {
      flushFd: async () => {
        flushes++;
        await new Promise((r) => setTimeout(r, 5));
      },
    });
    try {
      const jobs = Array.from({ length: 40 }, () => newJobId("t1"));
      for (const j of jobs) await s.ledger.reserve("t1", j, 10, 1000, NOW, TERMS);
      expect(await Promise.all(jobs.map((j) => s.ledger.settle(j, 5, NOW)))).toEqual(jobs.map(() => true));
      expect(flushes).toBeLessThanOrEqual(2);
      expect(await s.ledger.usage("t1", 1000, NOW)).toMatchObject({ used: 200, reserved: 0 });
    } finally {
      s.close();
    }
  });

  it("JobRun hands the terminal event on only once its settle is on disk", async () => {
    const { flushFd, pending } = heldFlush();
    const s = createSqliteStores(join(dir, "ledger.db"), { flushFd });
    try {
      const job: WorkerJob = {
        job_id: newJobId("t1"),
        tenant: "t1",
        model: "shapes-32",
        prompt: "x",
        n: 1,
        width: 32,
        height: 32,
        steps: 2,
        seed: 7,
        guidance: parseGuidance({ policy: "none" }),
        max_nfe: 2,
        output_format: "png",
        response_format: "url",
      };
      await s.ledger.reserve("t1", job.job_id, 2, 100, NOW, TERMS);
      const events: JobEvent[] = [
        { event: "progress", step: 1, steps: 2, nfe: 1 },
        { event: "completed", images: [{ url: "u", width: 32, height: 32 }], seed: 7, usage: { nfe: 2 } },
      ];
      const pool: WorkerPool = {
        dispatch: async () => ({
          worker: "w1",
          events: (async function* () {
            yield* events;
          })(),
          close() {},
        }),
        cancel: async () => true,
        status: () => [],
        models: async () => [],
      };
      const run = new JobRun(
        { pool, ledger: s.ledger, clock: { now: () => NOW }, config: { maxAttempts: 1, cancelGraceMs: 50 } },
        job,
        50,
      );
      await run.start();
      const seen: string[] = [];
      const outcome = run.run((e) => void seen.push(e.event));
      while (pending.length === 0) await tick();
      expect(seen).toEqual(["progress"]); // settled in the file, not yet on disk: the client hears nothing yet
      pending[0]!.release();
      expect((await outcome).kind).toBe("completed");
      expect(seen).toEqual(["progress", "completed"]);
    } finally {
      for (const p of pending) p.release();
      s.close();
    }
  });

  it("with the real fdatasync, an acknowledged settle survives SIGKILL of its process", async () => {
    const path = join(dir, "ledger.db");
    const job = newJobId("t1");
    const store = resolve(import.meta.dirname, "../../../edge/src/ledger/sqlite.ts");
    // The child acknowledges the settle, then hangs until killed: no close, no checkpoint, no exit handler.
    const code = `
      const { createSqliteStores } = await import(${JSON.stringify(store)});
      const s = createSqliteStores(${JSON.stringify(path)});
      await s.ledger.reserve("t1", ${JSON.stringify(job)}, 10, 100, ${NOW}, ${JSON.stringify(TERMS)});
      console.log("settled", await s.ledger.settle(${JSON.stringify(job)}, 7, ${NOW}));
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    await new Promise<void>((done, fail) => {
      child.stdout.on("data", (c: Buffer) => {
        if (c.toString().includes("settled true")) done();
      });
      child.once("exit", (code) => fail(new Error(`child exited with ${code}`)));
    });
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const s = createSqliteStores(path);
    try {
      expect(await s.ledger.get(job)).toMatchObject({ state: "settled", spent: 7 });
      expect(await s.ledger.usage("t1", 100, NOW)).toMatchObject({ used: 7, reserved: 0 });
    } finally {
      s.close();
    }
  });
});

describe("sqlite ledger: checkpoints on a thread of their own", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "guidegate-checkpoints-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("turns the connection's own checkpoints off", () => {
    const db = openSqlite(join(dir, "raw.db"), "NORMAL");
    const c = backgroundCheckpoints(db);
    expect(db.pragma("wal_autocheckpoint", { simple: true })).toBe(0);
    c.close();
    db.close();
  });

  it("copies the WAL into the database file while the store keeps writing, and loses nothing", async () => {
    const path = join(dir, "ledger.db");
    const s = createSqliteStores(path, { checkpointEveryWrites: 20 });
    const before = statSync(path).size;
    const jobs = Array.from({ length: 60 }, () => newJobId("t1"));
    for (const j of jobs) {
      await s.ledger.reserve("t1", j, 10, 10_000, NOW, TERMS);
      await s.ledger.settle(j, 4, NOW);
    }
    // ~450 WAL frames: SQLite's own checkpoint (at 1,000) would not have run; the thread's have.
    for (let i = 0; i < 100 && statSync(path).size <= before; i++) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(path).size).toBeGreaterThan(before);
    expect(await s.ledger.usage("t1", 10_000, NOW)).toMatchObject({ used: 240, reserved: 0 });
    s.close();
    const again = createSqliteStores(path);
    expect(await again.ledger.usage("t1", 10_000, NOW)).toMatchObject({ used: 240, reserved: 0 });
    again.close();
  });

  it("the checkpoint thread does not keep a process alive", async () => {
    const store = resolve(import.meta.dirname, "../../../edge/src/ledger/sqlite.ts");
    const ids = resolve(import.meta.dirname, "../../../edge/src/ledger/ids.ts");
    // Enough writes to start the thread, and no close(): the process must still end on its own.
    const code = `
      const { createSqliteStores } = await import(${JSON.stringify(store)});
      const { newJobId } = await import(${JSON.stringify(ids)});
      const s = createSqliteStores(${JSON.stringify(join(dir, "ledger.db"))}, { checkpointEveryWrites: 5 });
      for (let i = 0; i < 20; i++) { const j = newJobId("t1"); await s.ledger.reserve("t1", j, 1, 100, ${NOW}, ${JSON.stringify(TERMS)}); await s.ledger.settle(j, 1, ${NOW}); }`;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { stdio: "inherit" });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    const exit = await new Promise((r) => child.once("exit", (code, signal) => r(signal ?? code)));
    clearTimeout(timer);
    expect(exit).toBe(0);
  });
});
