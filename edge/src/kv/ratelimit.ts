// Token buckets on Deno KV: one key per tenant, so every Deno Deploy isolate sees one count. A bucket idle for a
// minute is full again, the same as no bucket, so each write sets it to expire then.
import { BUCKET_IDLE_MS, type BucketState, checkLimit, takeToken } from "../ratelimit/bucket.ts";
import type { RateDecision, RateLimiter } from "../ratelimit/types.ts";
import { type Kv, type KvKey, serialQueue, transact } from "./kv.ts";

export function createKvRateLimiter(kv: Kv, prefix: KvKey): RateLimiter {
  const serial = serialQueue();
  return {
    async take(tenant, limitPerMinute, now): Promise<RateDecision> {
      checkLimit(limitPerMinute);
      const key = [...prefix, "rate", tenant];
      return serial(() =>
        transact(async () => {
          const prev = await kv.get<BucketState>(key);
          const { state, decision } = takeToken(prev.value ?? undefined, limitPerMinute, now);
          return { op: kv.atomic().check(prev).set(key, state, { expireIn: BUCKET_IDLE_MS }), result: decision };
        }),
      );
    },
  };
}
