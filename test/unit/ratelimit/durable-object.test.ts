// The TenantLedger object's bucket in workerd, over Workers RPC (see test/support/tenant-ledger-workerd.ts).
import { createDurableObjectRateLimiter } from "../../../edge/src/ratelimit/durable-object.ts";
import { useTenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";
import { rateLimiterConformance } from "./conformance.ts";

const workerd = useTenantLedgerWorkerd();

rateLimiterConformance("durable-object (workerd)", () => ({
  limiter: createDurableObjectRateLimiter(workerd.namespace()),
  close: () => {},
}));
