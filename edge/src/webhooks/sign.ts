// Secrets and signatures. Signing is the `standardwebhooks` package's own Webhook.sign (HMAC-SHA256 in pure
// JS through fast-sha256), so it runs unchanged on Node, Deno and Workers and matches its Webhook.verify.
import { Webhook } from "standardwebhooks";
import type { SigningSecrets } from "./types.ts";

const SECRET_PREFIX = "whsec_";
/** Standard Webhooks asks for 24 to 64 bytes of key. */
const SECRET_BYTES = 32;

function randomHex(bytes: number): string {
  let hex = "";
  for (const b of crypto.getRandomValues(new Uint8Array(bytes))) hex += b.toString(16).padStart(2, "0");
  return hex;
}

export const newEndpointId = (): string => `we_${randomHex(12)}`;
/** A `webhook-id`: one per delivery, kept across its retries. */
export const newMessageId = (): string => `msg_${randomHex(12)}`;

export function newSecret(): string {
  const key = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return SECRET_PREFIX + btoa(String.fromCharCode(...key));
}

/** The secrets that sign at `now`: the current one, and the previous one until it expires. */
export function activeSecrets(s: SigningSecrets, now: number): string[] {
  const previousLive = s.previous_secret !== null && (s.previous_secret_expires_at ?? 0) > now;
  return previousLive ? [s.secret, s.previous_secret as string] : [s.secret];
}

/** The three Standard Webhooks headers for one attempt; one `v1,` signature per active secret. */
export function signedHeaders(
  secrets: readonly string[],
  msgId: string,
  now: number,
  payload: string,
): Record<string, string> {
  const seconds = Math.floor(now / 1000);
  const at = new Date(seconds * 1000);
  const signature = secrets.map((s) => new Webhook(s).sign(msgId, at, payload)).join(" ");
  return { "webhook-id": msgId, "webhook-timestamp": String(seconds), "webhook-signature": signature };
}
