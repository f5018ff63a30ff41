// Mints the edge's internal token for tests that talk to a worker directly.
import { INTERNAL_AUDIENCE, INTERNAL_HEALTH_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";
import { SignJWT } from "jose";
import { DEV_INTERNAL_SECRET } from "@guidegate/stack";

export function internalToken(
  jobId: string,
  opts: { secret?: string; audience?: string; ttlSec?: number } = {},
): Promise<string> {
  return new SignJWT({ job_id: jobId })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(opts.audience ?? INTERNAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${opts.ttlSec ?? 300}s`)
    .sign(new TextEncoder().encode(opts.secret ?? DEV_INTERNAL_SECRET));
}

/** The edge's health-scoped token (GET /internal/health): no job, its own audience. */
export function internalHealthToken(opts: { secret?: string } = {}): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(INTERNAL_HEALTH_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime("300s")
    .sign(new TextEncoder().encode(opts.secret ?? DEV_INTERNAL_SECRET));
}
