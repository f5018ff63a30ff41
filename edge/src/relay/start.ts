// The opening every POST route shares (POST /v1/images/generations and /edits, POST /v1/jobs): validate the body, resolve
// it against the caller's tier, claim its Idempotency-Key, then admit it (reserve + first dispatch), releasing
// the claim when admission fails. The routes keep only what differs: sync JSON, SSE, or a 202 job.
import { type GenerationRequest, GenerationRequestSchema, type WorkerJob } from "@guidegate/shared";
import type { Caller } from "../auth/caller.ts";
import { checkEditInputs } from "../edits/check.ts";
import { type Claim, claimKey, claimOrWait, readIdempotencyKey, releaseQuietly } from "../idempotency/claim.ts";
import type { IdempotencyRecord, IdempotencyStore } from "../ledger/types.ts";
import type { ResolvedGeneration } from "../tiers/resolve.ts";
import { type AdmitDeps, type Admitted, admit, newJobId, resolveFor, workerJobFor } from "./admit.ts";

export interface StartDeps extends AdmitDeps {
  idempotency: IdempotencyStore;
}

export interface StartRequest {
  caller: Caller;
  /** The request body as parsed JSON, not yet validated. */
  body: unknown;
  /** The raw Idempotency-Key header, if any. */
  idempotencyKey: string | undefined;
  /** The route's path: part of the idempotency fingerprint, so the same key on two routes never matches. */
  path: string;
  /** How the worker hands back this request's images. */
  responseFormat(req: GenerationRequest): "url" | "b64_json";
  /** Aborts the first dispatch (the client went away). */
  signal?: AbortSignal;
  /** The route's own checks of the parsed body (webhook_url), run before anything is claimed or reserved. */
  precheck?(req: GenerationRequest): Promise<void>;
  /** Wait up to this long for a request that holds the key to finish, instead of answering at once. */
  joinWaitMs?: number;
  /** Return a job that must wait for its tenant's turn unstarted (jobs API), instead of waiting here. */
  startLater?: boolean;
  /** The worker keeps the job running this long with no edge attached (jobs API: it survives an edge restart). */
  detachGraceMs?: number;
  /** With startLater: how long the job may wait for a worker with room (queued) instead of a 503. */
  queueTimeoutMs?(req: GenerationRequest): number;
  /** The request's id and span (observability/request-context.ts), handed to the worker with the job. */
  trace?: Pick<WorkerJob, "request_id" | "traceparent">;
}

/** A claim this request holds (or none without a key): finish it on success, release it on failure. */
export type OwnClaim = Exclude<Claim, { kind: "existing" }>;

export type Started =
  /** The key was claimed earlier with the same body: `record` is that request's (running or finished). */
  | { kind: "existing"; req: GenerationRequest; resolved: ResolvedGeneration; record: IdempotencyRecord }
  /** Reserved and dispatched under `claim`; `now` is when the request was claimed. */
  | {
      kind: "admitted";
      req: GenerationRequest;
      resolved: ResolvedGeneration;
      admitted: Admitted;
      claim: OwnClaim;
      now: number;
    };

/**
 * Everything a generation request does before its first event. Throws the ApiError to answer with (400/403
 * before anything is held, 402/422/503 after); nothing stays claimed or reserved when it throws.
 */
export async function startGeneration(deps: StartDeps, r: StartRequest): Promise<Started> {
  const { caller } = r;
  const req = GenerationRequestSchema.parse(r.body);
  await r.precheck?.(req);
  checkEditInputs(req, { imageBytes: deps.config.editImageBytes, maxPixels: deps.config.editMaxPixels });
  const resolved = await resolveFor(caller, req, deps); // 400/403 before anything is held
  const key = readIdempotencyKey(r.idempotencyKey);
  const jobId = newJobId(caller.tenant);
  const now = deps.clock.now();
  const claimOpts = { tenant: caller.tenant, key, method: "POST", path: r.path, body: req, jobId, now };
  const claim = r.joinWaitMs
    ? await claimOrWait(deps.idempotency, claimOpts, r.joinWaitMs)
    : await claimKey(deps.idempotency, claimOpts);
  if (claim.kind === "existing") return { kind: "existing", req, resolved, record: claim.record };
  try {
    const job = { ...workerJobFor(jobId, caller, req, resolved, r.responseFormat(req)), ...r.trace };
    if (r.detachGraceMs) job.detach_grace_ms = r.detachGraceMs;
    const admitted = await admit(deps, caller, job, resolved, {
      signal: r.signal,
      startLater: r.startLater,
      queueTimeoutMs: r.queueTimeoutMs?.(req),
    });
    return { kind: "admitted", req, resolved, admitted, claim, now };
  } catch (err) {
    await releaseQuietly(deps.idempotency, caller.tenant, claim);
    throw err;
  }
}
