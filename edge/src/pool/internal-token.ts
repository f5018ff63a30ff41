// The short-lived HS256 tokens the edge presents to GPU workers: one per job (audience gpu-worker,
// claim job_id), and a health-scoped one for GET /internal/health (its own audience, no job).
import { SignJWT } from "jose";
import { INTERNAL_AUDIENCE, INTERNAL_HEALTH_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";

export const INTERNAL_TOKEN_TTL_SEC = 300;

function internalKey(secret: string | Uint8Array | undefined): Uint8Array {
  if (!secret || secret.length === 0) throw new Error("internalSigner: an internal secret is required");
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < 16) throw new Error("internalSigner: the internal secret must be at least 16 bytes");
  return key;
}

function sign(key: Uint8Array, claims: Record<string, unknown>, audience: string, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(INTERNAL_ISSUER)
    .setAudience(audience)
    .setSubject("edge")
    .setIssuedAt(iat)
    .setExpirationTime(iat + INTERNAL_TOKEN_TTL_SEC)
    .sign(key);
}

export function internalSigner(secret: string | Uint8Array | undefined) {
  const key = internalKey(secret);
  return (jobId: string, nowMs: number): Promise<string> => sign(key, { job_id: jobId }, INTERNAL_AUDIENCE, nowMs);
}

export function internalHealthSigner(secret: string | Uint8Array | undefined) {
  const key = internalKey(secret);
  return (nowMs: number): Promise<string> => sign(key, {}, INTERNAL_HEALTH_AUDIENCE, nowMs);
}
