// The body of a job webhook, in the Standard Webhooks shape {type, timestamp, data}: the finished job with its
// usage (NFEs and cost) and image URLs. Built once per event and stored, so every retry sends the same bytes.
import type { JobRecord } from "../jobs/types.ts";
import type { WebhookEventType } from "./types.ts";

const EVENT_OF: Partial<Record<JobRecord["status"], WebhookEventType>> = {
  completed: "job.completed",
  failed: "job.failed",
  cancelled: "job.cancelled",
};

/** The webhook event a job's status calls for; null while the job runs. */
export const eventTypeOf = (status: JobRecord["status"]): WebhookEventType | null => EVENT_OF[status] ?? null;

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

/** Images by URL only: a `b64_json` result stays on GET /v1/jobs/{id}, out of a webhook body. */
function imageUrls(rec: JobRecord) {
  return (rec.result?.images ?? []).map((i) => ({ url: i.url ?? null, width: i.width, height: i.height }));
}

export function jobPayload(type: WebhookEventType, rec: JobRecord): string {
  const finishedAt = rec.finished_at ?? rec.created_at;
  return JSON.stringify({
    type,
    timestamp: new Date(finishedAt).toISOString(),
    data: {
      id: rec.id,
      object: "job",
      status: rec.status,
      created_at: seconds(rec.created_at),
      finished_at: seconds(rec.finished_at),
      model: rec.model,
      size: rec.size,
      n: rec.n,
      steps: rec.steps,
      policy: rec.policy,
      seed: rec.result?.seed ?? rec.seed,
      usage: { nfe: rec.nfe, cost_micro_usd: rec.nfe * rec.price_micro_usd_per_nfe },
      images: imageUrls(rec),
      error: rec.error,
    },
  });
}
