// The shapes every store returns: period totals as TenantUsage, a new reservation, what a settle adds.
import type { JobTerms, PricedReservation, Reservation, TenantUsage } from "./types.ts";

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
