// rateLimit(): per-tenant request throttling at the tier's requests_per_minute; 429 + Retry-After.
import { createMiddleware } from "hono/factory";
import { ApiError } from "../errors.ts";
import type { RateLimiter } from "../ratelimit/types.ts";
import type { AppEnv } from "../auth/caller.ts";
import type { Clock } from "../clock.ts";

export interface RateLimitOptions {
  limiter: RateLimiter;
  clock: Clock;
}

export function rateLimit(options: RateLimitOptions) {
  if (!options?.limiter || typeof options.limiter.take !== "function")
    throw new Error("rateLimit: a limiter is required");
  if (!options.clock) throw new Error("rateLimit: clock is required");
  const { limiter, clock } = options;
  return createMiddleware<AppEnv>(async (c, next) => {
    const caller = c.get("caller");
    const rpm = caller.tier.requests_per_minute;
    const decision = await limiter.take(caller.tenant, rpm, clock.now());
    if (!decision.ok) {
      const retry = Math.max(1, Math.ceil(decision.retryAfterSeconds));
      throw new ApiError("rate_limit_error", "rate_limited", `Too many requests; the limit is ${rpm} per minute.`, {
        headers: {
          "retry-after": String(retry),
          ratelimit: `"default";r=0;t=${retry}`,
          "ratelimit-policy": `"default";q=${rpm};w=60`,
        },
      });
    }
    await next();
  });
}
