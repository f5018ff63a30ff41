// Per-tenant request rate limiting (429 + Retry-After), separate from the monthly NFE quota (402).

export type RateDecision =
  | { ok: true; remaining: number } // whole requests left in the bucket right now
  | { ok: false; retryAfterSeconds: number }; // >= 1; waiting this long is enough for one request

export interface RateLimiter {
  /** Take one request from `tenant`'s bucket; `limitPerMinute` comes from the tier, `now` from the injected clock. */
  take(tenant: string, limitPerMinute: number, now: number): Promise<RateDecision>;
}
