// The admin stores on Deno KV (the Deno edge): the conformance suite, and what a second connection to the same
// file sees (a revoke by one isolate or process holds for another; a restarted edge finds the audit log).
import { describe, expect, it } from "vitest";
import { hashKey, newApiKey } from "../../../edge/src/apikeys/format.ts";
import { createKvAuditLog, createKvKeyStore, createKvTierOverrideStore } from "../../../edge/src/kv/admin.ts";
import { freshPrefix, openKvFile, useDenoKv } from "../../support/deno-kv.ts";
import { adminStoreConformance } from "./conformance.ts";

const file = useDenoKv();

adminStoreConformance("deno kv", () => {
  const prefix = freshPrefix();
  const kv = file.kv();
  return {
    apiKeys: createKvKeyStore(kv, prefix),
    audit: createKvAuditLog(kv, prefix),
    tiers: createKvTierOverrideStore(kv, prefix),
    close: () => {},
  };
});

describe("deno kv admin stores", () => {
  it("a revoke, a tier override and the audit log are seen through a second connection", async () => {
    const prefix = freshPrefix();
    const a = file.kv();
    const b = await openKvFile(file.path());
    try {
      const { key, id, prefix: shown } = newApiKey("alice");
      await createKvKeyStore(a, prefix).create({
        id,
        tenant: "alice",
        tier: "pro",
        hash: await hashKey(key),
        prefix: shown,
        name: null,
        created_at: 1,
        expires_at: null,
        last_used_at: null,
        revoked_at: null,
      });
      const other = createKvKeyStore(b, prefix);
      expect((await other.find(key))?.revoked_at).toBeNull();
      await createKvKeyStore(a, prefix).revoke("alice", id, 5);
      expect((await other.find(key))?.revoked_at).toBe(5);
      await createKvTierOverrideStore(a, prefix).set("alice", "eco");
      expect(await createKvTierOverrideStore(b, prefix).get("alice")).toBe("eco");
      const e = {
        at: 9,
        actor: "admin",
        action: "api_key.revoke",
        tenant: "alice",
        target: id,
        request_id: "r1",
        details: null,
      };
      await createKvAuditLog(a, prefix).append(e);
      await createKvAuditLog(b, prefix).append({ ...e, at: 10 });
      expect((await createKvAuditLog(b, prefix).list(0, 10)).map((x) => [x.seq, x.at])).toEqual([
        [1, 9],
        [2, 10],
      ]);
    } finally {
      b.close();
    }
  });
});
