// In-process rate limiter for the Node entry and tests (one process holds every tenant's bucket).
import { BUCKET_IDLE_MS, type BucketState, takeToken } from "./bucket.ts";
import type { RateDecision, RateLimiter } from "./types.ts";

class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, BucketState>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  async take(tenant: string, limitPerMinute: number, now: number): Promise<RateDecision> {
    const { state, decision } = takeToken(this.buckets.get(tenant), limitPerMinute, now);
    this.buckets.set(tenant, state);
    this.sweep(now);
    return decision;
  }

  // Drops buckets idle for a minute (they are full again), at most once a minute, so memory tracks active tenants.
  private sweep(now: number): void {
    if (now - this.lastSweep < BUCKET_IDLE_MS) return;
    this.lastSweep = now;
    for (const [tenant, b] of this.buckets) if (now - b.updated_at >= BUCKET_IDLE_MS) this.buckets.delete(tenant);
  }
}

/** A token-bucket RateLimiter in process memory. */
export function createMemoryRateLimiter(): RateLimiter {
  return new MemoryRateLimiter();
}
