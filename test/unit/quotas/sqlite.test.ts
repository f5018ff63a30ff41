// Quota overrides in the ledger's SQLite file: the same table on every open, kept across reopen.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSqliteStores } from "../../../edge/src/ledger/sqlite.ts";
import { quotaStoreConformance } from "./conformance.ts";

quotaStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "guidegate-quotas-"));
  const s = createSqliteStores(join(dir, "ledger.db"));
  return {
    quotas: s.quotas,
    close: () => {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("sqlite quota overrides", () => {
  it("survive a reopen of the file and are seen by a second connection", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guidegate-quotas-"));
    try {
      const path = join(dir, "ledger.db");
      const a = createSqliteStores(path);
      const b = createSqliteStores(path);
      await a.quotas.set("alice", 12_345);
      expect(await b.quotas.get("alice")).toBe(12_345);
      a.close();
      b.close();
      const c = createSqliteStores(path);
      expect(await c.quotas.get("alice")).toBe(12_345);
      c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
