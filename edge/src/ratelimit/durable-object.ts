// Rate limiting for the Workers entry: a tenant's bucket lives in its TenantLedger Durable Object, so every
// isolate in every colo sees one count. (Cloudflare's Rate Limiting binding is per colo, only allows 10 s or 60 s
// periods fixed in wrangler config and gives no retry time, so it cannot express per-tier limits with Retry-After.)
import { routeKeyOf, type TenantObjectNamespace, tenantObject } from "../storage/tenant-object.ts";
import { checkLimit } from "./bucket.ts";
import type { RateDecision, RateLimiter } from "./types.ts";

/** The rate-bucket method of the TenantLedger object, as its RPC stub exposes it. */
export interface RateLimitObject {
  take(tenant: string, limitPerMinute: number, now: number): Promise<RateDecision>;
}

/** The TENANT_LEDGER binding as the rate limiter sees it. */
export type RateLimitObjectNamespace<Id = unknown> = TenantObjectNamespace<RateLimitObject, Id>;

/** A RateLimiter backed by the TenantLedger Durable Object of each tenant. */
export function createDurableObjectRateLimiter<Id>(ns: RateLimitObjectNamespace<Id>): RateLimiter {
  return {
    async take(tenant, limitPerMinute, now): Promise<RateDecision> {
      checkLimit(limitPerMinute);
      return tenantObject(ns, routeKeyOf(tenant)).take(tenant, limitPerMinute, now);
    },
  };
}
