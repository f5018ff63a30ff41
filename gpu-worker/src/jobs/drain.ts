// Graceful drain (SIGTERM): take no new job, let the running ones finish within the grace period,
// cancel what is left at the deadline (billed where it stood, like any cancel), and give images
// still in the spool the rest of the grace to reach the object store.
import type { JobRunner } from "./runner.ts";

/** After the deadline, how long cancelled jobs get to reach their next step and send `cancelled`. */
export const CANCEL_WAIT_MS = 5_000;
/** Then how long open responses (the last events on their way to the edge) get before the process exits. */
export const CLOSE_WAIT_MS = 2_000;
/** What a drain may take beyond its grace: the margin terminationGracePeriodSeconds must leave. */
export const DRAIN_MARGIN_MS = CANCEL_WAIT_MS + CLOSE_WAIT_MS;

const POLL_MS = 50;

export interface DrainReport {
  /** Jobs that ended on their own during the grace. */
  finished: number;
  /** Jobs still going at the deadline, told to cancel. */
  cancelled: number;
  /** Jobs that had not ended even after the cancel wait (their edge settles from where it lost them). */
  abandoned: number;
  /** Images left in the spool (uploaded by the next start on the same spool folder). */
  spooled: number;
}

async function until(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
}

export async function drainJobs(
  runner: JobRunner,
  spool: { pending?(): number },
  graceMs: number,
): Promise<DrainReport> {
  runner.startDraining();
  const before = runner.unfinished().length;
  const spooled = () => spool.pending?.() ?? 0;
  await until(() => runner.unfinished().length === 0 && spooled() === 0, Date.now() + graceMs);
  const left = runner.unfinished();
  for (const job of left) void job.cancel();
  await until(() => runner.unfinished().length === 0, Date.now() + CANCEL_WAIT_MS);
  return {
    finished: before - left.length,
    cancelled: left.length,
    abandoned: runner.unfinished().length,
    spooled: spooled(),
  };
}
