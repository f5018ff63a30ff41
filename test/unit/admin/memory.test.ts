// The admin stores in memory (tests, the Deno edge).
import { createMemoryKeyStore } from "../../../edge/src/apikeys/memory.ts";
import { createMemoryAuditLog } from "../../../edge/src/audit/memory.ts";
import { createMemoryTierOverrideStore } from "../../../edge/src/tiers/override-types.ts";
import { adminStoreConformance } from "./conformance.ts";

adminStoreConformance("memory", () => ({
  apiKeys: createMemoryKeyStore(),
  audit: createMemoryAuditLog(),
  tiers: createMemoryTierOverrideStore(),
  close: () => {},
}));
