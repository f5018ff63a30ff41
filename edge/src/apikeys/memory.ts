// API keys in process memory (tests, Deno, single-process runs; lost on restart).
import { hashKey } from "./format.ts";
import type { ApiKeyRecord, KeyStore } from "./types.ts";

export function createMemoryKeyStore(): KeyStore {
  const byHash = new Map<string, ApiKeyRecord>();
  const byId = new Map<string, ApiKeyRecord>();
  const own = (tenant: string, id: string) => {
    const r = byId.get(id);
    return r && r.tenant === tenant ? r : null;
  };
  return {
    async create(rec) {
      if (byId.has(rec.id) || byHash.has(rec.hash)) throw new Error("duplicate API key");
      const copy = { ...rec };
      byId.set(rec.id, copy);
      byHash.set(rec.hash, copy);
    },
    async find(key) {
      const r = byHash.get(await hashKey(key));
      return r ? { ...r } : null;
    },
    list: async (tenant) =>
      [...byId.values()]
        .filter((r) => r.tenant === tenant)
        .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) // as SQL orders them
        .map((r) => ({ ...r })),
    async revoke(tenant, id, now) {
      const r = own(tenant, id);
      if (!r) return null;
      r.revoked_at ??= now;
      return { ...r };
    },
    async touch(tenant, id, now) {
      const r = own(tenant, id);
      if (r && (r.last_used_at === null || r.last_used_at < now)) r.last_used_at = now;
    },
  };
}
