// What every RateLimiter must do, with an injected clock (times are plain ms numbers).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RateLimiter } from "../../../edge/src/ratelimit/types.ts";

const T0 = Date.UTC(2026, 5, 1);

export function rateLimiterConformance(name: string, make: () => { limiter: RateLimiter; close(): void }): void {
  describe(`RateLimiter conformance: ${name}`, () => {
    const withLimiter = async (body: (l: RateLimiter) => Promise<void>): Promise<void> => {
      const { limiter, close } = make();
      try {
        await body(limiter);
      } finally {
        close();
      }
    };

    it("allows a burst of one minute's worth, then asks to retry after one token's refill", () =>
      withLimiter(async (l) => {
        for (let i = 0; i < 60; i++) expect(await l.take("t1", 60, T0)).toEqual({ ok: true, remaining: 59 - i });
        expect(await l.take("t1", 60, T0)).toEqual({ ok: false, retryAfterSeconds: 1 });
        expect((await l.take("t1", 60, T0 + 999)).ok).toBe(false);
        expect(await l.take("t1", 60, T0 + 1000)).toEqual({ ok: true, remaining: 0 });
      }));

    it("rounds Retry-After up to whole seconds, and waiting that long is enough", () =>
      withLimiter(async (l) => {
        for (let i = 0; i < 7; i++) await l.take("t1", 7, T0);
        const denied = await l.take("t1", 7, T0);
        expect(denied).toEqual({ ok: false, retryAfterSeconds: 9 }); // 60 s / 7 = 8.57 s
        expect((await l.take("t1", 7, T0 + 8_000)).ok).toBe(false);
        expect((await l.take("t1", 7, T0 + 9_000)).ok).toBe(true);
      }));

    it("keeps tenants apart", () =>
      withLimiter(async (l) => {
        expect((await l.take("a", 1, T0)).ok).toBe(true);
        expect((await l.take("a", 1, T0)).ok).toBe(false);
        expect((await l.take("b", 1, T0)).ok).toBe(true);
      }));

    it("mints no tokens when the clock steps backwards", () =>
      withLimiter(async (l) => {
        expect((await l.take("t1", 1, T0)).ok).toBe(true);
        expect((await l.take("t1", 1, T0 - 120_000)).ok).toBe(false);
        expect((await l.take("t1", 1, T0 + 59_999)).ok).toBe(false);
        expect((await l.take("t1", 1, T0 + 60_000)).ok).toBe(true);
      }));

    it("applies a lowered limit at once", () =>
      withLimiter(async (l) => {
        expect((await l.take("t1", 600, T0)).ok).toBe(true);
        for (let i = 0; i < 10; i++) expect((await l.take("t1", 10, T0)).ok).toBe(true);
        expect((await l.take("t1", 10, T0)).ok).toBe(false);
      }));

    it("refills fully after an idle minute", () =>
      withLimiter(async (l) => {
        for (let i = 0; i < 5; i++) await l.take("t1", 5, T0);
        for (let i = 0; i < 5; i++) expect((await l.take("t1", 5, T0 + 60_000)).ok).toBe(true);
        expect((await l.take("t1", 5, T0 + 60_000)).ok).toBe(false);
      }));

    it("rejects a non-positive or non-finite limit", () =>
      withLimiter(async (l) => {
        for (const limit of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(l.take("t1", limit, T0)).rejects.toThrow(RangeError);
        }
      }));

    it("never admits more than limit + limit * elapsed / 60 s, and Retry-After is always enough", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 200 }),
          fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 120 }),
          async (limit, gaps) => {
            const { limiter, close } = make();
            try {
              let now = T0;
              const admitted: number[] = [];
              for (const gap of gaps) {
                now += gap;
                const d = await limiter.take("t", limit, now);
                if (d.ok) {
                  admitted.push(now);
                  continue;
                }
                expect(d.retryAfterSeconds).toBeGreaterThanOrEqual(1);
                now += d.retryAfterSeconds * 1000;
                const retry = await limiter.take("t", limit, now);
                expect(retry.ok).toBe(true);
                admitted.push(now);
              }
              // Sliding check over every window that starts at an admission.
              for (let i = 0; i < admitted.length; i++) {
                for (let j = i; j < admitted.length; j++) {
                  const bound = limit + (limit * (admitted[j]! - admitted[i]!)) / 60_000 + 1e-6;
                  expect(j - i + 1).toBeLessThanOrEqual(bound);
                }
              }
            } finally {
              close();
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
