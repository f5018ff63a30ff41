import { createKvQuotaStore } from "../../../edge/src/kv/quotas.ts";
import { freshPrefix, useDenoKv } from "../../support/deno-kv.ts";
import { quotaStoreConformance } from "./conformance.ts";

const denoKv = useDenoKv();
quotaStoreConformance("deno-kv", () => ({ quotas: createKvQuotaStore(denoKv.kv(), freshPrefix()), close: () => {} }));
