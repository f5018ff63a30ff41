// The retry schedule: exponential, jittered within [½, 1] of nominal, capped, and retrying for at least 24 h.
import { describe, expect, it } from "vitest";
import { DEFAULT_WEBHOOK_CONFIG } from "../../../edge/src/webhooks/config.ts";
import { nextAttemptAt, retryDelayMs } from "../../../edge/src/webhooks/schedule.ts";

const s = DEFAULT_WEBHOOK_CONFIG;
const HOUR_MS = 3_600_000;
/** The largest draw: the nominal delay, to the millisecond. */
const TOP = () => 1 - 1e-12;

/** Every attempt time, failing each one at once, until the schedule gives up. */
function attemptTimes(random: () => number): number[] {
  const times = [0];
  for (let attempt = 1; ; attempt++) {
    const next = nextAttemptAt(attempt, times[attempt - 1]!, 0, s, random);
    if (next === null) return times;
    times.push(next);
  }
}

describe("webhook retry schedule", () => {
  it("doubles from the base, keeps jitter within [1/2, 1] of nominal, and caps", () => {
    expect(retryDelayMs(1, s, TOP)).toBe(s.backoffBaseMs);
    expect(retryDelayMs(1, s, () => 0)).toBe(s.backoffBaseMs / 2);
    expect(retryDelayMs(4, s, TOP)).toBe(8 * s.backoffBaseMs);
    expect(retryDelayMs(40, s, TOP)).toBe(s.backoffMaxMs);
    expect(retryDelayMs(1000, s, () => 0)).toBe(s.backoffMaxMs / 2);
  });

  it("spans at least 24 h whatever the jitter draws, then gives up", () => {
    for (const random of [() => 0, () => 0.5, TOP, Math.random]) {
      const times = attemptTimes(random);
      const last = times[times.length - 1]!;
      expect(last).toBeGreaterThanOrEqual(24 * HOUR_MS);
      expect(last).toBeLessThan(24 * HOUR_MS + s.backoffMaxMs + 1);
      expect(times.length).toBeLessThan(40);
    }
  });

  it("with the defaults, retries after about 10 s, 20 s, 40 s ... up to 6 h", () => {
    const nominal = attemptTimes(TOP);
    const gaps = nominal.slice(1).map((t, i) => t - nominal[i]!);
    expect(gaps.slice(0, 4)).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect(Math.max(...gaps)).toBe(6 * HOUR_MS);
    expect(nominal.length).toBe(16); // 1 + 15 retries, the last one 29.4 h after the event
  });
});
