// Node-only: Ledger, IdempotencyStore and quota overrides in a SQLite file through better-sqlite3. Never import this from the
// Workers or Deno entries (it loads a native addon); they use durable-object-client.ts or memory.ts.
import Database from "better-sqlite3";
import { type LedgerOptions, RESERVATION_LEASE_MS } from "./lease.ts";
import { backgroundCheckpoints, type FlushFd, walDurability } from "./sqlite-durability.ts";
import { SqlLedgerCore } from "./sql-core.ts";
import { SqlQuotaCore } from "../quotas/sql.ts";
import type { QuotaOverrideStore } from "../quotas/types.ts";
import { hashKey } from "../apikeys/format.ts";
import { SqlKeyCore } from "../apikeys/sql.ts";
import type { KeyStore } from "../apikeys/types.ts";
import { SqlAuditCore } from "../audit/sql.ts";
import type { AuditLog } from "../audit/types.ts";
import { SqlTierOverrideCore } from "../tiers/override-sql.ts";
import type { TierOverrideStore } from "../tiers/override-types.ts";
import type { SqlPort, SqlValue } from "../storage/sql-port.ts";
import type { IdempotencyStore, Ledger } from "./types.ts";
import { checkLease } from "./validate.ts";

export type { FlushFd } from "./sqlite-durability.ts";

type Db = InstanceType<typeof Database>;
type Statement = Database.Statement<SqlValue[]>;

/**
 * Opens (or creates) the file with WAL. FULL syncs the WAL in every commit, on the calling thread: a write
 * acknowledged is a write kept, even across a power cut. NORMAL does not (a commit survives the process
 * dying, not the machine): the caller then makes what must be kept durable itself (walDurability).
 */
export function openSqlite(path: string, synchronous: "FULL" | "NORMAL" = "FULL"): Db {
  const db = new Database(path, { timeout: 5_000 }); // wait for another process's write lock instead of failing
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  return db;
}

/** A SqlPort over a better-sqlite3 connection, with prepared statements cached by text; `onWrite` hears of
 * every statement that writes (the ledger's background checkpoints count them). */
