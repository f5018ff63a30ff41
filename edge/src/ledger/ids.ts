// Job ids that carry their tenant's routing key, so settle/void/get (which know only the job id)
// can find the tenant's Durable Object without a lookup table. Format: `job_<route:16 hex><random:24 hex>`.
// The route is a 64-bit FNV-1a hash of the tenant: it links a tenant's jobs to each other but does not reveal the
// tenant id; a collision only puts two tenants in one object, whose rows are keyed by tenant anyway.

const JOB_ID = /^job_([0-9a-f]{16})[0-9a-f]{24}$/;
const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const encoder = new TextEncoder();

/** The routing key of a tenant: the name of its Durable Object. */
export function routeKeyOf(tenant: string): string {
  let h = FNV_OFFSET;
  for (const byte of encoder.encode(tenant)) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  return h.toString(16).padStart(16, "0");
}

/** A fresh job id for `tenant` (96 random bits); matches the worker contract's `[A-Za-z0-9_-]{8,64}`. */
export function newJobId(tenant: string): string {
  const rand = crypto.getRandomValues(new Uint8Array(12));
  let hex = "";
  for (const b of rand) hex += b.toString(16).padStart(2, "0");
  return `job_${routeKeyOf(tenant)}${hex}`;
}

/** The routing key embedded in a job id, or null when the id was not made by `newJobId`. */
export function routeKeyOfJob(jobId: string): string | null {
  return JOB_ID.exec(jobId)?.[1] ?? null;
}
