// adminAuth(): the admin API's own credential, GG_ADMIN_TOKEN, compared in constant time (SHA-256 of both, then
// every byte). A tenant's JWT or API key is never an admin credential: any bearer but the admin token is a 403,
// on every admin route; no bearer at all is a 401.
import { createMiddleware } from "hono/factory";
import { forbidden, unauthorized } from "../errors.ts";
import type { AppEnv } from "./caller.ts";

/** Who the audit log names for an action taken with GG_ADMIN_TOKEN. */
export const ADMIN_ACTOR = "admin";
export const MIN_ADMIN_TOKEN_CHARS = 32;

const BEARER = /^Bearer[ ]+(\S+)$/i;

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(s)));
}

/** Equal strings, in time that depends on neither (fixed-length digests, every byte compared). */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([digest(a), digest(b)]);
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i]! ^ y[i]!;
  return diff === 0;
}

/** `token`: GG_ADMIN_TOKEN, or null (the admin API refuses everyone). */
export function adminAuth(token: string | null) {
  if (token !== null && token.length < MIN_ADMIN_TOKEN_CHARS)
    throw new Error(`adminAuth: GG_ADMIN_TOKEN must be at least ${MIN_ADMIN_TOKEN_CHARS} characters`);
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header("authorization");
    if (header === undefined) throw unauthorized("missing_token", "The admin credential is required.");
    const m = BEARER.exec(header.trim());
    if (!m) throw unauthorized("invalid_token", "Use Authorization: Bearer <admin token>.");
    if (token === null) throw forbidden("admin_disabled", "The admin API is not enabled (GG_ADMIN_TOKEN is unset).");
    if (!(await sameSecret(m[1]!, token)))
      throw forbidden("admin_required", "This route needs the admin credential; tenant credentials are refused.");
    await next();
  });
}
