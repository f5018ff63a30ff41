import { describe, expect, it } from "vitest";
import { createKvRateLimiter } from "../../../edge/src/kv/ratelimit.ts";
import { freshPrefix, openKvFile, useDenoKv } from "../../support/deno-kv.ts";
import { rateLimiterConformance } from "./conformance.ts";

const denoKv = useDenoKv();
rateLimiterConformance("deno-kv", () => ({
  limiter: createKvRateLimiter(denoKv.kv(), freshPrefix()),
  close: () => {},
}));

describe("deno-kv rate limiter", () => {
  it("shares one bucket between two connections, as Deno Deploy isolates share one database", async () => {
    const prefix = freshPrefix();
    const other = await openKvFile(denoKv.path());
    try {
      const [a, b] = [createKvRateLimiter(denoKv.kv(), prefix), createKvRateLimiter(other, prefix)];
      const t0 = Date.UTC(2026, 0, 1);
      // One after another: two connections writing a local file at once may meet SQLite's lock (the managed store
      // on Deno Deploy has no such limit; a local file is for one edge process).
      const taken = [];
      for (let i = 0; i < 10; i++) taken.push(await (i % 2 ? a : b).take("t1", 6, t0));
      expect(taken.filter((d) => d.ok)).toHaveLength(6);
    } finally {
      other.close();
    }
  });
});
