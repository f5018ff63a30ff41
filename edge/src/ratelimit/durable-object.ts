// Rate limiting for the Workers entry: a tenant's bucket lives in its TenantLedger Durable Object, so every
// isolate in every colo sees one count. (Cloudflare's Rate Limiting binding is per colo, only allows 10 s or 60 s
// periods fixed in wrangler config and gives no retry time, so it cannot express per-tier limits with Retry-After.)
import { callTenantLedger, type TenantLedgerNamespace } from "../ledger/do-protocol.ts";
import { routeKeyOf } from "../ledger/ids.ts";
import { checkLimit } from "./bucket.ts";
import type { RateDecision, RateLimiter } from "./types.ts";

/** A RateLimiter backed by the TenantLedger Durable Object of each tenant. */
export function createDurableObjectRateLimiter(ns: TenantLedgerNamespace): RateLimiter {
  return {
    async take(tenant, limitPerMinute, now): Promise<RateDecision> {
      checkLimit(limitPerMinute);
      return callTenantLedger(ns, routeKeyOf(tenant), "take", [tenant, limitPerMinute, now]);
    },
  };
}
