// Per-tenant state on Workers lives in one Durable Object per tenant routing key: the ledger, the idempotency
// keys and the rate bucket (durable/tenant-ledger.ts hosts them). This is what their clients share: the key and
// the shape of the namespace binding. The route is a 64-bit FNV-1a hash of the tenant: it links a tenant's
// objects and job ids to each other but does not reveal the tenant id; a collision only puts two tenants in one
// object, whose rows are keyed by tenant anyway.

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** The routing key of a tenant: the name of its Durable Object (16 hex digits). */
export function routeKeyOf(tenant: string): string {
  let h = FNV_OFFSET;
  for (const byte of encoder.encode(tenant)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  return h.toString(16).padStart(16, "0");
}

/**
 * What a client needs of the namespace binding: `Stub` is the part of the object's RPC surface it calls.
 * Cloudflare's `DurableObjectNamespace<TenantLedger>` satisfies it for every client.
 */
export interface TenantObjectNamespace<Stub, Id = unknown> {
  idFromName(name: string): Id;
  get(id: Id): Stub;
}

/** The stub of the object named `route`. */
export function tenantObject<Stub, Id>(ns: TenantObjectNamespace<Stub, Id>, route: string): Stub {
  return ns.get(ns.idFromName(route));
}
