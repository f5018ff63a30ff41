// Admission shared by the generation and jobs routes: tier and limits, seed, NFE reservation
// and the first dispatch. Anything refused here costs the caller nothing.
import { editImages, type GenerationRequest, guidanceName, type Tier, type WorkerJob } from "@guidegate/shared";
import type { Admission, JobLimits } from "../admission/jobs.ts";
import type { EdgeConfig } from "../config.ts";
import type { ModelSource } from "../tiers/models.ts";
import { invalidRequest, overloaded, quotaExhausted, requestCancelled, serverError } from "../errors.ts";
import type { Ledger } from "../ledger/types.ts";
import { JobRejectedError, NoCapacityError, type WorkerPool } from "../pool/types.ts";
import { type ResolvedGeneration, resolveGeneration } from "../tiers/resolve.ts";
import type { Caller } from "../auth/caller.ts";
import type { Clock } from "../clock.ts";
import { previewEveryFor } from "./openai.ts";
import { JobRun } from "./run.ts";

export interface AdmitDeps {
  admission: Admission;
  ledger: Ledger;
  pool: WorkerPool;
  clock: Clock;
  config: EdgeConfig;
  models: ModelSource;
}

export interface Admitted {
  run: JobRun;
  job: WorkerJob;
  resolved: ResolvedGeneration;
  tier: Tier;
}

/** Job ids embed the tenant's ledger route (the Durable Object ledger finds a job by its id alone). */
export { newJobId } from "../ledger/ids.ts";

export const randomSeed = (): number => crypto.getRandomValues(new Uint32Array(1))[0]!;

/** Check the request against the caller's tier and the models that exist, without side effects. */
export async function resolveFor(
  caller: Caller,
  req: GenerationRequest,
  deps: Pick<AdmitDeps, "config" | "models">,
): Promise<ResolvedGeneration> {
  const models = await deps.models();
  // No worker has ever answered: nothing can run, and "no such model" would be a lie.
  if (models.length === 0) throw overloaded(RETRY_NO_WORKER_S, "No GPU worker is reachable; retry later.");
  return resolveGeneration(caller.tierName, caller.tier, req, models, deps.config.defaultSteps);
}

const RETRY_NO_WORKER_S = 5;

export function workerJobFor(
  jobId: string,
  caller: Caller,
  req: GenerationRequest,
  r: ResolvedGeneration,
  responseFormat: "url" | "b64_json",
): WorkerJob {
  // Built from a request already validated and resolved: parsing it again with WorkerJobSchema (the worker's
  // own check of what it receives, a union over every policy) cost ~9 µs a request for nothing. The type
  // keeps the fields honest; test/unit/edge/worker-job.test.ts checks the contract's schema accepts them.
  return {
    job_id: jobId,
    tenant: caller.tenant,
    model: r.model.id,
    prompt: req.prompt,
    negative_prompt: req.negative_prompt,
    n: r.n,
    width: r.width,
    height: r.height,
    steps: r.steps,
    scheduler: r.scheduler,
    seed: req.seed ?? randomSeed(),
    guidance: r.guidance,
    max_nfe: r.reserve,
    preview_every: req.preview_every ?? previewEveryFor(req.partial_images, r.runSteps),
    output_format: req.output_format,
    response_format: responseFormat,
    ...editFields(req, r),
  } satisfies WorkerJob;
}

/** An edit's images and strength for the worker; nothing for text-to-image. */
function editFields(req: GenerationRequest, r: ResolvedGeneration): Partial<WorkerJob> {
  const images = editImages(req);
  if (images.length === 0) return {};
  return { init_images: images, strength: r.strength, mask: req.mask };
}

export interface AdmitOptions {
  /** Aborts the wait for the tenant's turn and the first dispatch (the client went away). */
  signal?: AbortSignal;
  /** A job that must wait for its tenant's turn is returned unstarted: JobRun.run() starts it later. */
  startLater?: boolean;
  /** With startLater: a job that finds every worker full waits this long for room (queued), instead of a 503. */
  queueTimeoutMs?: number;
}

const limitsOf = (tier: Tier): JobLimits => ({
  maxConcurrentJobs: tier.max_concurrent_jobs,
  maxQueuedJobs: tier.max_queued_jobs,
});

/** Hold the worst case in the ledger at the tier's price, which it returns; 402 when the quota cannot hold it. */
async function reserve(deps: AdmitDeps, caller: Caller, job: WorkerJob, resolved: ResolvedGeneration): Promise<number> {
  const { monthly_quota_nfe: quota, price_micro_usd_per_nfe: price } = caller.tier;
  // The price is what the settle bills, even if the tier's price changes before it.
  const reserved = await deps.ledger.reserve(caller.tenant, job.job_id, resolved.reserve, quota, deps.clock.now(), {
    tier: caller.tierName, // tier and policy for usage breakdowns
    policy: guidanceName(job.guidance), // a preset's name, or a pair's "rule/schedule"
    price_micro_usd_per_nfe: price,
  });
  if (reserved.ok) return reserved.reservation.price_micro_usd_per_nfe;
  if (reserved.reason === "quota_exhausted")
    throw quotaExhausted(
      `This request needs up to ${resolved.reserve} NFEs but only ${reserved.usage.remaining} remain in your monthly quota.`,
    );
  throw serverError("duplicate_job", "The job id is already in use; retry the request.");
}

/**
 * A place in the tenant's admission (429 when its queue is full), the worst case reserved (402), then the
 * first dispatch once it is the tenant's turn (503 when no worker can take it, 400 when one refuses it).
 */
export async function admit(
  deps: AdmitDeps,
  caller: Caller,
  job: WorkerJob,
  resolved: ResolvedGeneration,
  o: AdmitOptions = {},
): Promise<Admitted> {
  const tier = caller.tier;
  const place = await deps.admission.enter(caller.tenant, limitsOf(tier));
  let price: number;
  try {
    price = await reserve(deps, caller, job, resolved);
  } catch (err) {
    place.release();
    throw err;
  }
  // The job reports its cost at the price the ledger recorded, the one its settle bills.
  const run = new JobRun(deps, job, price, place, { queueTimeoutMs: o.startLater ? o.queueTimeoutMs : 0 });
  const admitted = { run, job, resolved, tier };
  if (place.position > 0 && o.startLater) return admitted;
  try {
    // Unstarted (false) only when it queues for capacity: run() waits for a worker with room.
    if (!(await run.tryStart(o.signal))) return admitted;
  } catch (err) {
    if (o.signal?.aborted) throw requestCancelled();
    if (err instanceof NoCapacityError) throw overloaded(err.retryAfterSec);
    // The worker judged the job itself invalid (e.g. a model it lacks): the caller's request, a 400.
    if (err instanceof JobRejectedError) throw invalidRequest(err.error.code, err.error.message, err.error.param);
    throw err;
  }
  return admitted;
}
