// The key string: `gg_live_` + the tenant's routing key (16 hex, storage/tenant-object.ts: on Workers it says
// which Durable Object holds the record, without naming the tenant) + 32 random bytes in base64url. 256 bits of
// entropy make a plain SHA-256 the right hash (no slow KDF is needed against guessing); WebCrypto computes it on
// Node, Deno and workerd alike.
import { routeKeyOf } from "../storage/tenant-object.ts";

export const API_KEY_PREFIX = "gg_live_";
const SECRET_BYTES = 32;
const KEY_PATTERN = /^gg_live_([0-9a-f]{16})[A-Za-z0-9_-]{43}$/;
/** Characters of a key kept in its record for display: the prefix and the first 8 of the route. */
const DISPLAY_CHARS = API_KEY_PREFIX.length + 8;

/** Does this bearer token look like one of our keys (rather than a JWT)? */
export const isApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX);

/** The routing key inside a well-formed key, or null for a malformed one. */
export function routeOfKey(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const hex = (bytes: ArrayBuffer): string =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Hex SHA-256 of a key string: what stores keep and look up by. */
export async function hashKey(key: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
}

/** A new key for `tenant` and its public id. */
export function newApiKey(tenant: string): { key: string; id: string; prefix: string } {
  const key = API_KEY_PREFIX + routeKeyOf(tenant) + base64url(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)));
  const id = `key_${hex(crypto.getRandomValues(new Uint8Array(12)).buffer)}`;
  return { key, id, prefix: key.slice(0, DISPLAY_CHARS) };
}
