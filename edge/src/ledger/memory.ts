// In-process Ledger and IdempotencyStore for unit tests and single-process dev. Each method does all its work
// before its first await, so calls are atomic with respect to each other, like one SQLite transaction.

import { type LedgerOptions, leaseOver, RESERVATION_LEASE_MS, settleable } from "./lease.ts";
import {
  IDEMPOTENCY_TTL_MS,
  type IdempotencyBegin,
  type IdempotencyRecord,
  type IdempotencyStore,
  type JobCursor,
  type JobTerms,
  type Ledger,
  periodOf,
  type Reservation,
  type ReserveResult,
  type TenantUsage,
  type UsageReport,
} from "./types.ts";
import {
  addTotals,
  byCursor,
  emptyTotals,
  makeReport,
  makeUsage,
  openReservation,
  type PeriodTotals,
  settleTotals,
} from "./usage.ts";
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

const totalsKey = (tenant: string, period: string): string => `${tenant}\u0000${period}`;

class MemoryLedger implements Ledger {
  private readonly jobs = new Map<string, Reservation>();
  private readonly totals = new Map<string, PeriodTotals>();
  private readonly open = new Map<string, Set<Reservation>>(); // tenant -> its open reservations, for the lease sweep
  private readonly settled = new Map<string, Reservation[]>(); // (tenant, period) -> its settled rows, for reports

  constructor(private readonly leaseMs: number) {}

  async reserve(
    tenant: string,
    jobId: string,
    nfe: number,
    quota: number,
    now: number,
    terms: JobTerms,
  ): Promise<ReserveResult> {
    checkNfe(nfe);
    checkQuota(quota);
    checkNow(now);
    checkTerms(terms);
    if (this.jobs.has(jobId)) return { ok: false, reason: "duplicate_job" };
    this.expire(tenant, now);
    const period = periodOf(now);
    const t = this.totalsOf(tenant, period);
    if (t.used + t.reserved + nfe > quota) {
      return { ok: false, reason: "quota_exhausted", usage: makeUsage(tenant, period, quota, t) };
    }
    const reservation = openReservation(jobId, tenant, nfe, period, now, terms);
    this.jobs.set(jobId, reservation);
    this.openOf(tenant).add(reservation);
    t.reserved += nfe;
    return { ok: true, reservation: { ...reservation } };
  }

  async settle(jobId: string, spent: number, now: number): Promise<boolean> {
    const want = normalizeSpent(spent);
    checkNow(now);
    const r = this.jobs.get(jobId);
    if (!r || !settleable(r)) return false;
    const late = r.state !== "reserved" || leaseOver(r.created_at, now, this.leaseMs);
    const s = Math.min(want, r.reserved);
    addTotals(this.totalsOf(r.tenant, r.period), settleTotals(r, s, late));
    this.openOf(r.tenant).delete(r);
    r.state = "settled";
    r.spent = s;
    r.settled_at = now;
    r.expired_at ??= late ? now : null;
    this.settledOf(r.tenant, r.period).push(r);
    return true;
  }

  async void(jobId: string): Promise<boolean> {
    const r = this.jobs.get(jobId);
    if (r?.state !== "reserved") return false;
    this.end(r);
    return true;
  }

  async usage(tenant: string, quota: number, now: number): Promise<TenantUsage> {
    checkQuota(quota);
    const period = periodOf(checkNow(now));
    this.expire(tenant, now);
    return makeUsage(tenant, period, quota, this.totals.get(totalsKey(tenant, period)) ?? emptyTotals());
  }

  async report(tenant: string, quota: number, now: number, period: string): Promise<UsageReport> {
    checkPeriod(period);
    checkQuota(quota);
    this.expire(tenant, checkNow(now));
    const usage = makeUsage(tenant, period, quota, this.totals.get(totalsKey(tenant, period)) ?? emptyTotals());
    return makeReport(usage, this.settled.get(totalsKey(tenant, period)) ?? []);
  }

