// Key sources for customer tokens: one factory per source, each with its own algorithm
// allow-list so a token can never pick the verification method (RFC 8725 §3.1).
import { createLocalJWKSet, createRemoteJWKSet, customFetch, type JSONWebKeySet, type JWTVerifyGetKey } from "jose";

export interface KeySource {
  readonly kind: "secret" | "jwks";
  /** Algorithms this source may verify; a token whose `alg` is in no source's list is rejected. */
  readonly algorithms: readonly string[];
  readonly key: Uint8Array | JWTVerifyGetKey;
  /**
   * Which keys the source verifies with now: a verification cached under one version is served only while
   * the source reports the same (auth/token-cache.ts). Null or absent: the keys may change at any moment,
   * cache nothing.
   */
  readonly keySetVersion?: () => number | null;
}

/** A fixed key or key set: the same version for the source's lifetime. */
const FIXED_KEYS = () => 0;

export const SECRET_ALGORITHMS = ["HS256"] as const;
export const JWKS_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;
const MIN_SECRET_BYTES = 32;

/** HS256 with a shared secret (local development). Throws at start-up on a missing or short secret. */
export function createSecretKeySource(secret: string | Uint8Array | undefined): KeySource {
  if (secret === undefined || secret.length === 0) throw new Error("createSecretKeySource: a secret is required");
  const key = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < MIN_SECRET_BYTES)
    throw new Error(`createSecretKeySource: the secret must be at least ${MIN_SECRET_BYTES} bytes for HS256`);
  return Object.freeze({ kind: "secret", algorithms: [...SECRET_ALGORITHMS], key, keySetVersion: FIXED_KEYS });
}

export interface JwksOptions {
  /** Subset of RS256/ES256/EdDSA; symmetric algorithms are refused. */
  algorithms?: readonly string[];
  cacheMaxAgeMs?: number;
  cooldownMs?: number;
  timeoutMs?: number;
  /** Injected fetch (tests, Workers service bindings). */
  fetch?: typeof fetch;
}

function checkAlgorithms(algs: readonly string[] | undefined): string[] {
  const list = [...(algs ?? JWKS_ALGORITHMS)];
  if (list.length === 0) throw new Error("JWKS key source: the algorithm list is empty");
  for (const a of list)
    if (!(JWKS_ALGORITHMS as readonly string[]).includes(a))
      throw new Error(`JWKS key source: algorithm ${a} is not allowed (use ${JWKS_ALGORITHMS.join(", ")})`);
  return list;
}

/** Public keys from a JWKS URL (production); fetched lazily, cached and rate-limited by jose. */
export function createJwksKeySource(url: string | URL | undefined, opts: JwksOptions = {}): KeySource {
  if (!url) throw new Error("createJwksKeySource: a JWKS URL is required");
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    throw new Error("createJwksKeySource: the JWKS URL must be http(s)");
  const algorithms = checkAlgorithms(opts.algorithms);
  const f = opts.fetch ?? ((u: string, init: RequestInit) => fetch(u, init));
  let fetches = 0; // every refetch may bring other keys: a new version
  const key = createRemoteJWKSet(parsed, {
    cacheMaxAge: opts.cacheMaxAgeMs ?? 10 * 60_000,
    cooldownDuration: opts.cooldownMs ?? 30_000,
    timeoutDuration: opts.timeoutMs ?? 5_000,
    [customFetch]: (u: string, init: RequestInit) => {
      fetches++;
      return f(u, init);
    },
  });
  // Stale (jose refetches before its next check) or refetching: no version, so nothing is cached or served.
  const keySetVersion = () => (key.fresh && !key.reloading ? fetches : null);
  return Object.freeze({ kind: "jwks", algorithms, key, keySetVersion });
}

/** Public keys given inline (tests, or a JWKS baked into configuration). */
export function createLocalJwksKeySource(jwks: JSONWebKeySet, opts: Pick<JwksOptions, "algorithms"> = {}): KeySource {
  if (!jwks || !Array.isArray(jwks.keys) || jwks.keys.length === 0)
    throw new Error("createLocalJwksKeySource: a JWKS with at least one key is required");
  const key = createLocalJWKSet(jwks);
  return Object.freeze({ kind: "jwks", algorithms: checkAlgorithms(opts.algorithms), key, keySetVersion: FIXED_KEYS });
}
