// Admission shared by the generation and jobs routes: tier and limits, seed, NFE reservation
// and the first dispatch. Anything refused here costs the caller nothing.
import {
  editImages,
  type GenerationRequest,
  guidanceName,
  type Tier,
  type WorkerJob,
  WorkerJobSchema,
} from "@guidegate/shared";
import type { EdgeConfig } from "../config.ts";
import type { ModelSource } from "../tiers/models.ts";
import { invalidRequest, overloaded, quotaExhausted, serverError } from "../errors.ts";
import type { Ledger } from "../ledger/types.ts";
import { JobRejectedError, NoCapacityError, type WorkerPool } from "../pool/types.ts";
import { type ResolvedGeneration, resolveGeneration } from "../tiers/resolve.ts";
import type { Caller } from "../auth/caller.ts";
import type { Clock } from "../clock.ts";
import { previewEveryFor } from "./openai.ts";
import { JobRun } from "./run.ts";

export interface AdmitDeps {
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
  return WorkerJobSchema.parse({
    job_id: jobId,
    tenant: caller.tenant,
    model: r.model.id,
    prompt: req.prompt,
    negative_prompt: req.negative_prompt,
    n: r.n,
    width: r.width,
    height: r.height,
    steps: r.steps,
    scheduler: req.scheduler,
    seed: req.seed ?? randomSeed(),
    guidance: r.guidance,
    max_nfe: r.reserve,
    preview_every: req.preview_every ?? previewEveryFor(req.partial_images, r.runSteps),
    output_format: req.output_format,
    response_format: responseFormat,
    ...editFields(req, r),
  });
}

/** An edit's images and strength for the worker; nothing for text-to-image. */
function editFields(req: GenerationRequest, r: ResolvedGeneration): Partial<WorkerJob> {
  const images = editImages(req);
  if (images.length === 0) return {};
  return { init_images: images, strength: r.strength, mask: req.mask };
}

/** Reserve the worst case, then dispatch; 402 when the quota cannot hold it, 503 when no worker can. */
export async function admit(
  deps: AdmitDeps,
  caller: Caller,
  job: WorkerJob,
  resolved: ResolvedGeneration,
  signal?: AbortSignal,
): Promise<Admitted> {
  const tier = caller.tier;
  const reserved = await deps.ledger.reserve(
    caller.tenant,
    job.job_id,
    resolved.reserve,
    tier.monthly_quota_nfe,
    deps.clock.now(),
    // What the settle bills at, even if the tier's price changes before it; tier and policy for usage breakdowns.
    {
      tier: caller.tierName,
      policy: guidanceName(job.guidance), // a preset's name, or a pair's "rule/schedule"
      price_micro_usd_per_nfe: tier.price_micro_usd_per_nfe,
    },
  );
  if (!reserved.ok) {
    if (reserved.reason === "quota_exhausted")
      throw quotaExhausted(
        `This request needs up to ${resolved.reserve} NFEs but only ${reserved.usage.remaining} remain in your monthly quota.`,
      );
    throw serverError("duplicate_job", "The job id is already in use; retry the request.");
  }
  // The job reports its cost at the price the ledger recorded, the one its settle bills.
  const run = new JobRun(deps, job, reserved.reservation.price_micro_usd_per_nfe);
  try {
    await run.start(signal);
  } catch (err) {
    if (err instanceof NoCapacityError) throw overloaded(err.retryAfterSec);
    // The worker judged the job itself invalid (e.g. a model it lacks): the caller's request, a 400.
    if (err instanceof JobRejectedError) throw invalidRequest(err.error.code, err.error.message, err.error.param);
    throw err;
  }
  return { run, job, resolved, tier };
}
