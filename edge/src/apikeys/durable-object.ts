// API keys for the Workers entry: each tenant's live in its TenantLedger Durable Object, beside its ledger. The key
// string carries the tenant's routing key (format.ts), so a lookup goes straight to that one object; only the
// key's hash crosses the RPC.
import { routeKeyOf, type TenantObjectNamespace, tenantObject } from "../storage/tenant-object.ts";
import { hashKey, routeOfKey } from "./format.ts";
import type { ApiKeyRecord, KeyStore } from "./types.ts";

/** The key methods of the TenantLedger object, as its RPC stub exposes them. */
export interface KeyObject {
  createApiKey(rec: ApiKeyRecord): Promise<void>;
  apiKeyByHash(hash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(tenant: string): Promise<ApiKeyRecord[]>;
  revokeApiKey(tenant: string, id: string, now: number): Promise<ApiKeyRecord | null>;
  touchApiKey(tenant: string, id: string, now: number): Promise<void>;
}

export function createDurableObjectKeyStore<Id>(ns: TenantObjectNamespace<KeyObject, Id>): KeyStore {
  const of = (tenant: string) => tenantObject(ns, routeKeyOf(tenant));
  return {
    create: (rec) => of(rec.tenant).createApiKey(rec),
    async find(key) {
      const route = routeOfKey(key);
      if (route === null) return null; // not one of ours: no object to ask
      return tenantObject(ns, route).apiKeyByHash(await hashKey(key));
    },
    list: (tenant) => of(tenant).listApiKeys(tenant),
    revoke: (tenant, id, now) => of(tenant).revokeApiKey(tenant, id, now),
    touch: (tenant, id, now) => of(tenant).touchApiKey(tenant, id, now),
  };
}
