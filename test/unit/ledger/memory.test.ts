import { ledgerConformance } from "./conformance.ts";
import { memoryStores } from "./stores.ts";

ledgerConformance("memory", memoryStores);
