// Argument checks shared by every store, so memory, SQLite and the Durable Object reject the same inputs.
import { type JobCursor, type JobTerms, SETTLED_PAGE_MAX } from "./types.ts";

/** NFEs to reserve: a non-negative safe integer (a reserve that throws has changed nothing). */
export function checkNfe(nfe: number): number {
  if (!Number.isSafeInteger(nfe) || nfe < 0) throw new RangeError(`nfe must be a non-negative integer, got ${nfe}`);
  return nfe;
}

/** A monthly quota in NFEs: a non-negative safe integer. */
export function checkQuota(quota: number): number {
  if (!Number.isSafeInteger(quota) || quota < 0) {
    throw new RangeError(`quota must be a non-negative integer, got ${quota}`);
  }
  return quota;
}

/** A price in µUSD per NFE (a tier's `price_micro_usd_per_nfe`): a non-negative finite number. */
export function checkPrice(price: number): number {
  if (!Number.isFinite(price) || price < 0) {
    throw new RangeError(`price per NFE must be a non-negative finite number, got ${price}`);
  }
  return price;
}

/** The longest tier or policy name a reservation records (both are short identifiers; this bounds a row). */
const TERM_NAME_MAX = 64;

function checkName(name: unknown, what: string): string {
  if (typeof name !== "string" || name.length === 0 || name.length > TERM_NAME_MAX) {
    throw new RangeError(`${what} must be a name of 1 to ${TERM_NAME_MAX} characters, got ${JSON.stringify(name)}`);
  }
  return name;
}

/** A job's terms: its tier and policy names and its price; thrown before anything changes, like nfe. */
export function checkTerms(terms: JobTerms): JobTerms {
  if (typeof terms !== "object" || terms === null) throw new RangeError("terms must be {tier, policy, price}");
  checkName(terms.tier, "tier");
  checkName(terms.policy, "policy");
  checkPrice(terms.price_micro_usd_per_nfe);
  return terms;
}

/** A clock reading in ms since the epoch. */
export function checkNow(now: number): number {
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite number of ms, got ${now}`);
  return now;
}

/** NFEs spent, floored and clamped to [0, MAX_SAFE_INTEGER]; each store then clamps to the reservation.
 * Why not throw on odd values: a settle that throws leaves the reservation open, which is worse than a clamp. */
export function normalizeSpent(spent: number): number {
  if (Number.isNaN(spent)) throw new RangeError("spent must be a number, got NaN");
  return Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, Math.floor(spent)));
}

/** A lease length in ms: a positive safe integer (MAX_SAFE_INTEGER means "never expire"). */
export function checkLease(leaseMs: number): number {
  if (!Number.isSafeInteger(leaseMs) || leaseMs <= 0) {
    throw new RangeError(`leaseMs must be a positive integer, got ${leaseMs}`);
  }
  return leaseMs;
}

/** A billing period as periodOf writes it: "YYYY-MM", months 01 to 12. */
export function checkPeriod(period: string): string {
  if (typeof period !== "string" || !/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) {
    throw new RangeError(`period must be "YYYY-MM", got ${JSON.stringify(period)}`);
  }
  return period;
}

/** A page of settled jobs: where it resumes (null: the start) and how many, 1 to SETTLED_PAGE_MAX. */
export function checkPage(after: JobCursor | null, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > SETTLED_PAGE_MAX) {
    throw new RangeError(`limit must be an integer from 1 to ${SETTLED_PAGE_MAX}, got ${limit}`);
  }
  if (after === null) return;
  if (typeof after !== "object" || typeof after.job_id !== "string" || !Number.isFinite(after.created_at)) {
    throw new RangeError("after must be null or {created_at, job_id} of a settled job");
  }
}
