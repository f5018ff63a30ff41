// Key sources from configuration: GG_JWT_SECRET (HS256, development) and/or GG_JWKS_URL (production).
import type { EnvMap } from "../config.ts";
import { DEV_JWT_SECRET } from "./dev-token.ts";
import { createJwksKeySource, createSecretKeySource, type KeySource } from "./key-source.ts";
import { edgeLog } from "../observability/log.ts";

export interface KeysFromEnvOptions {
  /** Fall back to the documented development secret when nothing is configured (never in production). */
  allowDevSecret?: boolean;
  fetch?: typeof fetch;
}

export function keysFromEnv(env: EnvMap, opts: KeysFromEnvOptions = {}): KeySource[] {
  const keys: KeySource[] = [];
  if (env.GG_JWT_SECRET) keys.push(createSecretKeySource(env.GG_JWT_SECRET));
  if (env.GG_JWKS_URL) {
    const algorithms = env.GG_JWKS_ALGORITHMS?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    keys.push(createJwksKeySource(env.GG_JWKS_URL, { algorithms, fetch: opts.fetch }));
  }
  if (keys.length === 0) {
    if (!opts.allowDevSecret) throw new Error("No token keys configured: set GG_JWKS_URL and/or GG_JWT_SECRET");
    edgeLog.warn("GG_JWT_SECRET and GG_JWKS_URL are unset: accepting tokens signed with the development secret");
    keys.push(createSecretKeySource(DEV_JWT_SECRET));
  }
  return keys;
}
