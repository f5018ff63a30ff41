import { createMemoryQuotaStore } from "../../../edge/src/quotas/memory.ts";
import { quotaStoreConformance } from "./conformance.ts";

quotaStoreConformance("memory", () => ({ quotas: createMemoryQuotaStore(), close: () => {} }));
