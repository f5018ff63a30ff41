// Idempotency-Key handling shared by the POST routes (IETF draft semantics: 422 for another
// body under the same key, 409 while the first synchronous request still runs).
import type { IdempotencyRecord, IdempotencyStore } from "../ledger/types.ts";
import { ApiError, invalidRequest } from "../errors.ts";
import { fingerprint } from "./fingerprint.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

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

type ClaimOptions = Parameters<typeof claimKey>[1];

/**
 * Claim the key, or wait up to `waitMs` for the request holding it to finish (its record then replays) or
 * to let go after a refusal (then this request claims it and runs). Still held after that: the holder's
 * claim, still running (the caller answers 409).
 */
export async function claimOrWait(store: IdempotencyStore, opts: ClaimOptions, waitMs: number): Promise<Claim> {
  const deadline = Date.now() + waitMs;
  for (let pauseMs = 20; ; pauseMs = Math.min(pauseMs * 2, 250)) {
    const claim = await claimKey(store, opts);
    if (claim.kind !== "existing" || claim.record.state === "done" || Date.now() >= deadline) return claim;
    await new Promise((r) => setTimeout(r, Math.min(pauseMs, Math.max(0, deadline - Date.now()))));
  }
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

/** The key's job ran and its record expired (GG_JOB_TTL_MS) while the key (24 h) still holds: never run it again. */
export const jobExpired = (jobId: string) =>
  new ApiError(
    "not_found_error",
    "job_expired",
    `The job this Idempotency-Key started (${jobId}) has ended and its record expired; use a new key to run another.`,
    { param: "Idempotency-Key" },
  );

/** Release a claim without failing the request that was already failing. */
export async function releaseQuietly(store: IdempotencyStore, tenant: string, claim: Claim): Promise<void> {
  if (claim.kind !== "new") return;
  try {
    await store.release(tenant, claim.key);
  } catch (err) {
    edgeLog.error("idempotency release failed: {error}", errorFields(err));
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
    edgeLog.error("idempotency finish failed: {error}", errorFields(err));
  }
}
