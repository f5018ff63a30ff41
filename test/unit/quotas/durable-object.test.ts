// Quota overrides in the TenantLedger Durable Object in workerd, over Workers RPC.
import { createDurableObjectQuotaStore } from "../../../edge/src/quotas/durable-object.ts";
import { useTenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";
import { quotaStoreConformance } from "./conformance.ts";

const workerd = useTenantLedgerWorkerd();

quotaStoreConformance("durable-object (workerd)", () => ({
  quotas: createDurableObjectQuotaStore(workerd.namespace()),
  close: () => {},
}));
