// Token buckets in SQL, for the TenantLedger Durable Object (its buckets survive eviction and restarts).
import type { SqlPort } from "../storage/sql-port.ts";
import { type BucketState, checkLimit, takeToken } from "./bucket.ts";
import type { RateDecision } from "./types.ts";

export const RATE_SCHEMA: readonly string[] = [
  "CREATE TABLE IF NOT EXISTS rate_buckets (tenant TEXT PRIMARY KEY, tokens REAL NOT NULL, updated_at REAL NOT NULL)",
];

export class SqlRateCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of RATE_SCHEMA) db.all(stmt);
  }

  take(tenant: string, limitPerMinute: number, now: number): RateDecision {
    checkLimit(limitPerMinute);
    return this.db.tx(() => {
      const prev = this.db.all<BucketState>("SELECT tokens, updated_at FROM rate_buckets WHERE tenant = ?", tenant)[0];
      const { state, decision } = takeToken(prev, limitPerMinute, now);
      this.db.all(
        `INSERT INTO rate_buckets (tenant, tokens, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (tenant) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at`,
        tenant,
        state.tokens,
        state.updated_at,
      );
      return decision;
    });
  }
}
