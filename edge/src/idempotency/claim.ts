// Idempotency-Key handling shared by the POST routes (IETF draft semantics: 422 for another
// body under the same key, 409 while the first synchronous request still runs).
import type { IdempotencyRecord, IdempotencyStore } from "../ledger/types.ts";
import { ApiError, invalidRequest } from "../errors.ts";
import { fingerprint } from "./fingerprint.ts";

export const IDEMPOTENCY_HEADER = "idempotency-key";

/** The key from the header (a bare token or a structured-field string), or null when absent. */
export function readIdempotencyKey(header: string | undefined): string | null {
  if (header === undefined) return null;
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key))
    throw invalidRequest(
      "invalid_idempotency_key",
      "Idempotency-Key must be 1-255 visible ASCII characters.",
      "Idempotency-Key",
    );
  return key;
}

export type Claim = { kind: "none" } | { kind: "new"; key: string } | { kind: "existing"; record: IdempotencyRecord };

/** Claim (tenant, key) for `jobId`, or return the record holding it; 422 when the body differs. */
export async function claimKey(
  store: IdempotencyStore,
  opts: { tenant: string; key: string | null; method: string; path: string; body: unknown; jobId: string; now: number },
): Promise<Claim> {
  if (opts.key === null) return { kind: "none" };
  const fp = await fingerprint(opts.method, opts.path, opts.body);
  const begun = await store.begin(
    { tenant: opts.tenant, key: opts.key, fingerprint: fp, job_id: opts.jobId, created_at: opts.now },
    opts.now,
  );
  if (begun.kind === "new") return { kind: "new", key: opts.key };
  if (begun.record.fingerprint !== fp)
    throw new ApiError(
      "idempotency_error",
      "idempotency_key_reused",
      "This Idempotency-Key was used with a different request body.",
      { status: 422, param: "Idempotency-Key" },
    );
  return { kind: "existing", record: begun.record };
}

export const stillRunning = () =>
  new ApiError(
    "idempotency_error",
    "idempotency_in_progress",
    "A request with this Idempotency-Key is still running.",
    {
      status: 409,
      param: "Idempotency-Key",
      headers: { "retry-after": "1" },
    },
  );

/** Release a claim without failing the request that was already failing. */
export async function releaseQuietly(store: IdempotencyStore, tenant: string, claim: Claim): Promise<void> {
  if (claim.kind !== "new") return;
  try {
    await store.release(tenant, claim.key);
  } catch (err) {
    console.error("[edge] idempotency release failed", err);
  }
}

/** Record a claim's final response without failing the request that already succeeded. */
export async function finishQuietly(
  store: IdempotencyStore,
  tenant: string,
  claim: Claim,
  status: number,
  body: unknown,
): Promise<void> {
  if (claim.kind !== "new") return;
  try {
    await store.finish(tenant, claim.key, status, JSON.stringify(body));
  } catch (err) {
    console.error("[edge] idempotency finish failed", err);
  }
}
