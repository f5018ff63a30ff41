// The shapes every store returns: period totals as TenantUsage, a new reservation, what a settle adds.
import {
  dayOf,
  type JobCursor,
  type JobTerms,
  type PricedReservation,
  type Reservation,
  type TenantUsage,
  type UsageBucket,
  type UsageReport,
} from "./types.ts";

/** A period's running totals, as every store keeps them (SQL: one ledger_totals row). */
export interface PeriodTotals {
  used: number;
  reserved: number;
  cost_micro_usd: number;
  unpriced: number;
  late_settled: number;
}

export const emptyTotals = (): PeriodTotals => ({
  used: 0,
  reserved: 0,
  cost_micro_usd: 0,
  unpriced: 0,
  late_settled: 0,
});

export function makeUsage(tenant: string, period: string, quota: number, t: PeriodTotals): TenantUsage {
  const { used, reserved, cost_micro_usd, unpriced, late_settled } = t;
  const remaining = Math.max(0, quota - used - reserved);
  return { tenant, period, quota, used, reserved, remaining, cost_micro_usd, unpriced, late_settled };
}

/** Adds `d` to `t` in place; fields left out add nothing (the memory store's twin of SQL's addTotals). */
export function addTotals(t: PeriodTotals, d: Partial<PeriodTotals>): void {
  for (const k of Object.keys(d) as (keyof PeriodTotals)[]) t[k] += d[k] ?? 0;
}

/** A fresh reservation: the one shape every store records on reserve. */
export function openReservation(
  jobId: string,
  tenant: string,
  nfe: number,
  period: string,
  now: number,
  terms: JobTerms,
): PricedReservation {
  return {
    job_id: jobId,
    tenant,
    reserved: nfe,
    spent: null,
    state: "reserved",
    period,
    created_at: now,
    price_micro_usd_per_nfe: terms.price_micro_usd_per_nfe,
    tier: terms.tier,
    policy: terms.policy,
    settled_at: null,
    expired_at: null,
  };
}

/** What settling `r` to `spent` NFEs adds to its period: the hold released unless the lease sweep released it
 * already, the NFEs used, billed at its price, and counted as late when the settle came after the lease. */
export function settleTotals(r: Reservation, spent: number, late: boolean): Partial<PeriodTotals> {
  return {
    used: spent,
    reserved: r.state === "reserved" ? -r.reserved : 0,
    late_settled: late ? spent : 0,
    ...settledTotals(spent, r.price_micro_usd_per_nfe),
  };
}

/** What settling `spent` NFEs adds to its period: their cost at the reservation's own price, or, for a row
 * reserved before prices were recorded, that many unpriced NFEs, kept apart rather than billed at a guess. */
export function settledTotals(spent: number, price: number | null): Pick<PeriodTotals, "cost_micro_usd" | "unpriced"> {
  return price === null ? { cost_micro_usd: 0, unpriced: spent } : { cost_micro_usd: spent * price, unpriced: 0 };
}

/** Groups settled rows by `keyOf` into buckets ordered by key, null first (SQL's ORDER BY on the same column). */
function bucketsBy<K extends string | null>(rows: readonly Reservation[], keyOf: (r: Reservation) => K) {
  const groups = new Map<K, UsageBucket>();
  for (const r of rows) {
    const k = keyOf(r);
    const b = groups.get(k) ?? { used: 0, cost_micro_usd: 0, unpriced: 0, jobs: 0 };
    const spent = r.spent ?? 0;
    const billed = settledTotals(spent, r.price_micro_usd_per_nfe);
    b.used += spent;
    b.cost_micro_usd += billed.cost_micro_usd;
    b.unpriced += billed.unpriced;
    b.jobs += 1;
    groups.set(k, b);
  }
  const order = (a: K, b: K): number => (a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1);
  return [...groups.entries()].sort(([a], [b]) => order(a, b));
}

/** The report of a period from its usage and its settled rows (the memory store; SQL groups with GROUP BY). */
export function makeReport(usage: TenantUsage, settled: readonly Reservation[]): UsageReport {
  return {
    ...usage,
    by_day: bucketsBy(settled, (r) => dayOf(r.created_at)).map(([day, b]) => ({ day, ...b })),
    by_policy: bucketsBy(settled, (r) => r.policy).map(([policy, b]) => ({ policy, ...b })),
  };
}

/** Orders settled rows as every store pages them: by (created_at, job_id). */
export const byCursor = (a: JobCursor, b: JobCursor): number =>
  a.created_at - b.created_at || (a.job_id < b.job_id ? -1 : a.job_id > b.job_id ? 1 : 0);
