// Ledger and IdempotencyStore on Deno KV. Every change is one atomic operation that checks the versionstamps of
// what it read (transact), so concurrent reserves cannot oversell a quota and a reservation ends exactly once.
// Keys, under the stores' prefix:
//   res/<job>                                 the reservation (the truth about a job)
//   tot/<tenant>/<period>                     the period's running totals (the quota check reads one key)
//   open/<tenant>/<created_at>/<job>          open reservations, oldest first, for the lease sweep
//   settled/<tenant>/<period>/<created_at>/<job>   settled rows in export order, for reports and paging
//   idem/<tenant>/<key>                       idempotency records (expireIn drops them after the TTL)
import { leaseOver, settleable } from "../ledger/lease.ts";
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
} from "../ledger/types.ts";
import {
  emptyTotals,
  makeReport,
  makeUsage,
  openReservation,
  type PeriodTotals,
  settleTotals,
} from "../ledger/usage.ts";
import {
  checkNfe,
  checkNow,
  checkPage,
  checkPeriod,
  checkQuota,
  checkTerms,
  normalizeSpent,
} from "../ledger/validate.ts";
import { KV_MAX_CHECKS, type Kv, type KvAtomic, type KvKey, listAll, serialQueue, transact } from "./kv.ts";

/** Listings of a period's settled rows before a report gives up on one that no settle changed meanwhile. */
const REPORT_ATTEMPTS = 50;

/** Expired reservations released per atomic operation: each costs up to two checks (its row, its period's totals). */
const SWEEP_BATCH = Math.floor(KV_MAX_CHECKS / 2);

class Keys {
  constructor(private readonly p: KvKey) {}
  res = (jobId: string): KvKey => [...this.p, "res", jobId];
  tot = (tenant: string, period: string): KvKey => [...this.p, "tot", tenant, period];
  openOf = (tenant: string): KvKey => [...this.p, "open", tenant];
  open = (r: Reservation): KvKey => [...this.openOf(r.tenant), r.created_at, r.job_id];
  settledOf = (tenant: string, period: string): KvKey => [...this.p, "settled", tenant, period];
  settled = (r: Reservation): KvKey => [...this.settledOf(r.tenant, r.period), r.created_at, r.job_id];
  idem = (tenant: string, key: string): KvKey => [...this.p, "idem", tenant, key];
}

/** Changes to period totals within one transaction: read, checked and written together by `apply`. */
class TotalsChange {
  private readonly deltas = new Map<string, { key: KvKey; d: Partial<PeriodTotals>[] }>();

  add(key: KvKey, d: Partial<PeriodTotals>): void {
    const id = JSON.stringify(key.map(String));
    const entry = this.deltas.get(id) ?? { key, d: [] };
    entry.d.push(d);
    this.deltas.set(id, entry);
  }

  async apply(kv: Kv, op: KvAtomic): Promise<void> {
    const rows = [...this.deltas.values()];
    const found = await kv.getMany<PeriodTotals[]>(rows.map((r) => r.key));
    rows.forEach(({ key, d }, i) => {
      const entry = found[i]!;
      const t = { ...emptyTotals(), ...(entry.value ?? {}) };
      for (const part of d) for (const k of Object.keys(part) as (keyof PeriodTotals)[]) t[k] += part[k] ?? 0;
      op.check(entry).set(key, t);
    });
  }
}

class KvLedger implements Ledger {
  private readonly k: Keys;
  private readonly serial = serialQueue();

