// Job ids that carry their tenant's routing key, so settle/void/get (which know only the job id)
// can find the tenant's Durable Object without a lookup table. Format: `job_<route:16 hex><random:24 hex>`.
import { routeKeyOf } from "../storage/tenant-object.ts";

export { routeKeyOf };

const JOB_ID = /^job_([0-9a-f]{16})[0-9a-f]{24}$/;

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
