// Exponential backoff with full jitter (the AWS SDK's own shape), for the calls the SDK gave up on.

export interface Backoff {
  baseMs: number;
  maxMs: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Delay before retry number `attempt` (0-based): uniform in [0, min(max, base * 2^attempt)]. */
export function backoffDelay(attempt: number, b: Backoff, rand: () => number = Math.random): number {
  return Math.floor(rand() * Math.min(b.maxMs, b.baseMs * 2 ** Math.min(attempt, 30)));
}

/** Run `fn` up to `attempts` times, sleeping with backoff between failures; rethrows the last error. */
export async function withRetries<T>(fn: () => Promise<T>, attempts: number, b: Backoff): Promise<T> {
  let last: unknown;
  for (let i = 0; i < Math.max(1, attempts); i++) {
    if (i > 0) await sleep(backoffDelay(i - 1, b));
    try {
      return await fn();
    } catch (err) {
      last = err;
    }
  }
  throw last;
}
