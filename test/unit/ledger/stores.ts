// The store factories the conformance and property suites run against: memory, a SQLite file, the TenantLedger
// Durable Object in workerd (test/support/tenant-ledger-workerd.ts), and Deno KV (test/support/deno-kv.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDurableObjectIdempotencyStore,
  createDurableObjectLedger,
} from "../../../edge/src/ledger/durable-object-client.ts";
import type { LedgerOptions } from "../../../edge/src/ledger/lease.ts";
import { createKvIdempotencyStore, createKvLedger } from "../../../edge/src/kv/ledger.ts";
import type { Kv } from "../../../edge/src/kv/kv.ts";
import { RESERVATION_LEASE_MS } from "../../../edge/src/ledger/lease.ts";
import { checkLease } from "../../../edge/src/ledger/validate.ts";
import { createMemoryIdempotencyStore, createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import { createSqliteStores } from "../../../edge/src/ledger/sqlite.ts";
import type { IdempotencyStore, Ledger } from "../../../edge/src/ledger/types.ts";
import { freshPrefix } from "../../support/deno-kv.ts";
import type { TenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";

export interface Stores {
  ledger: Ledger;
  idempotency: IdempotencyStore;
  close(): void;
}

export type StoreFactory = (options?: LedgerOptions) => Stores;

export const memoryStores: StoreFactory = (options) => ({
  ledger: createMemoryLedger(options),
  idempotency: createMemoryIdempotencyStore(),
  close: () => {},
});

/** A real SQLite file (WAL) in a fresh temp dir, removed on close. */
export const sqliteStores: StoreFactory = (options) => {
  const dir = mkdtempSync(join(tmpdir(), "guidegate-ledger-"));
  let s: ReturnType<typeof createSqliteStores>;
  try {
    s = createSqliteStores(join(dir, "ledger.db"), options);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    ledger: s.ledger,
    idempotency: s.idempotency,
    close: () => {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/** Fresh objects in the running workerd each time; nothing to close (workerd stops after the file). */
export const durableObjectStores =
  (workerd: TenantLedgerWorkerd): StoreFactory =>
  (options) => {
    const ns = workerd.namespace();
    return {
      ledger: createDurableObjectLedger(ns, options),
      idempotency: createDurableObjectIdempotencyStore(ns),
      close: () => {},
    };
  };

/** Stores on the KV file `kv()` (useDenoKv), each under a fresh prefix, so each starts empty. */
export const kvStores =
  (kv: () => Kv): StoreFactory =>
  (options) => {
    const leaseMs = checkLease(options?.leaseMs ?? RESERVATION_LEASE_MS);
    const prefix = freshPrefix();
    return {
      ledger: createKvLedger(kv(), prefix, leaseMs),
      idempotency: createKvIdempotencyStore(kv(), prefix),
      close: () => {},
    };
  };

/** Every store; a file that uses it calls `useTenantLedgerWorkerd()` and `useDenoKv()` at its top level. */
export const allStores = (workerd: TenantLedgerWorkerd, kv: () => Kv): [string, StoreFactory][] => [
  ["memory", memoryStores],
  ["sqlite", sqliteStores],
  ["durable-object (workerd)", durableObjectStores(workerd)],
  ["deno-kv", kvStores(kv)],
];
