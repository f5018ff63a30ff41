import { describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../../../edge/src/ratelimit/memory.ts";
import { rateLimiterConformance } from "./conformance.ts";

rateLimiterConformance("memory", () => ({ limiter: createMemoryRateLimiter(), close: () => {} }));

describe("memory rate limiter", () => {
  it("forgets idle tenants without changing their answers", async () => {
    const l = createMemoryRateLimiter();
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 1000; i++) await l.take(`tenant-${i}`, 1, t0);
    // A minute later every bucket is full again, whether it was swept or not.
    for (let i = 0; i < 1000; i++) expect((await l.take(`tenant-${i}`, 1, t0 + 60_000)).ok).toBe(true);
    expect((await l.take("tenant-0", 1, t0 + 60_000)).ok).toBe(false);
  });
});
