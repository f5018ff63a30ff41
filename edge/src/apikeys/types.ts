// API keys: opaque bearer credentials for server-to-server customers, an alternative to JWTs. A key names its
// tenant and tier, may expire, and is revocable with effect on the very next request: every request reads the
// key's record from its store (no positive cache). Only the SHA-256 of a key is stored (format.ts); the key itself
// is shown once, when created. Stores: memory (tests), Deno KV (Deno, kv/admin.ts), SQLite beside the ledger (Node), the tenant's
// TenantLedger Durable Object (Workers); test/unit/apikeys/conformance.ts runs against each.

export interface ApiKeyRecord {
  /** Public id (`key_...`): what the admin API lists and revokes by. */
  id: string;
  tenant: string;
  tier: string;
  /** Hex SHA-256 of the whole key string. */
  hash: string;
  /** The key's first characters, for an operator to recognise it in a list (`gg_live_0a1b2c3d`). */
  prefix: string;
  name: string | null;
  created_at: number;
  /** ms since epoch, or null: never expires. */
  expires_at: number | null;
  /** Updated at most once a minute (LAST_USED_EVERY_MS), not per request. */
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface KeyStore {
  /** Stores a new key; throws on a duplicate id or hash. */
  create(rec: ApiKeyRecord): Promise<void>;
  /** The record of the presented key string (hashed here), revoked or expired ones included; null when unknown. */
  find(key: string): Promise<ApiKeyRecord | null>;
  /** The tenant's keys, oldest first, revoked ones included. */
  list(tenant: string): Promise<ApiKeyRecord[]>;
  /** Revokes the tenant's key `id` at `now`; the record after it, or null when the tenant has no such key. A key
   * revoked already keeps its first revocation time. */
  revoke(tenant: string, id: string, now: number): Promise<ApiKeyRecord | null>;
  /** Records a use at `now` (never moving last_used_at backwards). */
  touch(tenant: string, id: string, now: number): Promise<void>;
}

/** A key's last-used time is written when it is older than this: one write a minute per busy key, not per request. */
export const LAST_USED_EVERY_MS = 60_000;
