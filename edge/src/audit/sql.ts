// The audit log (types.ts) in SQL: beside the ledger in the SQLite file (Node) and in the audit Durable Object
// (Workers). Only INSERT and SELECT are ever issued on the table.
import type { SqlPort } from "../storage/sql-port.ts";
import type { AuditEntry, AuditInput } from "./types.ts";

export const AUDIT_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS audit_log (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
     tenant TEXT, target TEXT, request_id TEXT NOT NULL, details TEXT)`,
];

const COLUMNS = "seq, at, actor, action, tenant, target, request_id, details";

export class SqlAuditCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of AUDIT_SCHEMA) db.all(stmt);
  }

  append(e: AuditInput): AuditEntry {
    return this.db.tx(() => {
      this.db.all(
        "INSERT INTO audit_log (at, actor, action, tenant, target, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?)",
        e.at,
        e.actor,
        e.action,
        e.tenant,
        e.target,
        e.request_id,
        e.details,
      );
      return this.db.all<AuditEntry>(`SELECT ${COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1`)[0]!;
    });
  }

  list(afterSeq: number, limit: number): AuditEntry[] {
    return this.db.all<AuditEntry>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?`,
      afterSeq,
      limit,
    );
  }

  tenants(): string[] {
    const rows = this.db.all<{ tenant: string }>(
      "SELECT DISTINCT tenant FROM audit_log WHERE tenant IS NOT NULL ORDER BY tenant",
    );
    return rows.map((r) => r.tenant);
  }
}