  constructor(
    private readonly kv: Kv,
    prefix: KvKey,
    private readonly leaseMs: number,
  ) {
    this.k = new Keys(prefix);
  }

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
    if ((await this.kv.get(this.k.res(jobId))).value !== null) return { ok: false, reason: "duplicate_job" };
    return this.serial(() => this.reserveNow(tenant, jobId, nfe, quota, now, terms));
  }

  private async reserveNow(
    tenant: string,
    jobId: string,
    nfe: number,
    quota: number,
    now: number,
    terms: JobTerms,
  ): Promise<ReserveResult> {
    // The sweep commits first, on its own: the totals this transaction reads already have the expired holds
    // released, as the SQL store's one transaction would.
    await this.sweep(tenant, now);
    const period = periodOf(now);
    return transact<ReserveResult>(async () => {
      const [res, tot] = await this.kv.getMany<[Reservation, PeriodTotals]>([
        this.k.res(jobId),
        this.k.tot(tenant, period),
      ]);
      if (res.value !== null) return { op: null, result: { ok: false, reason: "duplicate_job" } };
      const t = tot.value ?? emptyTotals();
      if (t.used + t.reserved + nfe > quota) {
        return {
          op: null,
          result: { ok: false, reason: "quota_exhausted", usage: makeUsage(tenant, period, quota, t) },
        };
      }
      const r = openReservation(jobId, tenant, nfe, period, now, terms);
      const op = this.kv
        .atomic()
        .check(res, tot)
        .set(this.k.res(jobId), r)
        .set(this.k.open(r), jobId)
        .set(this.k.tot(tenant, period), { ...t, reserved: t.reserved + nfe });
      return { op, result: { ok: true, reservation: { ...r } } };
    });
  }

  async settle(jobId: string, spent: number, now: number): Promise<boolean> {
    const want = normalizeSpent(spent);
    checkNow(now);
    return this.serial(() => this.settleNow(jobId, want, now));
  }

  private settleNow(jobId: string, want: number, now: number): Promise<boolean> {
    return transact(async () => {
      const res = await this.kv.get<Reservation>(this.k.res(jobId));
      const r = res.value;
      if (r === null || !settleable(r)) return { op: null, result: false };
      const late = r.state !== "reserved" || leaseOver(r.created_at, now, this.leaseMs);
      const s = Math.min(want, r.reserved);
      const settled: Reservation = {
        ...r,
        state: "settled",
        spent: s,
        settled_at: now,
        expired_at: r.expired_at ?? (late ? now : null),
      };
      const op = this.kv.atomic().check(res).set(this.k.res(jobId), settled).set(this.k.settled(settled), settled);
      if (r.state === "reserved") op.delete(this.k.open(r));
      const totals = new TotalsChange();
      totals.add(this.k.tot(r.tenant, r.period), settleTotals(r, s, late));
      await totals.apply(this.kv, op);
      return { op, result: true };
    });
  }

  async void(jobId: string): Promise<boolean> {
    return this.serial(() => this.voidNow(jobId));
  }

  private voidNow(jobId: string): Promise<boolean> {
    return transact(async () => {
      const res = await this.kv.get<Reservation>(this.k.res(jobId));
      const r = res.value;
      if (r?.state !== "reserved") return { op: null, result: false };
      const op = this.kv
        .atomic()
        .check(res)
        .set(this.k.res(jobId), { ...r, state: "voided" })
        .delete(this.k.open(r));
      const totals = new TotalsChange();
      totals.add(this.k.tot(r.tenant, r.period), { reserved: -r.reserved });
      await totals.apply(this.kv, op);
      return { op, result: true };
    });
  }

  async usage(tenant: string, quota: number, now: number): Promise<TenantUsage> {
    checkQuota(quota);
    const period = periodOf(checkNow(now));
    await this.serial(() => this.sweep(tenant, now));
    const tot = await this.kv.get<PeriodTotals>(this.k.tot(tenant, period));
    return makeUsage(tenant, period, quota, tot.value ?? emptyTotals());
  }

  async report(tenant: string, quota: number, now: number, period: string): Promise<UsageReport> {
    checkPeriod(period);
    checkQuota(quota);
    await this.serial(() => this.sweep(tenant, checkNow(now)));
    // A settle writes its row and the totals together, so totals unchanged across the listing mean the rows
    // listed are exactly the ones the totals count.
    for (let i = 0; ; i++) {
      if (i === REPORT_ATTEMPTS) throw new Error(`kv: ${period} kept changing while its report was read`);
      const before = await this.kv.get<PeriodTotals>(this.k.tot(tenant, period));
      const rows = await listAll<Reservation>(this.kv, { prefix: this.k.settledOf(tenant, period) });
      const after = await this.kv.get<PeriodTotals>(this.k.tot(tenant, period));
      if (before.versionstamp !== after.versionstamp) continue;
      const usage = makeUsage(tenant, period, quota, before.value ?? emptyTotals());
      return makeReport(
        usage,
        rows.map((e) => e.value),
      );
    }
  }

  async settledJobs(tenant: string, period: string, after: JobCursor | null, limit: number): Promise<Reservation[]> {
    checkPeriod(period);
    checkPage(after, limit);
    const prefix = this.k.settledOf(tenant, period);
    if (after === null) return (await listAll<Reservation>(this.kv, { prefix }, limit)).map((e) => e.value);
    // `start` is inclusive: the cursor's own row, when it is one, comes first and is skipped.
    const start = [...prefix, after.created_at, after.job_id];
    const rows = await listAll<Reservation>(this.kv, { prefix, start }, limit + 1);
    const skip = rows[0]?.value.created_at === after.created_at && rows[0]?.value.job_id === after.job_id ? 1 : 0;
    return rows.slice(skip, skip + limit).map((e) => e.value);
  }

  async get(jobId: string): Promise<Reservation | null> {
    return (await this.kv.get<Reservation>(this.k.res(jobId))).value;
  }

  /** Releases `tenant`'s open reservations whose lease ran out by `now`, marking them expired (a settle may follow),
   * a few per atomic operation, oldest first. */
  private async sweep(tenant: string, now: number): Promise<void> {
    const cutoff = now - this.leaseMs; // leaseOver's test, as a bound on the open index
    for (;;) {
      const open = await listAll<string>(
        this.kv,
        { start: this.k.openOf(tenant), end: [...this.k.openOf(tenant), cutoff, "\uffff"] },
        SWEEP_BATCH,
      );
      if (open.length === 0) return;
      await transact(async () => {
        const found = await this.kv.getMany<Reservation[]>(open.map((e) => this.k.res(e.value)));
        const op = this.kv.atomic().check(...found);
        const totals = new TotalsChange();
        found.forEach((entry, i) => {
          op.delete(open[i]!.key); // an index entry outlives its reservation's end only if that end lost its write
          const r = entry.value;
          if (r?.state !== "reserved" || !leaseOver(r.created_at, now, this.leaseMs)) return;
          op.set(this.k.res(r.job_id), { ...r, state: "voided", expired_at: now });
          totals.add(this.k.tot(r.tenant, r.period), { reserved: -r.reserved });
        });
        await totals.apply(this.kv, op);
        return { op, result: undefined };
      });
      if (open.length < SWEEP_BATCH) return;
    }
  }
}

