// API keys (types.ts) in SQL: beside the ledger in the SQLite file (Node) and in each tenant's TenantLedger
// Durable Object (Workers). Synchronous over a SqlPort; the callers hash the key (format.ts) first.
import type { SqlPort } from "../storage/sql-port.ts";
import type { ApiKeyRecord } from "./types.ts";

export const API_KEY_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS api_keys (
     id TEXT PRIMARY KEY, tenant TEXT NOT NULL, tier TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL,
     name TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, last_used_at INTEGER, revoked_at INTEGER)`,
  "CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant, created_at)",
];

const COLUMNS = "id, tenant, tier, hash, prefix, name, created_at, expires_at, last_used_at, revoked_at";

export class SqlKeyCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of API_KEY_SCHEMA) db.all(stmt);
  }

  create(r: ApiKeyRecord): void {
    this.db.all(
      `INSERT INTO api_keys (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id,
      r.tenant,
      r.tier,
      r.hash,
      r.prefix,
      r.name,
      r.created_at,
      r.expires_at,
      r.last_used_at,
      r.revoked_at,
    );
  }

  findByHash(hash: string): ApiKeyRecord | null {
    return this.db.all<ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys WHERE hash = ?`, hash)[0] ?? null;
  }

  list(tenant: string): ApiKeyRecord[] {
    return this.db.all<ApiKeyRecord>(
      `SELECT ${COLUMNS} FROM api_keys WHERE tenant = ? ORDER BY created_at, id`,
      tenant,
    );
  }

  revoke(tenant: string, id: string, now: number): ApiKeyRecord | null {
    return this.db.tx(() => {
      this.db.all(
        "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND tenant = ? AND revoked_at IS NULL",
        now,
        id,
        tenant,
      );
      return (
        this.db.all<ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ? AND tenant = ?`, id, tenant)[0] ?? null
      );
    });
  }

  touch(tenant: string, id: string, now: number): void {
    this.db.all(
      "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND tenant = ? AND (last_used_at IS NULL OR last_used_at < ?)",
      now,
      id,
      tenant,
      now,
    );
  }
}
