// The NFE ledger: reserve the worst case before dispatch, settle to what was spent on the
// terminal event, void when a job failed before producing anything. Every reservation ends
// exactly once. Stores: memory (tests), SQLite (Node), a Durable Object per tenant (Workers), Deno KV (Deno, kv/).

export type ReservationState = "reserved" | "settled" | "voided";

export interface Reservation {
  job_id: string;
  tenant: string;
  reserved: number; // NFEs held
  spent: number | null; // NFEs settled (null until settled)
  state: ReservationState;
  period: string; // billing month, "YYYY-MM" (UTC)
  created_at: number; // ms since epoch
  /** The caller's tier price when reserved; a settle bills spent × this. Null only in rows from before prices
   * were recorded (SQLite files and Durable Objects older than the column). */
  price_micro_usd_per_nfe: number | null;
  /** The caller's tier and the job's guidance policy when reserved, for breakdowns; null only in rows from before
   * they were recorded. */
  tier: string | null;
  policy: string | null;
  /** When it was settled (ms); null until then, and in rows settled before settle times were recorded. */
  settled_at: number | null;
  /** When its lease ran out while it was still open (ms): set by the lease sweep, which voids it, or by a settle
   * that came after the lease, which bills it anyway. Null otherwise. A voided row with it set may still settle. */
  expired_at: number | null;
}

/** What a job is sold as, fixed when it is reserved: the caller's tier and its price now, the guidance policy. */
export interface JobTerms {
  tier: string;
  policy: string;
  price_micro_usd_per_nfe: number;
}

/** A reservation made now: always carries its terms. */
export type PricedReservation = Reservation & JobTerms;

export interface TenantUsage {
  tenant: string;
  period: string;
  quota: number;
  used: number; // settled NFEs this period
  reserved: number; // NFEs held by open reservations
  remaining: number; // quota - used - reserved, never below 0
  /** What was billed this period: the sum over settled reservations of spent × their own price. */
  cost_micro_usd: number;
  /** NFEs of `used` settled from reservations made before prices were recorded (SQLite files and Durable Objects
   * older than the column), so not in `cost_micro_usd`. Always 0 for reservations made since. */
  unpriced: number;
  /** NFEs of `used` settled after their reservation's lease had run out: billed all the same, counted here so a
   * lease too short for the jobs shows. Such settles may take used + reserved past the quota by this much. */
  late_settled: number;
}

/** A period's settled jobs in one group: NFEs, their billed cost (as TenantUsage counts them), how many jobs. */
export interface UsageBucket {
  used: number;
  cost_micro_usd: number;
  unpriced: number;
  jobs: number;
}

/** A period's usage with its settled jobs grouped two ways; each grouping sums to the period's totals. */
export interface UsageReport extends TenantUsage {
  /** By the UTC day ("YYYY-MM-DD") each job was reserved (a day of its period, even if it settled after midnight);
   * ascending; days without a settled job are left out. */
  by_day: (UsageBucket & { day: string })[];
  /** By guidance policy, ascending; null (first) groups rows reserved before policies were recorded. */
  by_policy: (UsageBucket & { policy: string | null })[];
}

/** Where a page of settled jobs resumes: the last job of the page before. */
export type JobCursor = Pick<Reservation, "created_at" | "job_id">;

/** The most settled jobs one `settledJobs` call returns. */
export const SETTLED_PAGE_MAX = 1000;

export type ReserveResult =
  | { ok: true; reservation: PricedReservation }
  | { ok: false; reason: "quota_exhausted"; usage: TenantUsage }
  | { ok: false; reason: "duplicate_job" };

// Job ids must come from newJobId(tenant) (ids.ts): the Durable Object store routes settle/void/get by the id alone.
export interface Ledger {
  /**
   * Hold `nfe` NFEs for job `jobId` if used + reserved + nfe <= quota this period, under `terms` (the caller's tier
   * and its price now, the job's policy): the settle bills at that price, whatever the tenant's tier or its price
   * is by then.
   */
  reserve(
    tenant: string,
    jobId: string,
    nfe: number,
    quota: number,
    now: number,
    terms: JobTerms,
  ): Promise<ReserveResult>;
  /**
   * Settle to `spent` (clamped to the reservation) at its price, at `now`. A settle after the lease ran out is billed
   * too, and counted as late_settled, whether or not the sweep had released the hold yet. False when the job was
   * never reserved, is settled already, or was voided by a `void` call.
   */
  settle(jobId: string, spent: number, now: number): Promise<boolean>;
  /** Release the whole reservation; false when the job is not open. */
  void(jobId: string): Promise<boolean>;
  usage(tenant: string, quota: number, now: number): Promise<TenantUsage>;
  /** `period`'s ("YYYY-MM") usage with its breakdowns, read at once so they agree; sweeps expired leases as usage
   * does. The quota is the reader's now, whatever the period. */
  report(tenant: string, quota: number, now: number, period: string): Promise<UsageReport>;
  /** Up to `limit` (1 to SETTLED_PAGE_MAX) of `period`'s settled jobs after `after` (null: from the first), ordered
   * by (created_at, job_id); fewer than `limit` means there are no more. */
  settledJobs(tenant: string, period: string, after: JobCursor | null, limit: number): Promise<Reservation[]>;
  get(jobId: string): Promise<Reservation | null>;
}

/** Stored idempotency records (24 h): the request fingerprint and what it produced. */
export interface IdempotencyRecord {
  tenant: string;
  key: string;
  fingerprint: string; // hash of method + path + canonical body
  job_id: string;
  state: "running" | "done";
  status: number | null; // final HTTP status for synchronous requests
  response: string | null; // final JSON body for synchronous requests
  created_at: number;
}

export type IdempotencyBegin = { kind: "new" } | { kind: "existing"; record: IdempotencyRecord };

export interface IdempotencyStore {
  /** Claim (tenant, key) for a new job atomically, or return the record that holds it. */
  begin(rec: Omit<IdempotencyRecord, "state" | "status" | "response">, now: number): Promise<IdempotencyBegin>;
  finish(tenant: string, key: string, status: number, response: string): Promise<void>;
  /** Forget a claim whose request failed before it did anything billable. */
  release(tenant: string, key: string): Promise<void>;
}

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const periodOf = (now: number): string => new Date(now).toISOString().slice(0, 7);
/** The UTC day ("YYYY-MM-DD") of a clock reading. */
export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);
