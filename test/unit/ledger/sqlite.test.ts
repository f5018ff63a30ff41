import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { createSqliteLedger, createSqliteStores } from "../../../edge/src/ledger/sqlite.ts";
import { PRICELESS_NOW, PRICELESS_SEED, PRICELESS_TENANT } from "../../support/priceless-ledger.ts";
import { ledgerConformance } from "./conformance.ts";
import { expectPricelessMigrated } from "./priceless.ts";
import { sqliteStores } from "./stores.ts";
import { at } from "./terms.ts";

ledgerConformance("sqlite", sqliteStores);

describe("sqlite ledger file", () => {
  const NOW = Date.UTC(2026, 2, 3);

  it("uses WAL and keeps state across reopen and across connections", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guidegate-ledger-"));
    try {
      const path = join(dir, "ledger.db");
      const a = createSqliteStores(path);
      const b = createSqliteLedger(path); // a second connection, as a second process would have
      const job = newJobId("t1");
      expect((await a.ledger.reserve("t1", job, 10, 15, NOW, at(50))).ok).toBe(true);
      expect((await b.reserve("t1", newJobId("t1"), 10, 15, NOW, at(50))).ok).toBe(false); // sees a's reservation
      expect(await b.settle(job, 7, NOW)).toBe(true);
      expect(await a.ledger.settle(job, 7, NOW)).toBe(false);
      await a.idempotency.begin({ tenant: "t1", key: "k", fingerprint: "f", job_id: job, created_at: NOW }, NOW);
      a.close();
      b.close();

      const raw = new Database(path, { readonly: true });
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
      raw.close();

      const c = createSqliteStores(path);
      expect(await c.ledger.get(job)).toMatchObject({ state: "settled", spent: 7 });
      expect(await c.ledger.usage("t1", 15, NOW)).toMatchObject({ used: 7, reserved: 0 });
      const again = { tenant: "t1", key: "k", fingerprint: "f", job_id: "other", created_at: NOW };
      expect((await c.idempotency.begin(again, NOW)).kind).toBe("existing");
      c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("migrates a file from before prices once: old settles stay unpriced, reopening changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guidegate-ledger-"));
    try {
      const path = join(dir, "ledger.db");
      const old = new Database(path);
      for (const stmt of PRICELESS_SEED) old.exec(stmt);
      old.close();

      const a = createSqliteStores(path);
      await expectPricelessMigrated(a.ledger);
      a.close();
      // A second open finds the columns: no ALTER fails, and the backfill does not count new settles as unpriced.
      const b = createSqliteStores(path);
      expect(await b.ledger.usage(PRICELESS_TENANT, 1000, PRICELESS_NOW)).toMatchObject({
        used: 37,
        cost_micro_usd: 500,
        unpriced: 27,
      });
      b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
