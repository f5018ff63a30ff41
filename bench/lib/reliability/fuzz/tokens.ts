// Customer tokens for fuzzing: valid ones (with odd subjects) and every way a token can be wrong.
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
        | "huge-sub";
      sub: string;
    }
  | { kind: "unknown-tier"; sub: string; tier: string };

export const INVALID_TOKEN_KINDS = [
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

/** The Authorization header value for `spec`, or null for none. */
export async function authorization(spec: TokenSpec, secret: string, nowMs: number): Promise<string | null> {
  const iat = Math.floor(nowMs / 1000);
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
