// Re-attaching after an edge restart: the jobs a previous process of this edge left unfinished in its job
// store are joined again on their workers (Last-Event-ID = the last worker event it logged) and consumed
// as if never interrupted: events appended, the reservation settled once at its recorded price, webhooks
// fired. A worker that no longer streams the job still says how it ended (GET /internal/jobs/:id), and the
// job settles from that count; with nothing to go on the job fails and its reservation is released.
// A worker that does not know the job is never asked to run it again: that would run and bill it twice.
import type { ErrorBody, JobEvent, JobOutcome, TerminalEvent, WorkerJob } from "@guidegate/shared";
import { recordEvent, type RecordDeps } from "../jobs/record.ts";
import type { JobRecord } from "../jobs/types.ts";
import type { Dispatch } from "../pool/types.ts";
import { JobRun, type RunDeps } from "./run.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

export interface ResumeDeps extends RunDeps, RecordDeps {
  /** Runs consumed by this process, by job id (cancel finds them here). */
  runs: Map<string, JobRun>;
}

/** How each unfinished job was taken up, by outcome: for the start-up log and tests. */
export interface ResumeReport {
  reattached: string[];
  /** Ended from the worker's own report (its terminal event). */
  settledFromWorker: string[];
  /** Nothing to re-attach to: failed, reservation released. */
  failed: string[];
}

export const edgeRestarted: ErrorBody = {
  type: "server_error",
  code: "edge_restarted",
  message: "The gateway restarted and could not find this job on its worker; you have not been charged.",
  param: null,
};

/** How long a worker that could not be re-attached gets to report a job it was told to cancel. */
const STOP_REPORT_WAIT_MS = 3_000;

/** A dispatch that is only its terminal event: the run settles from it as from a live stream's end. */
function endedWith(worker: string, terminal: TerminalEvent): Dispatch {
  const events = (async function* (): AsyncGenerator<JobEvent> {
    yield terminal;
  })();
  return { worker, events, close: () => {} };
}

type Rejoined = { kind: "attached" | "reported" | "lost"; dispatch: Dispatch };

/** The worker's terminal event when it has one and re-POSTing could run the job again (cancelled or failed). */
const finalOnWorker = (o: JobOutcome): TerminalEvent | null =>
  o.terminal && o.terminal.event !== "completed" ? o.terminal : null;

/** Join the job on its worker again, or find out how it ended there. */
async function rejoin(deps: ResumeDeps, rec: JobRecord, spec: WorkerJob): Promise<Rejoined> {
  const worker = rec.worker!;
  const lost = { kind: "lost" as const, dispatch: endedWith(worker, { event: "failed", error: edgeRestarted }) };
  const known = await deps.pool.outcome?.(worker, rec.id, 0);
  if (!known) return lost; // a restarted worker (404) or one that cannot be asked: nothing to count from
  const final = finalOnWorker(known);
  if (final) return { kind: "reported", dispatch: endedWith(worker, final) };
  // Running, queued, or completed (joined, never rerun): its events after the last one we logged.
  const attached = await deps.pool.attach?.(worker, spec, rec.worker_seq ?? 0);
  if (attached) return { kind: "attached", dispatch: attached };
  if (known.terminal) return { kind: "reported", dispatch: endedWith(worker, known.terminal) };
  // It runs there but will not stream to us: stop it and settle what it spent.
  await deps.pool.cancel(worker, rec.id);
  const o = await deps.pool.outcome?.(worker, rec.id, STOP_REPORT_WAIT_MS);
  const t: TerminalEvent = o?.terminal ?? { event: "cancelled", usage: { nfe: Math.max(o?.nfe ?? 0, rec.nfe) } };
  return { kind: "reported", dispatch: endedWith(worker, t) };
}

/** A job never dispatched (or whose spec was not kept): nothing ran, so nothing is billed. */
async function failUnstarted(deps: ResumeDeps, rec: JobRecord): Promise<void> {
  try {
    await deps.ledger.void(rec.id);
  } catch (err) {
    edgeLog.error("ledger void failed for {job_id}: {error}", { job_id: rec.id, ...errorFields(err) }); // the lease releases it
  }
  await recordEvent(deps, rec.id, { event: "failed", error: edgeRestarted }, deps.clock.now());
}

/** Take up every unfinished job in the store; resolves once each is re-attached or ended (not when they finish). */
export async function resumeJobs(deps: ResumeDeps): Promise<ResumeReport> {
  const report: ResumeReport = { reattached: [], settledFromWorker: [], failed: [] };
  for (const { rec, spec } of await deps.jobs.unfinished()) {
    if (deps.runs.has(rec.id)) continue; // started by this process
    if (!spec || !rec.worker) {
      await failUnstarted(deps, rec);
      report.failed.push(rec.id);
      continue;
    }
    const { kind, dispatch } = await rejoin(deps, rec, spec);
    (kind === "attached" ? report.reattached : kind === "reported" ? report.settledFromWorker : report.failed).push(
      rec.id,
    );
    const run = new JobRun(deps, spec, rec.price_micro_usd_per_nfe);
    run.adopt(dispatch, rec.nfe);
    deps.runs.set(rec.id, run);
    const consumed = run
      .run((ev) => recordEvent(deps, rec.id, ev, deps.clock.now(), run.where()))
      .catch((err) => edgeLog.error("resumed job {job_id} failed: {error}", { job_id: rec.id, ...errorFields(err) }))
      .finally(() => deps.runs.delete(rec.id));
    void consumed;
  }
  return report;
}
