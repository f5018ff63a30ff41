// Customer tokens for fuzzing: valid ones (with odd subjects) and every way a token can be wrong,
// header parameters that try to pick the key and claims of the wrong shape or time included.
import { base64url, SignJWT } from "jose";
import { mintDevToken } from "../../../../edge/src/auth/dev-token.ts";
import { DEFAULT_CONFIG } from "../../../../edge/src/config.ts";

export type TokenSpec =
  | { kind: "valid"; sub: string; tier: string }
  | { kind: "missing" }
  | { kind: "raw"; header: string } // a whole Authorization header of garbage
  | {
      kind:
        | "wrong-secret"
        | "expired"
        | "not-yet-valid"
        | "alg-none"
        | "wrong-aud"
        | "wrong-iss"
        | "no-sub"
        | "no-tier"
        | "exp-string"
        | "truncated"
        | "huge-sub"
        | (typeof HEADER_KINDS)[number]
        | (typeof CLAIM_KINDS)[number];
      sub: string;
    }
  | { kind: "unknown-tier"; sub: string; tier: string };

/** Header parameters that try to choose the key (RFC 8725 §3.10) or demand unknown processing (crit). */
const HEADER_KINDS = ["header-jwk", "header-jku", "header-x5u", "kid-traversal", "crit-unknown"] as const;
/** Claims of the wrong shape or time: every one must be refused. */
const CLAIM_KINDS = ["iat-future", "iat-string", "sub-number", "tier-array", "aud-other-array", "nbf-string"] as const;

export const INVALID_TOKEN_KINDS = [
  ...HEADER_KINDS,
  ...CLAIM_KINDS,
  "wrong-secret",
  "expired",
  "not-yet-valid",
  "alg-none",
  "wrong-aud",
  "wrong-iss",
  "no-sub",
  "no-tier",
  "exp-string",
  "truncated",
  "huge-sub",
] as const;

const enc = new TextEncoder();

async function sign(claims: Record<string, unknown>, secret: string, nowMs: number, exp: unknown): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({ iss: DEFAULT_CONFIG.issuer, aud: DEFAULT_CONFIG.audience, iat, exp: exp as number, ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .sign(enc.encode(secret));
}

/** HS256 over any header and payload: jose's SignJWT refuses an unknown crit and claims of the wrong type. */
async function rawHs256(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const key = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return `${input}.${base64url.encode(new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(input))))}`;
}

/** A token for one of HEADER_KINDS or CLAIM_KINDS: good claims (or good key) except for the one defect. */
function oddToken(
  kind: (typeof HEADER_KINDS)[number] | (typeof CLAIM_KINDS)[number],
  sub: string,
  secret: string,
  nowMs: number,
) {
  const iat = Math.floor(nowMs / 1000);
  const claims = { sub, tier: "pro", iss: DEFAULT_CONFIG.issuer, aud: DEFAULT_CONFIG.audience, iat, exp: iat + 3600 };
  const hs = { alg: "HS256", typ: "JWT" };
  const attacker = `${secret}-attacker`; // the key the token offers or points at, never ours
  const jwk = { kty: "oct", k: base64url.encode(attacker) };
  const jwks = "http://127.0.0.1:9/jwks.json";
  switch (kind) {
    case "header-jwk":
      return rawHs256({ ...hs, jwk }, claims, attacker);
    case "header-jku":
      return rawHs256({ ...hs, jku: jwks, kid: "k1" }, claims, attacker);
    case "header-x5u":
      return rawHs256({ ...hs, x5u: jwks }, claims, attacker);
    case "kid-traversal":
      return rawHs256({ ...hs, kid: "../../../../dev/null" }, claims, attacker);
    case "crit-unknown":
      return rawHs256({ ...hs, crit: ["x-gg"], "x-gg": true }, claims, secret);
    case "iat-future":
      return rawHs256(hs, { ...claims, iat: iat + 365 * 86_400, exp: iat + 366 * 86_400 }, secret);
    case "iat-string":
      return rawHs256(hs, { ...claims, iat: String(iat) }, secret);
    case "sub-number":
      return rawHs256(hs, { ...claims, sub: 12345 }, secret);
    case "tier-array":
      return rawHs256(hs, { ...claims, tier: ["pro"] }, secret);
    case "aud-other-array":
      return rawHs256(hs, { ...claims, aud: ["someone-else", "gpu-worker"] }, secret);
    case "nbf-string":
      return rawHs256(hs, { ...claims, nbf: String(iat) }, secret);
  }
}

const isOdd = (k: string): k is (typeof HEADER_KINDS)[number] | (typeof CLAIM_KINDS)[number] =>
  (HEADER_KINDS as readonly string[]).includes(k) || (CLAIM_KINDS as readonly string[]).includes(k);

/** The Authorization header value for `spec`, or null for none. */
export async function authorization(spec: TokenSpec, secret: string, nowMs: number): Promise<string | null> {
  const iat = Math.floor(nowMs / 1000);
  if (isOdd(spec.kind)) return `Bearer ${await oddToken(spec.kind, (spec as { sub: string }).sub, secret, nowMs)}`;
  switch (spec.kind) {
    case "missing":
      return null;
    case "raw":
      return spec.header;
    case "valid":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: spec.tier, secret, now: nowMs })}`;
    case "unknown-tier":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: spec.tier, secret, now: nowMs })}`;
    case "wrong-secret":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: "pro", secret: `${secret}-but-not-quite`, now: nowMs })}`;
    case "expired":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: "pro", secret, now: nowMs - 7_200_000, ttlSec: 3600 })}`;
    case "not-yet-valid":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: "pro", secret, now: nowMs, nbfSec: 600 })}`;
    case "wrong-aud":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: "pro", secret, now: nowMs, audience: "gpu-worker" })}`;
    case "wrong-iss":
      return `Bearer ${await mintDevToken({ sub: spec.sub, tier: "pro", secret, now: nowMs, issuer: "someone-else" })}`;
    case "no-sub":
      return `Bearer ${await sign({ tier: "pro" }, secret, nowMs, iat + 3600)}`;
    case "no-tier":
      return `Bearer ${await sign({ sub: spec.sub }, secret, nowMs, iat + 3600)}`;
    case "exp-string":
      return `Bearer ${await sign({ sub: spec.sub, tier: "pro" }, secret, nowMs, String(iat + 3600))}`;
    case "huge-sub":
      return `Bearer ${await mintDevToken({ sub: spec.sub.padEnd(129, "x"), tier: "pro", secret, now: nowMs })}`;
    case "truncated": {
      const t = await mintDevToken({ sub: spec.sub, tier: "pro", secret, now: nowMs });
      return `Bearer ${t.slice(0, t.length - 5)}`;
    }
    case "alg-none": {
      const head = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
      const body = base64url.encode(
        JSON.stringify({
          sub: spec.sub,
          tier: "pro",
          iss: DEFAULT_CONFIG.issuer,
          aud: DEFAULT_CONFIG.audience,
          iat,
          exp: iat + 3600,
        }),
      );
      return `Bearer ${head}.${body}.`;
    }
  }
}
