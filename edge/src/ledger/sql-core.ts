// Ledger and idempotency logic over a SqlPort: the single implementation behind sqlite.ts (Node) and the
// TenantLedger Durable Object (Workers, durable/tenant-ledger.ts). Synchronous on purpose: each call is one
// transaction with no await inside.
import type { SqlPort } from "../storage/sql-port.ts";
import {
  IDEMPOTENCY_TTL_MS,
  type IdempotencyBegin,
  type IdempotencyRecord,
  type JobCursor,
  type JobTerms,
  periodOf,
  type Reservation,
  type ReservationState,
  type ReserveResult,
  type TenantUsage,
  type UsageBucket,
  type UsageReport,
} from "./types.ts";
import { leaseOver, settleable } from "./lease.ts";
import { emptyTotals, makeUsage, openReservation, type PeriodTotals, settleTotals } from "./usage.ts";
import {
  checkLease,
  checkNfe,
  checkNow,
  checkPage,
  checkPeriod,
  checkQuota,
  checkTerms,
  normalizeSpent,
} from "./validate.ts";

/** Created on open; `IF NOT EXISTS` makes opening idempotent. */
export const LEDGER_SCHEMA: readonly string[] = [
  // price_micro_usd_per_nfe, tier and policy are NULL only in rows reserved before they were recorded (see
  // LEDGER_COLUMNS).
  `CREATE TABLE IF NOT EXISTS ledger_reservations (
     job_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, reserved INTEGER NOT NULL, spent INTEGER,
     state TEXT NOT NULL CHECK (state IN ('reserved', 'settled', 'voided')),
     period TEXT NOT NULL, created_at INTEGER NOT NULL, price_micro_usd_per_nfe REAL, tier TEXT, policy TEXT,
     settled_at INTEGER, expired_at INTEGER)`,
  // Only open reservations are indexed: the lease sweep looks for a tenant's oldest open ones.
  "CREATE INDEX IF NOT EXISTS ledger_open ON ledger_reservations (tenant, created_at) WHERE state = 'reserved'",
  // A period's settled rows in export order: the report's GROUP BYs and the paged export read only these.
  `CREATE INDEX IF NOT EXISTS ledger_settled ON ledger_reservations (tenant, period, created_at, job_id)
     WHERE state = 'settled'`,
  // Running totals per (tenant, month) so the quota check is one indexed row, not a SUM over history.
  // cost_micro_usd: what the period's settles billed; unpriced: settled NFEs of rows that carry no price;
  // late_settled: settled NFEs of rows whose lease had run out first.
  `CREATE TABLE IF NOT EXISTS ledger_totals (
     tenant TEXT NOT NULL, period TEXT NOT NULL, used INTEGER NOT NULL, reserved INTEGER NOT NULL,
     cost_micro_usd REAL NOT NULL DEFAULT 0, unpriced INTEGER NOT NULL DEFAULT 0,
     late_settled INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (tenant, period))`,
  `CREATE TABLE IF NOT EXISTS idempotency_keys (
     tenant TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL, job_id TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('running', 'done')), status INTEGER, response TEXT,
     created_at INTEGER NOT NULL, PRIMARY KEY (tenant, key))`,
  "CREATE INDEX IF NOT EXISTS idempotency_keys_created ON idempotency_keys (created_at)",
];

/** Columns added since the first schema, for files and objects created before them (SQLite has no
 * `ADD COLUMN IF NOT EXISTS`); `backfill` says what the rows already there mean. */
