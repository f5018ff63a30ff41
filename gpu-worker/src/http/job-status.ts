// The worker's view of one job for GET /internal/jobs/:id: status, progress, the terminal event.
import { type JobOutcome, JobOutcomeSchema } from "@guidegate/shared";
import type { Job } from "../jobs/job.ts";

/** Validated against the contract before it leaves, as the edge validates it on arrival. */
export function jobStatus(job: Job): JobOutcome {
  return JobOutcomeSchema.parse({
    id: job.id,
    status: job.status,
    step: job.step,
    nfe: job.nfe,
    terminal: job.terminal,
  });
}

/** Resolves when the job has a terminal event or after `ms`, whichever comes first. */
export function waitForEnd(job: Job, ms: number): Promise<void> {
  if (job.finished) return Promise.resolve();
  return new Promise((resolve) => {
    let unsubscribe = () => {};
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      unsubscribe();
      resolve();
    }
    unsubscribe = job.subscribe(() => {
      if (job.finished) done();
    }, job.log.length);
  });
}