  async settledJobs(tenant: string, period: string, after: JobCursor | null, limit: number): Promise<Reservation[]> {
    checkPeriod(period);
    checkPage(after, limit);
    const rows = [...(this.settled.get(totalsKey(tenant, period)) ?? [])].sort(byCursor);
    const from = after ? rows.findIndex((r) => byCursor(r, after) > 0) : 0;
    return (from < 0 ? [] : rows.slice(from, from + limit)).map((r) => ({ ...r }));
  }

  async get(jobId: string): Promise<Reservation | null> {
    const r = this.jobs.get(jobId);
    return r ? { ...r } : null;
  }

  private end(r: Reservation): void {
    r.state = "voided";
    this.totalsOf(r.tenant, r.period).reserved -= r.reserved;
    this.openOf(r.tenant).delete(r);
  }

  /** Releases `tenant`'s open reservations whose lease ran out by `now`, marking them expired (a settle may follow). */
  private expire(tenant: string, now: number): void {
    const open = this.open.get(tenant);
    if (!open) return;
    for (const r of open) {
      if (!leaseOver(r.created_at, now, this.leaseMs)) continue;
      this.end(r);
      r.expired_at = now;
    }
    if (open.size === 0) this.open.delete(tenant);
  }

  private openOf(tenant: string): Set<Reservation> {
    let set = this.open.get(tenant);
    if (!set) {
      set = new Set();
      this.open.set(tenant, set);
    }
    return set;
  }

  private settledOf(tenant: string, period: string): Reservation[] {
    const key = totalsKey(tenant, period);
    let rows = this.settled.get(key);
    if (!rows) {
      rows = [];
      this.settled.set(key, rows);
    }
    return rows;
  }

  private totalsOf(tenant: string, period: string): PeriodTotals {
    const key = totalsKey(tenant, period);
    let t = this.totals.get(key);
    if (!t) {
      t = emptyTotals();
      this.totals.set(key, t);
    }
    return t;
  }
}

class MemoryIdempotencyStore implements IdempotencyStore {
  // Insertion order is claim order, so expired records sit at the front and the sweep stops at the first live one.
  private readonly records = new Map<string, IdempotencyRecord>();

  async begin(rec: Omit<IdempotencyRecord, "state" | "status" | "response">, now: number): Promise<IdempotencyBegin> {
    checkNow(now);
    this.sweep(now);
    const k = totalsKey(rec.tenant, rec.key);
    const found = this.records.get(k);
    if (found && found.created_at > now - IDEMPOTENCY_TTL_MS) return { kind: "existing", record: { ...found } };
    this.records.delete(k);
    this.records.set(k, {
      tenant: rec.tenant,
      key: rec.key,
      fingerprint: rec.fingerprint,
      job_id: rec.job_id,
      state: "running",
      status: null,
      response: null,
      created_at: rec.created_at,
    });
    return { kind: "new" };
  }

  async finish(tenant: string, key: string, status: number, response: string): Promise<void> {
    const r = this.records.get(totalsKey(tenant, key));
    if (r?.state !== "running") return;
    r.state = "done";
    r.status = status;
    r.response = response;
  }

  async release(tenant: string, key: string): Promise<void> {
    const k = totalsKey(tenant, key);
    if (this.records.get(k)?.state === "running") this.records.delete(k);
  }

  private sweep(now: number): void {
    for (const [k, r] of this.records) {
      if (r.created_at > now - IDEMPOTENCY_TTL_MS) break;
      this.records.delete(k);
    }
  }
}

/** A Ledger held in process memory (lost on restart). */
export function createMemoryLedger(options: LedgerOptions = {}): Ledger {
  return new MemoryLedger(checkLease(options.leaseMs ?? RESERVATION_LEASE_MS));
}

/** An IdempotencyStore held in process memory (lost on restart). */
export function createMemoryIdempotencyStore(): IdempotencyStore {
  return new MemoryIdempotencyStore();
}