export const LEDGER_COLUMNS: readonly { table: string; column: string; type: string; backfill?: string }[] = [
  // Reserved before prices were recorded: NULL, and their settles count as unpriced.
  { table: "ledger_reservations", column: "price_micro_usd_per_nfe", type: "REAL" },
  // Reserved before tiers and policies were recorded: NULL, grouped apart in breakdowns.
  { table: "ledger_reservations", column: "tier", type: "TEXT" },
  { table: "ledger_reservations", column: "policy", type: "TEXT" },
  // Settled before settle times were recorded: NULL. Voided by the lease before expiries were recorded: NULL too,
  // so such a row reads as voided by the edge and a settle still arriving for it is refused, as it was then.
  { table: "ledger_reservations", column: "settled_at", type: "INTEGER" },
  { table: "ledger_reservations", column: "expired_at", type: "INTEGER" },
  // Late settles were dropped unbilled before, so none of what was used was settled late: 0 is the truth.
  { table: "ledger_totals", column: "late_settled", type: "INTEGER NOT NULL DEFAULT 0" },
  { table: "ledger_totals", column: "cost_micro_usd", type: "REAL NOT NULL DEFAULT 0" },
  // Everything already used was settled without a price.
  {
    table: "ledger_totals",
    column: "unpriced",
    type: "INTEGER NOT NULL DEFAULT 0",
    backfill: "UPDATE ledger_totals SET unpriced = used",
  },
];

/** Adds whatever LEDGER_COLUMNS lists and the tables lack, in one transaction, so that of two processes opening
 * an old file at once, the second sees the columns the first added and does nothing. */
