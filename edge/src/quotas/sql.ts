// Per-tenant quota overrides (types.ts) in SQL: beside the ledger in the SQLite file (Node) and in each tenant's
// TenantLedger Durable Object (Workers).
import type { SqlPort } from "../storage/sql-port.ts";
import { checkQuota } from "../ledger/validate.ts";

/** Created on open; `IF NOT EXISTS` makes opening idempotent, and a file from before it simply gains the table. */
export const QUOTA_SCHEMA: readonly string[] = [
  "CREATE TABLE IF NOT EXISTS tenant_quotas (tenant TEXT PRIMARY KEY, monthly_quota_nfe INTEGER NOT NULL)",
];

export class SqlQuotaCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of QUOTA_SCHEMA) db.all(stmt);
  }

  get(tenant: string): number | null {
    const row = this.db.all<{ q: number }>("SELECT monthly_quota_nfe AS q FROM tenant_quotas WHERE tenant = ?", tenant);
    return row[0]?.q ?? null;
  }

  set(tenant: string, quotaNfe: number | null): void {
    if (quotaNfe === null) {
      this.db.all("DELETE FROM tenant_quotas WHERE tenant = ?", tenant);
      return;
    }
    this.db.all(
      `INSERT INTO tenant_quotas (tenant, monthly_quota_nfe) VALUES (?, ?)
       ON CONFLICT (tenant) DO UPDATE SET monthly_quota_nfe = excluded.monthly_quota_nfe`,
      tenant,
      checkQuota(quotaNfe),
    );
  }
}
