// API keys: the store interface and its implementations (memory, SQL core for SQLite and the Durable Object).
export { createDurableObjectKeyStore, type KeyObject } from "./durable-object.ts";
export { API_KEY_PREFIX, hashKey, isApiKey, newApiKey } from "./format.ts";
export { createMemoryKeyStore } from "./memory.ts";
export { type ApiKeyRecord, type KeyStore, LAST_USED_EVERY_MS } from "./types.ts";