export function sqlitePort(db: Db, onWrite: () => void = () => {}): SqlPort {
  const cache = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare<SqlValue[]>(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  return {
    all<T>(sql: string, ...params: SqlValue[]): T[] {
      const stmt = prepare(sql);
      if (stmt.reader) return stmt.all(...params) as T[];
      stmt.run(...params);
      onWrite();
      return [];
    },
    tx: transaction(db),
  };
}

/**
 * What better-sqlite3's db.transaction(fn).immediate() does for a transaction that is not nested, from
 * statements prepared once: the wrapper it builds per call was a visible share of a ledger write. IMMEDIATE
 * takes the write lock up front, so two processes never deadlock upgrading read locks.
 */
function transaction(db: Db): SqlPort["tx"] {
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const rollback = db.prepare("ROLLBACK");
  return <T>(fn: () => T): T => {
    if (db.inTransaction) return db.transaction(fn)(); // nested: better-sqlite3's savepoint
    begin.run();
    try {
      const out = fn();
      commit.run();
      return out;
    } catch (err) {
      if (db.inTransaction) rollback.run(); // SQLite may have rolled back already
      throw err;
    }
  };
}

/** Ledger, IdempotencyStore and quota overrides sharing one connection, plus `close()`. */
export interface SqliteStores {
  ledger: Ledger;
  idempotency: IdempotencyStore;
  quotas: QuotaOverrideStore;
  apiKeys: KeyStore;
  audit: AuditLog;
  tiers: TierOverrideStore;
  close(): void;
}

export interface SqliteOptions extends LedgerOptions {
  /** How the WAL is flushed for a settle (tests hold or fail it); fdatasync when absent. */
  flushFd?: FlushFd;
  /** Writing statements between background checkpoints (sqlite-durability.ts); tests make it small. */
  checkpointEveryWrites?: number;
}

/**
 * Every store on one SQLite file (created with its schema if missing). What a power cut may take: a settle
 * and a finished idempotency record resolve only once on disk (the edge sends the terminal event after the
 * settle resolves); reservations, voids, claims and releases are kept across a crash of the process but may
 * lose their last milliseconds to a power cut, which bills nothing: an open reservation is voided by its
 * lease, a lost void leaves the quota held until then, and a later settle's flush takes every earlier commit
 * with it (the WAL is replayed in order).
 */
export function createSqliteStores(path: string, options: SqliteOptions = {}): SqliteStores {
  const leaseMs = checkLease(options.leaseMs ?? RESERVATION_LEASE_MS);
  const db = openSqlite(path, "NORMAL");
  const checkpoints = backgroundCheckpoints(db, options.checkpointEveryWrites);
  const port = sqlitePort(db, checkpoints.wrote);
  const core = new SqlLedgerCore(port);
  const wal = walDurability(db, options.flushFd);
  const durable = wal.durable;
  const ledger: Ledger = {
    reserve: async (tenant, jobId, nfe, quota, now, terms) =>
      core.reserve(tenant, jobId, nfe, quota, now, terms, leaseMs),
    settle: async (jobId, spent, now) => {
      const settled = core.settle(jobId, spent, now, leaseMs);
      if (settled) await durable();
      return settled;
    },
    void: async (jobId) => core.void(jobId),
    usage: async (tenant, quota, now) => core.usage(tenant, quota, now, leaseMs),
    report: async (tenant, quota, now, period) => core.report(tenant, quota, now, period, leaseMs),
    settledJobs: async (tenant, period, after, limit) => core.settledJobs(tenant, period, after, limit),
    get: async (jobId) => core.get(jobId),
  };
  const idempotency: IdempotencyStore = {
    begin: async (rec, now) => core.begin(rec, now),
    // The response a retry replays, of a request that was billed: kept like its settle.
    finish: async (tenant, key, status, response) => {
      core.finish(tenant, key, status, response);
      await durable();
    },
    release: async (tenant, key) => core.release(tenant, key),
  };
  const quotaCore = new SqlQuotaCore(port);
  const quotas: QuotaOverrideStore = {
    get: async (tenant) => quotaCore.get(tenant),
    set: async (tenant, quotaNfe) => quotaCore.set(tenant, quotaNfe),
  };
  return {
    ledger,
    idempotency,
    quotas,
    ...adminStores(port, durable),
    close: () => {
      checkpoints.close();
      db.close();
      wal.close();
    },
  };
}

/** API keys, the audit log and tier overrides on the ledger's connection. An audit entry and a revocation are on
 * disk (`durable`: the WAL's fdatasync) before the admin API answers. */
function adminStores(port: SqlPort, durable: () => Promise<void>): Pick<SqliteStores, "apiKeys" | "audit" | "tiers"> {
  const keys = new SqlKeyCore(port);
  const audit = new SqlAuditCore(port);
  const tiers = new SqlTierOverrideCore(port);
  return {
    apiKeys: {
      create: async (rec) => keys.create(rec),
      find: async (key) => keys.findByHash(await hashKey(key)),
      list: async (tenant) => keys.list(tenant),
      revoke: async (tenant, id, now) => {
        const rec = keys.revoke(tenant, id, now);
        await durable();
        return rec;
      },
      touch: async (tenant, id, now) => keys.touch(tenant, id, now),
    },
    audit: {
      append: async (e) => {
        const entry = audit.append(e);
        await durable();
        return entry;
      },
      list: async (after, limit) => audit.list(after, limit),
      tenants: async () => audit.tenants(),
    },
    tiers: { get: async (t) => tiers.get(t), set: async (t, tier) => tiers.set(t, tier) },
  };
}

/** A Ledger on its own connection to the SQLite file at `path`. */
export function createSqliteLedger(path: string, options: SqliteOptions = {}): Ledger & { close(): void } {
  const { ledger, close } = createSqliteStores(path, options);
  return { ...ledger, close };
}

/** An IdempotencyStore on its own connection to the SQLite file at `path`. */
export function createSqliteIdempotencyStore(path: string): IdempotencyStore & { close(): void } {
  const { idempotency, close } = createSqliteStores(path);
  return { ...idempotency, close };
}
