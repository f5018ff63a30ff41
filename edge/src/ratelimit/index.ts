// Rate limiting: memory for Node (one process), the TenantLedger Durable Object for Workers, Deno KV for Deno
// (kv/ratelimit.ts).
export { type BucketState, takeToken } from "./bucket.ts";
export {
  createDurableObjectRateLimiter,
  type RateLimitObject,
  type RateLimitObjectNamespace,
} from "./durable-object.ts";
export { createMemoryRateLimiter } from "./memory.ts";
export type { RateDecision, RateLimiter } from "./types.ts";