function migrateLedger(db: SqlPort): void {
  db.tx(() => {
    for (const { table, column, type, backfill } of LEDGER_COLUMNS) {
      const has = db.all("SELECT 1 FROM pragma_table_info(?) WHERE name = ?", table, column).length > 0;
      if (has) continue;
      db.all(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
      if (backfill) db.all(backfill);
    }
  });
}

interface ReservationRow {
  job_id: string;
  tenant: string;
  reserved: number;
  spent: number | null;
  state: ReservationState;
  period: string;
  created_at: number;
  price_micro_usd_per_nfe: number | null;
  tier: string | null;
  policy: string | null;
  settled_at: number | null;
  expired_at: number | null;
}

/** Every column of a reservation, in ReservationRow's order. */
const RESERVATION_COLUMNS = `job_id, tenant, reserved, spent, state, period, created_at, price_micro_usd_per_nfe,
  tier, policy, settled_at, expired_at`;

/** One breakdown of a period's settled rows, grouped by the SQL expression `key`, as UsageBucket columns. */
const bucketQuery = (key: string): string => `
  SELECT ${key} AS key, SUM(spent) AS used,
    SUM(CASE WHEN price_micro_usd_per_nfe IS NULL THEN 0 ELSE spent * price_micro_usd_per_nfe END) AS cost_micro_usd,
    SUM(CASE WHEN price_micro_usd_per_nfe IS NULL THEN spent ELSE 0 END) AS unpriced, COUNT(*) AS jobs
  FROM ledger_reservations WHERE tenant = ? AND period = ? AND state = 'settled'
  GROUP BY key ORDER BY key`;
// The UTC day the job was reserved (dayOf); `/ 1000.0` keeps the fraction, so a time before 1970 rounds down too.
const BY_DAY = bucketQuery("strftime('%Y-%m-%d', created_at / 1000.0, 'unixepoch')");
const BY_POLICY = bucketQuery("policy");

type BucketRow = UsageBucket & { key: string | null };

const toReservation = (r: ReservationRow): Reservation => ({
  job_id: r.job_id,
  tenant: r.tenant,
  reserved: r.reserved,
  spent: r.spent,
  state: r.state,
  period: r.period,
  created_at: r.created_at,
  price_micro_usd_per_nfe: r.price_micro_usd_per_nfe,
  tier: r.tier,
  policy: r.policy,
  settled_at: r.settled_at,
  expired_at: r.expired_at,
});

export class SqlLedgerCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of LEDGER_SCHEMA) db.all(stmt);
    migrateLedger(db);
  }

  reserve(
    tenant: string,
    jobId: string,
    nfe: number,
    quota: number,
    now: number,
    terms: JobTerms,
    leaseMs: number,
  ): ReserveResult {
    checkNfe(nfe);
    checkQuota(quota);
    checkNow(now);
    checkTerms(terms);
    checkLease(leaseMs);
    const period = periodOf(now);
    return this.db.tx((): ReserveResult => {
      if (this.row(jobId)) return { ok: false, reason: "duplicate_job" };
      this.expire(tenant, now, leaseMs);
      const t = this.totals(tenant, period);
      if (t.used + t.reserved + nfe > quota) {
        return { ok: false, reason: "quota_exhausted", usage: makeUsage(tenant, period, quota, t) };
      }
      const reservation = openReservation(jobId, tenant, nfe, period, now, terms);
      this.insert(reservation);
      this.addTotals(tenant, period, { reserved: nfe });
      return { ok: true, reservation };
    });
  }

  settle(jobId: string, spent: number, now: number, leaseMs: number): boolean {
    const want = normalizeSpent(spent);
    checkNow(now);
    checkLease(leaseMs);
    return this.db.tx(() => {
      const r = this.row(jobId);
      if (!r || !settleable(r)) return false;
      const late = r.state !== "reserved" || leaseOver(r.created_at, now, leaseMs);
      const s = Math.min(want, r.reserved);
      this.db.all(
        `UPDATE ledger_reservations SET state = 'settled', spent = ?, settled_at = ?, expired_at = COALESCE(expired_at, ?)
         WHERE job_id = ?`,
        s,
        now,
        late ? now : null,
        jobId,
      );
      this.addTotals(r.tenant, r.period, settleTotals(r, s, late));
      return true;
    });
  }

  void(jobId: string): boolean {
    return this.db.tx(() => {
      const r = this.row(jobId);
      if (r?.state !== "reserved") return false;
      this.db.all("UPDATE ledger_reservations SET state = 'voided' WHERE job_id = ?", jobId);
      this.addTotals(r.tenant, r.period, { reserved: -r.reserved });
      return true;
    });
  }

  usage(tenant: string, quota: number, now: number, leaseMs: number): TenantUsage {
    checkQuota(quota);
    checkLease(leaseMs);
    const period = periodOf(checkNow(now));
    return this.db.tx(() => {
      this.expire(tenant, now, leaseMs);
      return makeUsage(tenant, period, quota, this.totals(tenant, period));
    });
  }

  report(tenant: string, quota: number, now: number, period: string, leaseMs: number): UsageReport {
    checkPeriod(period);
    checkQuota(quota);
    checkNow(now);
    checkLease(leaseMs);
    return this.db.tx(() => {
      this.expire(tenant, now, leaseMs);
      const buckets = (sql: string) => this.db.all<BucketRow>(sql, tenant, period);
      return {
        ...makeUsage(tenant, period, quota, this.totals(tenant, period)),
        by_day: buckets(BY_DAY).map(({ key, ...b }) => ({ day: key ?? "", ...b })),
        by_policy: buckets(BY_POLICY).map(({ key, ...b }) => ({ policy: key, ...b })),
      };
    });
  }

  settledJobs(tenant: string, period: string, after: JobCursor | null, limit: number): Reservation[] {
    checkPeriod(period);
    checkPage(after, limit);
    const from = after ?? { created_at: -Number.MAX_VALUE, job_id: "" }; // before every row
    return this.db
      .all<ReservationRow>(
        `SELECT ${RESERVATION_COLUMNS} FROM ledger_reservations
         WHERE tenant = ? AND period = ? AND state = 'settled' AND (created_at, job_id) > (?, ?)
         ORDER BY created_at, job_id LIMIT ?`,
        tenant,
        period,
        from.created_at,
        from.job_id,
        limit,
      )
      .map(toReservation);
  }

  get(jobId: string): Reservation | null {
    const r = this.row(jobId);
    return r ? toReservation(r) : null;
  }

  begin(rec: Omit<IdempotencyRecord, "state" | "status" | "response">, now: number): IdempotencyBegin {
    checkNow(now);
    return this.db.tx((): IdempotencyBegin => {
      // Lazy expiry: keeps the table bounded without an alarm or a cron.
      this.db.all("DELETE FROM idempotency_keys WHERE created_at <= ?", now - IDEMPOTENCY_TTL_MS);
      const found = this.db.all<IdempotencyRecord>(
        "SELECT tenant, key, fingerprint, job_id, state, status, response, created_at FROM idempotency_keys WHERE tenant = ? AND key = ?",
        rec.tenant,
        rec.key,
      )[0];
      if (found) return { kind: "existing", record: { ...found } };
      this.db.all(
        "INSERT INTO idempotency_keys (tenant, key, fingerprint, job_id, state, status, response, created_at) VALUES (?, ?, ?, ?, 'running', NULL, NULL, ?)",
        rec.tenant,
        rec.key,
        rec.fingerprint,
        rec.job_id,
        rec.created_at,
      );
      return { kind: "new" };
    });
  }

  finish(tenant: string, key: string, status: number, response: string): void {
    this.db.all(
      "UPDATE idempotency_keys SET state = 'done', status = ?, response = ? WHERE tenant = ? AND key = ? AND state = 'running'",
      status,
      response,
      tenant,
      key,
    );
  }

  release(tenant: string, key: string): void {
    this.db.all("DELETE FROM idempotency_keys WHERE tenant = ? AND key = ? AND state = 'running'", tenant, key);
  }

  /** Releases `tenant`'s open reservations whose lease ran out by `now`, marking them expired (a settle may follow). */
  private expire(tenant: string, now: number, leaseMs: number): void {
    const stale = this.db.all<ReservationRow>(
      "SELECT job_id, tenant, reserved, period FROM ledger_reservations WHERE tenant = ? AND state = 'reserved' AND created_at <= ?",
      tenant,
      now - leaseMs, // leaseOver's test, written so the partial index ledger_open serves it
    );
    for (const r of stale) {
      this.db.all("UPDATE ledger_reservations SET state = 'voided', expired_at = ? WHERE job_id = ?", now, r.job_id);
      this.addTotals(r.tenant, r.period, { reserved: -r.reserved });
    }
  }

  private insert(r: Reservation): void {
    this.db.all(
      `INSERT INTO ledger_reservations (${RESERVATION_COLUMNS}) VALUES (?, ?, ?, NULL, 'reserved', ?, ?, ?, ?, ?, NULL, NULL)`,
      r.job_id,
      r.tenant,
      r.reserved,
      r.period,
      r.created_at,
      r.price_micro_usd_per_nfe,
      r.tier,
      r.policy,
    );
  }

  private row(jobId: string): ReservationRow | undefined {
    return this.db.all<ReservationRow>(
      `SELECT ${RESERVATION_COLUMNS} FROM ledger_reservations WHERE job_id = ?`,
      jobId,
    )[0];
  }

  private totals(tenant: string, period: string): PeriodTotals {
    return (
      this.db.all<PeriodTotals>(
        "SELECT used, reserved, cost_micro_usd, unpriced, late_settled FROM ledger_totals WHERE tenant = ? AND period = ?",
        tenant,
        period,
      )[0] ?? emptyTotals()
    );
  }

  /** Adds `d` to the (tenant, period) row; fields left out add nothing. */
  private addTotals(tenant: string, period: string, d: Partial<PeriodTotals>): void {
    this.db.all(
      `INSERT INTO ledger_totals (tenant, period, used, reserved, cost_micro_usd, unpriced, late_settled)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tenant, period) DO UPDATE SET used = used + excluded.used, reserved = reserved + excluded.reserved,
         cost_micro_usd = cost_micro_usd + excluded.cost_micro_usd, unpriced = unpriced + excluded.unpriced,
         late_settled = late_settled + excluded.late_settled`,
      tenant,
      period,
      d.used ?? 0,
      d.reserved ?? 0,
      d.cost_micro_usd ?? 0,
      d.unpriced ?? 0,
      d.late_settled ?? 0,
    );
  }
}
