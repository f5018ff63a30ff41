// The short-lived HS256 tokens the edge presents to GPU workers: one per job (audience gpu-worker,
// claim job_id), and a health-scoped one for GET /internal/health (its own audience, no job).
import { SignJWT } from "jose";
import { INTERNAL_AUDIENCE, INTERNAL_HEALTH_AUDIENCE, INTERNAL_ISSUER } from "@guidegate/shared";

export const INTERNAL_TOKEN_TTL_SEC = 300;

/** Signs the token for one job at a clock reading (ms). */
export type InternalSigner = (jobId: string, nowMs: number) => Promise<string>;

/** The secret as bytes; throws at start-up on a missing or short one. */
export function internalSecretBytes(secret: string | Uint8Array | undefined): Uint8Array {
  if (!secret || secret.length === 0) throw new Error("internalSigner: an internal secret is required");
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < 16) throw new Error("internalSigner: the internal secret must be at least 16 bytes");
  return key;
}

/** A token's claims for `audience`: what the worker checks (gpu-worker/src/http/auth.ts). */
export function internalClaims(extra: Record<string, unknown>, audience: string, nowMs: number) {
  const iat = Math.floor(nowMs / 1000);
  return { ...extra, iss: INTERNAL_ISSUER, aud: audience, sub: "edge", iat, exp: iat + INTERNAL_TOKEN_TTL_SEC };
}

/** jose over WebCrypto, on every runtime (the Node entry signs job tokens with node:crypto instead,
 * node-internal-token.ts). The key is imported once: given the bytes, jose imports a CryptoKey on every sign,
 * which cost more than the HMAC. */
function joseSigner(bytes: Uint8Array): (claims: Record<string, unknown>) => Promise<string> {
  let key: Promise<CryptoKey> | null = null;
  const hmacKey = () => {
    key ??= crypto.subtle.importKey("raw", new Uint8Array(bytes), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return key;
  };
  return async (claims) => new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(await hmacKey());
}

export function internalSigner(secret: string | Uint8Array | undefined): InternalSigner {
  const sign = joseSigner(internalSecretBytes(secret));
  return (jobId, nowMs) => sign(internalClaims({ job_id: jobId }, INTERNAL_AUDIENCE, nowMs));
}

export function internalHealthSigner(secret: string | Uint8Array | undefined) {
  const sign = joseSigner(internalSecretBytes(secret));
  return (nowMs: number): Promise<string> => sign(internalClaims({}, INTERNAL_HEALTH_AUDIENCE, nowMs));
}
