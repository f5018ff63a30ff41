// The token bucket as a pure function, so the memory limiter and the Durable Object share the arithmetic.
// Capacity = one minute's worth (the burst), refilled continuously at limitPerMinute / 60 s.
import type { RateDecision } from "./types.ts";

export interface BucketState {
  tokens: number;
  updated_at: number; // ms; never moves backwards
}

const MINUTE_MS = 60_000;
const EPSILON = 1e-9; // float refill can land a hair under a whole token

/** A bucket untouched for a minute is full again, which is the same as having no state at all. */
export const BUCKET_IDLE_MS = MINUTE_MS;

export function checkLimit(limitPerMinute: number): number {
  if (!Number.isFinite(limitPerMinute) || limitPerMinute <= 0) {
    throw new RangeError(`limitPerMinute must be a positive finite number, got ${limitPerMinute}`);
  }
  return limitPerMinute;
}

/** Refill `state` up to `now`, then try to take one token. */
export function takeToken(
  state: BucketState | undefined,
  limitPerMinute: number,
  now: number,
): { state: BucketState; decision: RateDecision } {
  checkLimit(limitPerMinute);
  if (!Number.isFinite(now)) throw new RangeError(`now must be a finite number of ms, got ${now}`);
  const perMs = limitPerMinute / MINUTE_MS;
  const prev = state ?? { tokens: limitPerMinute, updated_at: now };
  const updated_at = Math.max(prev.updated_at, now); // a clock that steps back must not mint tokens
  // min() also shrinks a bucket whose tier was lowered since the last request.
  const tokens = Math.min(limitPerMinute, prev.tokens + (updated_at - prev.updated_at) * perMs);
  if (tokens >= 1 - EPSILON) {
    const left = Math.max(0, tokens - 1);
    return { state: { tokens: left, updated_at }, decision: { ok: true, remaining: Math.floor(left + EPSILON) } };
  }
  const retryAfterSeconds = Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
  return { state: { tokens, updated_at }, decision: { ok: false, retryAfterSeconds } };
}
