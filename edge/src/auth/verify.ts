// Verify a customer token with jose against the configured key sources and claims.
import { decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from "jose";
import type { Tiers } from "@guidegate/shared";
import { ApiError, unauthorized } from "../errors.ts";
import type { Caller } from "./caller.ts";
import type { KeySource } from "./key-source.ts";
import { type Checked, type TokenCache, validityMs } from "./token-cache.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

export interface VerifyOptions {
  keys: readonly KeySource[];
  issuer: string;
  audience: string;
  tiers: Tiers;
  clockToleranceSec: number;
  now: () => number;
}

const REQUIRED_CLAIMS = ["sub", "tier", "exp", "iss", "aud"];

/** Our fault, not the caller's: the JWKS could not be fetched or parsed. */
function isKeyFetchFailure(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) return true;
  return !(err instanceof errors.JOSEError) && !(err instanceof ApiError);
}

async function verifyWith(source: KeySource, token: string, o: VerifyOptions): Promise<JWTPayload> {
  const opts = {
    algorithms: [...source.algorithms],
    issuer: o.issuer,
    audience: o.audience,
    requiredClaims: REQUIRED_CLAIMS,
    clockTolerance: o.clockToleranceSec,
    currentDate: new Date(o.now()),
  };
  // Two calls so TypeScript picks jwtVerify's overload for each key kind.
  if (source.key instanceof Uint8Array) return (await jwtVerify(token, source.key, opts)).payload;
  return (await jwtVerify(token, source.key, opts)).payload;
}

/** A verified payload, the source that verified it, and that source's key-set version throughout (or null). */
interface Verified {
  payload: JWTPayload;
  source: KeySource;
  version: number | null;
}

/** The sources whose algorithm list holds the token's `alg`; 401 when none or the token is malformed. */
function sourcesFor(token: string, o: VerifyOptions): KeySource[] {
  let alg: unknown;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    throw unauthorized("invalid_token", "The bearer token is malformed.");
  }
  const sources = o.keys.filter((k) => typeof alg === "string" && k.algorithms.includes(alg));
  if (sources.length === 0) throw unauthorized("invalid_token", "The token's signing algorithm is not accepted.");
  return sources;
}

/** The version is read before and after: keys that changed during the check leave nothing to cache. */
async function verifyAny(sources: KeySource[], token: string, o: VerifyOptions): Promise<Verified> {
  let lastError: unknown;
  for (const source of sources) {
    try {
      const before = source.keySetVersion?.() ?? null;
      const payload = await verifyWith(source, token, o);
      const after = source.keySetVersion?.() ?? null;
      return { payload, source, version: before === after ? before : null };
    } catch (err) {
      lastError = err;
    }
  }
  if (isKeyFetchFailure(lastError)) {
    edgeLog.error("key source unavailable: {error}", errorFields(lastError));
    throw new ApiError("overloaded_error", "auth_unavailable", "Token keys are temporarily unavailable.", {
      headers: { "retry-after": "5" },
    });
  }
  if (lastError instanceof errors.JWTExpired) throw unauthorized("token_expired", "The bearer token has expired.");
  throw unauthorized();
}

function callerOf(payload: JWTPayload, o: VerifyOptions): Caller {
  // jose checks iat only against a maxTokenAge, which customer tokens do not get: a token dated later than now
  // (beyond the skew allowed for exp and nbf) comes from a broken or forged issuer.
  if (typeof payload.iat === "number" && payload.iat > o.now() / 1000 + o.clockToleranceSec)
    throw unauthorized("invalid_token", "The token's iat (issued at) claim is in the future.");
  const { sub, tier } = payload as { sub?: unknown; tier?: unknown };
  if (typeof sub !== "string" || sub.length === 0 || sub.length > 128)
    throw unauthorized("invalid_token", "The token's sub claim is invalid.");
  if (typeof tier !== "string" || !Object.hasOwn(o.tiers, tier))
    throw unauthorized("unknown_tier", "The token's tier is not known.");
  return { tenant: sub, tierName: tier, tier: o.tiers[tier]! };
}

/** The full check: jose, then the claims verify.ts adds, and the window in which the answer holds. */
async function check(token: string, o: VerifyOptions): Promise<Checked> {
  const { payload, source, version } = await verifyAny(sourcesFor(token, o), token, o);
  const caller = callerOf(payload, o);
  // exp is a required claim and nbf, when there, a number: jose has checked both.
  const { exp, nbf, iat } = payload as { exp: number; nbf?: number; iat?: unknown };
  const validity = validityMs(exp, nbf, typeof iat === "number" ? iat : undefined, o.clockToleranceSec);
  return { caller, source, version, validity };
}

/** The caller a token names, or an ApiError (401; 503 when the JWKS is unreachable). `cache`: see token-cache.ts. */
export async function verifyToken(token: string, o: VerifyOptions, cache?: TokenCache): Promise<Caller> {
  if (!cache) return (await check(token, o)).caller;
  const hit = cache.get(token, o.now());
  if (hit) return hit;
  const shared = await cache.shared(token, () => check(token, o));
  if ("error" in shared) throw shared.error;
  const now = o.now();
  if (now >= shared.validity[0] && now < shared.validity[1]) return shared.caller;
  return (await check(token, o)).caller; // the window closed while it was checked: this request's own answer
}
