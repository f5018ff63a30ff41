import { createMemoryWebhookStore } from "../../../edge/src/webhooks/memory.ts";
import { webhookStoreConformance } from "./conformance.ts";

webhookStoreConformance("memory", () => ({ store: createMemoryWebhookStore(), close: () => {} }));
