// Node-only (the Node entry imports it): the internal token of internal-token.ts, its HMAC from node:crypto.
// WebCrypto's sign is an async job on libuv's thread pool in Node: ~50 µs a token against ~4 µs here, and
// it queues behind the ledger's fdatasyncs on the same pool. The JWS is the compact form of RFC 7515
// (base64url header and claims, HMAC-SHA-256 over "header.claims"); the tests verify it with jose.
import { createHmac } from "node:crypto";
import { INTERNAL_AUDIENCE } from "@guidegate/shared";
import { type InternalSigner, internalClaims, internalSecretBytes } from "./internal-token.ts";

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json)).toString("base64url");
const HEADER = base64url({ alg: "HS256", typ: "JWT" });

export function nodeInternalSigner(secret: string | Uint8Array | undefined): InternalSigner {
  const key = internalSecretBytes(secret);
  return async (jobId, nowMs) => {
    const input = `${HEADER}.${base64url(internalClaims({ job_id: jobId }, INTERNAL_AUDIENCE, nowMs))}`;
    return `${input}.${createHmac("sha256", key).update(input).digest("base64url")}`;
  };
}
