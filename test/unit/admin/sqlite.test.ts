// The admin stores in the ledger's SQLite file (Node): the conformance suite, and what a second connection and a
// reopen see (a revoke by one edge process holds for another on the same file).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hashKey, newApiKey } from "../../../edge/src/apikeys/format.ts";
import { createSqliteStores } from "../../../edge/src/ledger/sqlite.ts";
import { adminStoreConformance } from "./conformance.ts";

adminStoreConformance("sqlite", () => {
  const dir = mkdtempSync(join(tmpdir(), "guidegate-admin-"));
  const s = createSqliteStores(join(dir, "ledger.db"));
  return {
    ...s,
    close: () => {
      s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe("sqlite admin stores", () => {
  it("a revoke and the audit log are seen by a second connection and survive a reopen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guidegate-admin-"));
    try {
      const path = join(dir, "ledger.db");
      const a = createSqliteStores(path);
      const b = createSqliteStores(path);
      const { key, id, prefix } = newApiKey("alice");
      const rec = { id, tenant: "alice", tier: "pro", hash: await hashKey(key), prefix, name: null, created_at: 1 };
      await a.apiKeys.create({ ...rec, expires_at: null, last_used_at: null, revoked_at: null });
      expect((await b.apiKeys.find(key))?.revoked_at).toBeNull();
      await a.apiKeys.revoke("alice", id, 5);
      expect((await b.apiKeys.find(key))?.revoked_at).toBe(5);
      const e = {
        at: 9,
        actor: "admin",
        action: "api_key.revoke",
        tenant: "alice",
        target: id,
        request_id: "r1",
        details: null,
      };
      await a.audit.append(e);
      a.close();
      b.close();
      const c = createSqliteStores(path);
      expect((await c.apiKeys.find(key))?.revoked_at).toBe(5);
      expect(await c.audit.list(0, 10)).toEqual([{ ...e, seq: 1 }]);
      c.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
