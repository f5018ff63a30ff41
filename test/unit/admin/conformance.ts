// What every admin-side store must do, whatever holds it (memory, SQLite, the TenantLedger Durable Object in
// workerd): API keys (KeyStore), the audit log (AuditLog) and tier overrides (TierOverrideStore). Each backend's
// test file calls `adminStoreConformance` with its factory.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hashKey, newApiKey } from "../../../edge/src/apikeys/format.ts";
import type { ApiKeyRecord, KeyStore } from "../../../edge/src/apikeys/types.ts";
import type { AuditInput, AuditLog } from "../../../edge/src/audit/types.ts";
import type { TierOverrideStore } from "../../../edge/src/tiers/override-types.ts";

export interface AdminStores {
  apiKeys: KeyStore;
  audit: AuditLog;
  tiers: TierOverrideStore;
  close(): void;
}

const T0 = Date.UTC(2026, 5, 1);

async function makeKey(tenant: string, over: Partial<ApiKeyRecord> = {}): Promise<{ key: string; rec: ApiKeyRecord }> {
  const { key, id, prefix } = newApiKey(tenant);
  const rec: ApiKeyRecord = {
    id,
    tenant,
    tier: "pro",
    hash: await hashKey(key),
    prefix,
    name: null,
    created_at: T0,
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
    ...over,
  };
  return { key, rec };
}

const entry = (i: number, tenant: string | null): AuditInput => ({
  at: T0 + i,
  actor: "admin",
  action: `act.${i}`,
  tenant,
  target: null,
  request_id: `req-${i}`,
  details: JSON.stringify({ i }),
});

export function adminStoreConformance(name: string, make: () => AdminStores): void {
  let s: AdminStores;
  beforeEach(() => {
    s = make();
  });
  afterEach(() => s.close());

  describe(`KeyStore conformance: ${name}`, () => {
    it("finds a key by the key string alone, never by its hash or another key", async () => {
      const { key, rec } = await makeKey("alice", { name: "ci" });
      await s.apiKeys.create(rec);
      expect(await s.apiKeys.find(key)).toEqual(rec);
      expect(await s.apiKeys.find(rec.hash)).toBeNull();
      expect(await s.apiKeys.find(`${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`)).toBeNull();
      expect(await s.apiKeys.find(newApiKey("alice").key)).toBeNull();
    });

    it("lists a tenant's keys oldest first and no one else's", async () => {
      const a1 = await makeKey("alice", { created_at: T0 + 2 });
      const a2 = await makeKey("alice", { created_at: T0 + 1 });
      const b = await makeKey("bob");
      for (const k of [a1, a2, b]) await s.apiKeys.create(k.rec);
      expect((await s.apiKeys.list("alice")).map((r) => r.id)).toEqual([a2.rec.id, a1.rec.id]);
      expect((await s.apiKeys.list("bob")).map((r) => r.id)).toEqual([b.rec.id]);
      expect(await s.apiKeys.list("carol")).toEqual([]);
    });

    it("revokes once, only the owning tenant's key, and the very next find sees it", async () => {
      const { key, rec } = await makeKey("alice");
      await s.apiKeys.create(rec);
      expect(await s.apiKeys.revoke("bob", rec.id, T0 + 5)).toBeNull(); // another tenant cannot name it
      expect((await s.apiKeys.find(key))?.revoked_at).toBeNull();
      expect((await s.apiKeys.revoke("alice", rec.id, T0 + 10))?.revoked_at).toBe(T0 + 10);
      expect((await s.apiKeys.find(key))?.revoked_at).toBe(T0 + 10);
      expect((await s.apiKeys.revoke("alice", rec.id, T0 + 20))?.revoked_at).toBe(T0 + 10);
      expect(await s.apiKeys.revoke("alice", "key_nonexistent", T0)).toBeNull();
    });

    it("touch moves last_used_at forwards only", async () => {
      const { key, rec } = await makeKey("alice");
      await s.apiKeys.create(rec);
      await s.apiKeys.touch("alice", rec.id, T0 + 100);
      await s.apiKeys.touch("alice", rec.id, T0 + 50);
      await s.apiKeys.touch("bob", rec.id, T0 + 500);
      expect((await s.apiKeys.find(key))?.last_used_at).toBe(T0 + 100);
    });

    it("refuses a duplicate id or hash", async () => {
      const { rec } = await makeKey("alice");
      await s.apiKeys.create(rec);
      await expect(s.apiKeys.create({ ...rec, hash: "0".repeat(64) })).rejects.toThrow();
      await expect(s.apiKeys.create({ ...rec, id: "key_other" })).rejects.toThrow();
    });
  });

  describe(`AuditLog conformance: ${name}`, () => {
    it("appends in order with increasing seq, pages from a cursor, and lists the tenants named", async () => {
      const seqs: number[] = [];
      for (let i = 1; i <= 5; i++)
        seqs.push((await s.audit.append(entry(i, i % 2 ? "alice" : i === 4 ? null : "bob"))).seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(5);
      const all = await s.audit.list(0, 100);
      expect(all.map((e) => e.action)).toEqual(["act.1", "act.2", "act.3", "act.4", "act.5"]);
      expect(all[0]).toEqual({ ...entry(1, "alice"), seq: seqs[0] });
      const page = await s.audit.list(all[1]!.seq, 2);
      expect(page.map((e) => e.action)).toEqual(["act.3", "act.4"]);
      expect(await s.audit.tenants()).toEqual(["alice", "bob"]);
    });
  });

  describe(`TierOverrideStore conformance: ${name}`, () => {
    it("sets, replaces and clears a tenant's tier, by its exact name", async () => {
      expect(await s.tiers.get("alice")).toBeNull();
      await s.tiers.set("alice", "free");
      await s.tiers.set("__proto__", "pro");
      expect(await s.tiers.get("alice")).toBe("free");
      expect(await s.tiers.get("Alice")).toBeNull();
      await s.tiers.set("alice", "pro");
      expect(await s.tiers.get("alice")).toBe("pro");
      await s.tiers.set("alice", null);
      expect(await s.tiers.get("alice")).toBeNull();
      expect(await s.tiers.get("__proto__")).toBe("pro");
    });
  });
}
