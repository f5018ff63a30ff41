// Stands in for Cloudflare's Durable Object runtime, which cannot run in plain Node: `ctx.storage.sql` is an
// in-memory better-sqlite3 database per object name, and the namespace's stubs call TenantLedger.fetch directly.
// Each call builds a fresh TenantLedger over the same storage, as after an eviction, so no state may hide in memory.
// The workerd integration tests (written separately) exercise the real runtime.
import type { DurableObjectNamespace, DurableObjectState } from "@cloudflare/workers-types";
import Database from "better-sqlite3";
import type { TenantLedgerNamespace } from "../../../edge/src/ledger/do-protocol.ts";
import { TenantLedger, type TenantLedgerState } from "../../../edge/src/ledger/durable-object.ts";
import { createDurableObjectLedger } from "../../../edge/src/ledger/durable-object-client.ts";
import type { SqlValue } from "../../../edge/src/ledger/sql-port.ts";

function shimState(): TenantLedgerState & { close(): void } {
  const db = new Database(":memory:");
  return {
    storage: {
      sql: {
        exec(query: string, ...bindings: SqlValue[]) {
          const stmt = db.prepare(query);
          if (stmt.reader) {
            const rows = stmt.all(...bindings);
            return { toArray: () => rows };
          }
          stmt.run(...bindings);
          return { toArray: () => [] };
        },
      },
      transactionSync: <T>(fn: () => T): T => db.transaction(fn)(),
    },
    close: () => db.close(),
  };
}

export interface FakeNamespace extends TenantLedgerNamespace<string> {
  /** Names of the objects created so far (one per tenant routing key). */
  names(): string[];
  close(): void;
}

export function fakeTenantLedgerNamespace(): FakeNamespace {
  const states = new Map<string, ReturnType<typeof shimState>>();
  return {
    idFromName: (name) => name,
    get: (id) => ({
      async fetch(input, init) {
        let state = states.get(id);
        if (!state) {
          state = shimState();
          states.set(id, state);
        }
        return new TenantLedger(state).fetch(new Request(input, init));
      },
    }),
    names: () => [...states.keys()],
    close: () => {
      for (const s of states.values()) s.close();
    },
  };
}

// Compile-time only: Cloudflare's real binding and state types fit what the client and the class accept.
export const typesFitCloudflare = (ns: DurableObjectNamespace, state: DurableObjectState) => [
  createDurableObjectLedger(ns),
  new TenantLedger(state, {}),
];
