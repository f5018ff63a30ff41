// The shapes every store returns: period totals as TenantUsage, a new reservation, what a settle adds.
import type { JobTerms, PricedReservation, TenantUsage } from "./types.ts";

/** A period's running totals, as every store keeps them (SQL: one ledger_totals row). */
export interface PeriodTotals {
  used: number;
  reserved: number;
  cost_micro_usd: number;
  unpriced: number;
}

export const emptyTotals = (): PeriodTotals => ({ used: 0, reserved: 0, cost_micro_usd: 0, unpriced: 0 });

export function makeUsage(tenant: string, period: string, quota: number, t: PeriodTotals): TenantUsage {
  const { used, reserved, cost_micro_usd, unpriced } = t;
  const remaining = Math.max(0, quota - used - reserved);
  return { tenant, period, quota, used, reserved, remaining, cost_micro_usd, unpriced };
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
  };
}

/** What settling `spent` NFEs adds to its period: their cost at the reservation's own price, or, for a row
 * reserved before prices were recorded, that many unpriced NFEs, kept apart rather than billed at a guess. */
export function settledTotals(spent: number, price: number | null): Pick<PeriodTotals, "cost_micro_usd" | "unpriced"> {
  return price === null ? { cost_micro_usd: 0, unpriced: spent } : { cost_micro_usd: spent * price, unpriced: 0 };
}
