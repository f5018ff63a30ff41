// Object keys for generated images: the tenant's prefix, the job, then an unguessable id.
import { randomUUID } from "node:crypto";

/** A tenant id as one key segment: no "/" or "." survives, so no tenant can reach another's prefix. */
export function tenantPrefix(tenant: string): string {
  return encodeURIComponent(tenant).replace(/[.!~*'()]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `<tenant>/<job>/<index>-<uuid v4>.<ext>`: 122 random bits, so keys cannot be enumerated. */
export function imageKey(tenant: string, jobId: string, index: number, ext: string): string {
  return `${tenantPrefix(tenant)}/${jobId}/${index}-${randomUUID()}.${ext}`;
}
