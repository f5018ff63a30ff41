// The admin stores in the real TenantLedger Durable Object in workerd, over Workers RPC: keys and tier overrides
// in each tenant's object, the audit log in its own object.
import { createDurableObjectKeyStore } from "../../../edge/src/apikeys/durable-object.ts";
import { createDurableObjectAuditLog } from "../../../edge/src/audit/durable-object.ts";
import { createDurableObjectTierOverrideStore } from "../../../edge/src/tiers/override-sql.ts";
import { useTenantLedgerWorkerd } from "../../support/tenant-ledger-workerd.ts";
import { adminStoreConformance } from "./conformance.ts";

const workerd = useTenantLedgerWorkerd();

adminStoreConformance("durable-object (workerd)", () => {
  const ns = workerd.namespace();
  return {
    apiKeys: createDurableObjectKeyStore(ns),
    audit: createDurableObjectAuditLog(ns),
    tiers: createDurableObjectTierOverrideStore(ns),
    close: () => {},
  };
});
