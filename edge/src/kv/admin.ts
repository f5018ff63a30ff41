// The admin API's stores on Deno KV, so a Deno edge's API keys, their revocations, tier overrides and audit log
// survive a restart and every Deno Deploy isolate sees the same ones (a revoke holds on the next request
// anywhere: find() reads the store every time). Keys, under the stores' prefix:
//   apikey/<hash>               the key's record (find by the presented key's hash)
//   apikeyid/<tenant>/<id>      -> hash (list a tenant's keys, revoke and touch by id)
//   tieroverride/<tenant>       the tenant's tier name
//   audit/<seq>                 one entry; audithead holds the last seq (appends check it: one order)
//   audittenant/<tenant>        present once an entry named the tenant
import { hashKey } from "../apikeys/format.ts";
import type { ApiKeyRecord, KeyStore } from "../apikeys/types.ts";
import type { AuditEntry, AuditLog } from "../audit/types.ts";
import type { TierOverrideStore } from "../tiers/override-types.ts";
import { type Kv, type KvKey, listAll, serialQueue, transact } from "./kv.ts";

export function createKvKeyStore(kv: Kv, prefix: KvKey): KeyStore {
  const byHash = (hash: string): KvKey => [...prefix, "apikey", hash];
  const byId = (tenant: string, id: string): KvKey => [...prefix, "apikeyid", tenant, id];
  const own = async (tenant: string, id: string) => {
    const hash = (await kv.get<string>(byId(tenant, id))).value;
    return hash === null ? null : kv.get<ApiKeyRecord>(byHash(hash));
  };
  /** Read-modify-write of one of the tenant's keys; null when it has no such key. */
  const update = (tenant: string, id: string, change: (r: ApiKeyRecord) => ApiKeyRecord | null) =>
    transact(async () => {
      const found = await own(tenant, id);
      if (!found || found.value === null) return { op: null, result: null };
      const next = change(found.value);
      if (next === null) return { op: null, result: found.value };
      return { op: kv.atomic().check(found).set(found.key, next), result: next };
    });
  return {
    async create(rec) {
      const res = await kv
        .atomic()
        .check({ key: byHash(rec.hash), versionstamp: null }, { key: byId(rec.tenant, rec.id), versionstamp: null })
        .set(byHash(rec.hash), { ...rec })
        .set(byId(rec.tenant, rec.id), rec.hash)
        .commit();
      if (!res.ok) throw new Error("duplicate API key");
    },
    async find(key) {
      return (await kv.get<ApiKeyRecord>(byHash(await hashKey(key)))).value;
    },
    async list(tenant) {
      const ids = await listAll<string>(kv, { prefix: [...prefix, "apikeyid", tenant] });
      const recs: ApiKeyRecord[] = [];
      for (const e of ids) {
        const r = (await kv.get<ApiKeyRecord>(byHash(e.value))).value;
        if (r) recs.push(r);
      }
      return recs.sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    revoke: (tenant, id, now) => update(tenant, id, (r) => (r.revoked_at === null ? { ...r, revoked_at: now } : null)),
    async touch(tenant, id, now) {
      await update(tenant, id, (r) =>
        r.last_used_at === null || r.last_used_at < now ? { ...r, last_used_at: now } : null,
      );
    },
  };
}

export function createKvTierOverrideStore(kv: Kv, prefix: KvKey): TierOverrideStore {
  const key = (tenant: string): KvKey => [...prefix, "tieroverride", tenant];
  return {
    get: async (tenant) => (await kv.get<string>(key(tenant))).value,
    async set(tenant, tier) {
      await (tier === null ? kv.atomic().delete(key(tenant)) : kv.atomic().set(key(tenant), tier)).commit();
    },
  };
}

export function createKvAuditLog(kv: Kv, prefix: KvKey): AuditLog {
  const head: KvKey = [...prefix, "audithead"];
  const queue = serialQueue(); // this process's appends in call order; the head check orders them against others'
  return {
    append: (input) =>
      queue(() =>
        transact(async () => {
          const last = await kv.get<number>(head);
          const entry: AuditEntry = { ...input, seq: (last.value ?? 0) + 1 };
          const op = kv
            .atomic()
            .check(last)
            .set(head, entry.seq)
            .set([...prefix, "audit", entry.seq], entry);
          if (entry.tenant !== null) op.set([...prefix, "audittenant", entry.tenant], true);
          return { op, result: entry };
        }),
      ),
    async list(afterSeq, limit) {
      const from: KvKey = [...prefix, "audit", afterSeq + 1];
      const entries = await listAll<AuditEntry>(kv, { prefix: [...prefix, "audit"], start: from }, limit);
      return entries.map((e) => e.value);
    },
    async tenants() {
      const marks = await listAll<boolean>(kv, { prefix: [...prefix, "audittenant"] });
      return marks.map((m) => m.key[m.key.length - 1] as string).sort();
    },
  };
}
