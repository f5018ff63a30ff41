// tenantAuth(): bearer-token middleware in hono's factory style. Options are checked when
// the factory runs; each request either sets `caller` or throws a 401 ApiError.
import { createMiddleware } from "hono/factory";
import type { Tiers } from "@guidegate/shared";
import { unauthorized } from "../errors.ts";
import type { Clock } from "../clock.ts";
import { isApiKey } from "../apikeys/format.ts";
import type { KeyStore } from "../apikeys/types.ts";
import type { TierOverrideStore } from "../tiers/override-types.ts";
import { apiKeyVerifier } from "./api-key.ts";
import type { AppEnv, Caller } from "./caller.ts";
import type { KeySource } from "./key-source.ts";
import { DEFAULT_TOKEN_CACHE_ENTRIES, TokenCache } from "./token-cache.ts";
import { verifyToken } from "./verify.ts";

export interface TenantAuthOptions {
  keys: readonly KeySource[];
  issuer: string;
  audience: string;
  tiers: Tiers;
  clock: Clock;
  clockToleranceSec?: number;
  /** Also read the token from this query parameter (only for EventSource endpoints, which cannot set headers). */
  queryParam?: string;
  /** Verified tokens remembered (token-cache.ts); 0 verifies every request. */
  tokenCacheEntries?: number;
  /** API keys (`Bearer gg_live_...`); without a store such a bearer is refused like any bad token. */
  apiKeys?: KeyStore;
  /** Tenants' tier overrides (admin API), read on every request; the credential's tier where none is set. */
  tierOverrides?: TierOverrideStore;
}

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-_.=]+)$/i;

export function tenantAuth(options: TenantAuthOptions) {
  if (!options || !Array.isArray(options.keys) || options.keys.length === 0)
    throw new Error("tenantAuth: at least one key source is required");
  if (!options.issuer) throw new Error("tenantAuth: issuer is required");
  if (!options.audience) throw new Error("tenantAuth: audience is required");
  if (!options.tiers || Object.keys(options.tiers).length === 0) throw new Error("tenantAuth: tiers are required");
  if (!options.clock) throw new Error("tenantAuth: clock is required");
  const verify = {
    keys: options.keys,
    issuer: options.issuer,
    audience: options.audience,
    tiers: options.tiers,
    clockToleranceSec: options.clockToleranceSec ?? 5,
    now: () => options.clock.now(),
  };
  const queryParam = options.queryParam;
  const cache = new TokenCache(options.tokenCacheEntries ?? DEFAULT_TOKEN_CACHE_ENTRIES);
  const keys = options.apiKeys ? apiKeyVerifier(options.apiKeys, options.tiers) : null;
  const authenticate = async (token: string): Promise<Caller> => {
    if (!isApiKey(token)) return verifyToken(token, verify, cache);
    if (!keys) throw unauthorized("invalid_api_key", "The API key is not valid.");
    return keys.verify(token, options.clock.now());
  };
  const overrides = options.tierOverrides;
  const withOverride = async (caller: Caller): Promise<Caller> => {
    const tierName = overrides ? await overrides.get(caller.tenant) : null;
    const tier = tierName === null ? undefined : options.tiers[tierName];
    return tier && Object.hasOwn(options.tiers, tierName!) ? { ...caller, tierName: tierName!, tier } : caller;
  };

  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    let token: string | undefined;
    if (header !== undefined) {
      const m = BEARER.exec(header.trim());
      if (!m) throw unauthorized("invalid_token", "Use Authorization: Bearer <token>.");
      token = m[1];
    } else if (queryParam) {
      token = c.req.query(queryParam) || undefined;
    }
    if (!token) throw unauthorized("missing_token", "A bearer token is required.");
    c.set("caller", await withOverride(await authenticate(token)));
    await next();
  });
}
