// Mint HS256 customer tokens for local development and tests (`npm run token`).
import { SignJWT } from "jose";
import { DEFAULT_CONFIG } from "../config.ts";

/** The development secret used when GG_JWT_SECRET is unset; the Node entry refuses it in production. */
export const DEV_JWT_SECRET = "guidegate-dev-secret-change-me-0123456789";

export interface DevTokenOptions {
  sub: string;
  tier: string;
  secret?: string | Uint8Array;
  issuer?: string;
  audience?: string;
  /** Seconds of validity (default 1 h). */
  ttlSec?: number;
  /** Issue time in ms (default now); tests pin it. */
  now?: number;
  /** Not-before offset in seconds from `now`. */
  nbfSec?: number;
  extra?: Record<string, unknown>;
}

export async function mintDevToken(o: DevTokenOptions): Promise<string> {
  const secret = o.secret ?? DEV_JWT_SECRET;
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  const iat = Math.floor((o.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ ...(o.extra ?? {}), tier: o.tier })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(o.sub)
    .setIssuer(o.issuer ?? DEFAULT_CONFIG.issuer)
    .setAudience(o.audience ?? DEFAULT_CONFIG.audience)
    .setIssuedAt(iat)
    .setExpirationTime(iat + (o.ttlSec ?? 3600));
  if (o.nbfSec !== undefined) jwt.setNotBefore(iat + o.nbfSec);
  return jwt.sign(key);
}
