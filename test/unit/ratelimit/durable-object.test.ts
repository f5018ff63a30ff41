// The TenantLedger object's bucket, over the storage shim that stands in for Cloudflare's (see ledger/do-shim.ts).
import { createDurableObjectRateLimiter } from "../../../edge/src/ratelimit/durable-object.ts";
import { fakeTenantLedgerNamespace } from "../ledger/do-shim.ts";
import { rateLimiterConformance } from "./conformance.ts";

rateLimiterConformance("durable-object (storage shim)", () => {
  const ns = fakeTenantLedgerNamespace();
  return { limiter: createDurableObjectRateLimiter(ns), close: () => ns.close() };
});
