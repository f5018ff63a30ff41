// The in-memory JobStore against the shared JobStore conformance suite (it does not persist: no reopen).
import { createMemoryJobStore } from "../../../edge/src/jobs/memory.ts";
import { jobStoreConformance } from "../../support/job-store-conformance.ts";

jobStoreConformance("memory", async (limits) => ({ store: createMemoryJobStore(limits) }), {
  capsJobCount: true,
  persists: false,
});
