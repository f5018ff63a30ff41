// The few SQL operations the SQL-backed stores need (ledger, idempotency keys, rate buckets), so one core runs on
// better-sqlite3 (Node) and on a Durable Object's `ctx.storage.sql` (Workers) alike. Runtime-neutral: no driver here.

export type SqlValue = string | number | null;

export interface SqlPort {
  /** Run one statement with positional `?` parameters; the rows it returns (none for writes). */
  all<T>(sql: string, ...params: SqlValue[]): T[];
  /** Run `fn` as one write transaction; a throw rolls everything back. Not reentrant. */
  tx<T>(fn: () => T): T;
}
