// The short-lived HS256 token the edge presents to GPU workers for one job.
import { SignJWT } from "jose";
import { INTERNAL_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";

export const INTERNAL_TOKEN_TTL_SEC = 300;

export function internalSigner(secret: string | Uint8Array | undefined) {
  if (!secret || secret.length === 0) throw new Error("internalSigner: an internal secret is required");
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < 16) throw new Error("internalSigner: the internal secret must be at least 16 bytes");
  return (jobId: string, nowMs: number): Promise<string> => {
    const iat = Math.floor(nowMs / 1000);
    return new SignJWT({ job_id: jobId })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuer(INTERNAL_ISSUER)
      .setAudience(INTERNAL_AUDIENCE)
      .setSubject("edge")
      .setIssuedAt(iat)
      .setExpirationTime(iat + INTERNAL_TOKEN_TTL_SEC)
      .sign(key);
  };
}