class KvIdempotencyStore implements IdempotencyStore {
  private readonly k: Keys;

  constructor(
    private readonly kv: Kv,
    prefix: KvKey,
  ) {
    this.k = new Keys(prefix);
  }

  async begin(rec: Omit<IdempotencyRecord, "state" | "status" | "response">, now: number): Promise<IdempotencyBegin> {
    checkNow(now);
    const key = this.k.idem(rec.tenant, rec.key);
    return transact<IdempotencyBegin>(async () => {
      const found = await this.kv.get<IdempotencyRecord>(key);
      // expireIn deletes on the store's own clock, at some point after the TTL; the TTL itself is read here.
      if (found.value !== null && found.value.created_at > now - IDEMPOTENCY_TTL_MS) {
        return { op: null, result: { kind: "existing", record: found.value } };
      }
      const record: IdempotencyRecord = {
        tenant: rec.tenant,
        key: rec.key,
        fingerprint: rec.fingerprint,
        job_id: rec.job_id,
        state: "running",
        status: null,
        response: null,
        created_at: rec.created_at,
      };
      const op = this.kv.atomic().check(found).set(key, record, { expireIn: IDEMPOTENCY_TTL_MS });
      return { op, result: { kind: "new" } };
    });
  }

  async finish(tenant: string, key: string, status: number, response: string): Promise<void> {
    await this.ifRunning(tenant, key, (op, k, r) =>
      op.set(k, { ...r, state: "done", status, response }, { expireIn: IDEMPOTENCY_TTL_MS }),
    );
  }

  async release(tenant: string, key: string): Promise<void> {
    await this.ifRunning(tenant, key, (op, k) => op.delete(k));
  }

  private async ifRunning(
    tenant: string,
    key: string,
    write: (op: KvAtomic, key: KvKey, r: IdempotencyRecord) => void,
  ): Promise<void> {
    const k = this.k.idem(tenant, key);
    await transact(async () => {
      const found = await this.kv.get<IdempotencyRecord>(k);
      if (found.value?.state !== "running") return { op: null, result: undefined };
      const op = this.kv.atomic().check(found);
      write(op, k, found.value);
      return { op, result: undefined };
    });
  }
}

export function createKvLedger(kv: Kv, prefix: KvKey, leaseMs: number): Ledger {
  return new KvLedger(kv, prefix, leaseMs);
}

export function createKvIdempotencyStore(kv: Kv, prefix: KvKey): IdempotencyStore {
  return new KvIdempotencyStore(kv, prefix);
}
