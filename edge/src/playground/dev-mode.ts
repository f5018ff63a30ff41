// Is this edge accepting tokens signed with the public development secret? Only then does the
// playground hand out tokens: they grant nothing that the secret (published in this repo) does not.
import { DEV_JWT_SECRET } from "../auth/dev-token.ts";
import type { KeySource } from "../auth/key-source.ts";

const DEV_KEY = new TextEncoder().encode(DEV_JWT_SECRET);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function usesDevSecret(keys: readonly KeySource[]): boolean {
  return keys.some((k) => k.kind === "secret" && k.key instanceof Uint8Array && sameBytes(k.key, DEV_KEY));
}
