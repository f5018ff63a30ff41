// Verify an API key (apikeys/): the record is read from its store on every request, so a revoke takes effect on the
// very next one on every runtime; only the last-used time is written lazily.
import type { Tiers } from "@guidegate/shared";
import { type KeyStore, LAST_USED_EVERY_MS } from "../apikeys/types.ts";
import { unauthorized } from "../errors.ts";
import { edgeLog, errorFields } from "../observability/log.ts";
import type { Caller } from "./caller.ts";

export interface ApiKeyVerifier {
  verify(key: string, nowMs: number): Promise<Caller>;
}

/** At most this many keys remembered as touched recently by this process (oldest forgotten first). */
const TOUCHED_ENTRIES = 10_000;

export function apiKeyVerifier(store: KeyStore, tiers: Tiers): ApiKeyVerifier {
  // When this process last wrote each key's last-used time: concurrent requests on one key write once.
  const touched = new Map<string, number>();
  const touch = (tenant: string, id: string, lastUsedMs: number | null, nowMs: number) => {
    const last = Math.max(lastUsedMs ?? Number.NEGATIVE_INFINITY, touched.get(id) ?? Number.NEGATIVE_INFINITY);
    if (nowMs - last < LAST_USED_EVERY_MS) return;
    if (touched.size >= TOUCHED_ENTRIES) touched.delete(touched.keys().next().value!);
    touched.set(id, nowMs);
    store
      .touch(tenant, id, nowMs)
      .catch((err) => edgeLog.warn("API key last-used update failed: {error}", errorFields(err)));
  };
  return {
    async verify(key, nowMs) {
      const rec = await store.find(key);
      if (!rec) throw unauthorized("invalid_api_key", "The API key is not valid.");
      if (rec.revoked_at !== null) throw unauthorized("api_key_revoked", "The API key has been revoked.");
      if (rec.expires_at !== null && nowMs >= rec.expires_at)
        throw unauthorized("api_key_expired", "The API key has expired.");
      if (!Object.hasOwn(tiers, rec.tier)) throw unauthorized("unknown_tier", "The API key's tier is not known.");
      touch(rec.tenant, rec.id, rec.last_used_at, nowMs);
      return { tenant: rec.tenant, tierName: rec.tier, tier: tiers[rec.tier]! };
    },
  };
}
