// The retry schedule: exponential backoff with jitter until the retry window has passed. Attempt 1 is sent
// at once; after failed attempt k the next waits base·2^(k-1), capped at backoffMaxMs, drawn uniformly from
// [½, 1] of that ("equal jitter": receivers coming back are not hit by every sender at the same instant, and
// the schedule still grows). The first attempt that fails at or after createdAt + retryWindowMs is the last.
import type { WebhookConfig } from "./config.ts";

type Schedule = Pick<WebhookConfig, "backoffBaseMs" | "backoffMaxMs" | "retryWindowMs">;

/** The wait after failed attempt `attempt` (1-based); `random` in [0, 1). */
export function retryDelayMs(attempt: number, s: Schedule, random: () => number = Math.random): number {
  const nominal = Math.min(s.backoffMaxMs, s.backoffBaseMs * 2 ** Math.min(attempt - 1, 52));
  return Math.round(nominal * (0.5 + random() / 2));
}

/** When to try again after attempt `attempt` failed at `failedAt`, or null to give up. */
export function nextAttemptAt(
  attempt: number,
  failedAt: number,
  createdAt: number,
  s: Schedule,
  random?: () => number,
): number | null {
  if (failedAt - createdAt >= s.retryWindowMs) return null;
  return failedAt + retryDelayMs(attempt, s, random);
}
