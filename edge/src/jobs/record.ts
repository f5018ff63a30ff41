// Logging a job's events and mirroring them into its record: shared by the jobs route (a job it started)
// and the re-attach at start-up (a job an earlier process started), so both keep the same log.
import { isTerminal, type JobEvent } from "@guidegate/shared";
import type { Webhooks } from "../webhooks/service.ts";
import type { JobRecord, JobStore } from "./types.ts";

export interface RecordDeps {
  jobs: JobStore;
  webhooks: Pick<Webhooks, "jobFinished">;
}

/** Where the job runs as the event was read: what a restarted edge re-attaches with. */
export interface RunPosition {
  worker: string | null;
  worker_seq: number;
}

/** What the record says after `ev` (null: nothing to change). */
function patchFor(ev: JobEvent, now: number): Partial<JobRecord> | null {
  switch (ev.event) {
    case "queued":
      return { status: "queued", position: ev.position ?? null };
    case "started":
      return { status: "running", policy: ev.policy, position: null };
    case "progress":
      return { status: "running", nfe: ev.nfe };
    case "completed":
      return {
        status: "completed",
        nfe: ev.usage.nfe,
        result: { images: ev.images, seed: ev.seed },
        finished_at: now,
        position: null,
      };
    case "failed":
      return { status: "failed", nfe: 0, error: ev.error, finished_at: now, position: null };
    case "cancelled":
      return { status: "cancelled", nfe: ev.usage.nfe, finished_at: now, position: null };
    default:
      return null;
  }
}

/** Log an event, then mirror it into the job record: a reader that sees a finished status has the terminal event. */
export async function recordEvent(
  deps: RecordDeps,
  id: string,
  ev: JobEvent,
  now: number,
  at?: RunPosition,
): Promise<void> {
  await deps.jobs.append(id, ev);
  const patch = patchFor(ev, now);
  const moved = at && at.worker !== null ? { worker: at.worker, worker_seq: at.worker_seq } : null;
  if (patch || moved) await deps.jobs.update(id, { ...moved, ...patch });
  if (isTerminal(ev)) await deps.webhooks.jobFinished(await deps.jobs.get(id)); // after the log and status: readers first
}
