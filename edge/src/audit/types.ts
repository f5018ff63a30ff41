// The admin audit log: every admin action, appended and never changed or removed (the interface has no way to).
// Stores: memory (tests), Deno KV (Deno, kv/admin.ts), SQLite beside the ledger (Node), one AUDIT_OBJECT Durable Object (Workers: admin
// actions are rare, so one object for them all is no bottleneck and keeps one order); test/unit/audit/ runs the
// same suite against each.

export interface AuditEntry {
  /** Increasing per store: the order the actions were taken in, and the cursor for reading on. */
  seq: number;
  at: number;
  /** Who: the admin credential's name (`admin` for GG_ADMIN_TOKEN). */
  actor: string;
  /** What: `api_key.create`, `api_key.revoke`, `tenant.tier`, `tenant.quota`, `usage.read`, ... */
  action: string;
  /** The tenant acted on, or null for an action on the fleet. */
  tenant: string | null;
  /** The object acted on within it (a key id), or null. */
  target: string | null;
  request_id: string;
  /** The action's parameters as JSON (never a secret). */
  details: string | null;
}

export type AuditInput = Omit<AuditEntry, "seq">;

export const AUDIT_PAGE_MAX = 500;

export interface AuditLog {
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Up to `limit` (1 to AUDIT_PAGE_MAX) entries after `afterSeq` (0: from the first), oldest first. */
  list(afterSeq: number, limit: number): Promise<AuditEntry[]>;
  /** Every tenant named by an entry, sorted: the tenants the admin API has acted on. */
  tenants(): Promise<string[]>;
}
