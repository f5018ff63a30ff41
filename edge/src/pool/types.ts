// The worker pool as the rest of the edge sees it.
import type { ErrorBody, JobEvent, JobOutcome, ModelInfo, WorkerHealth, WorkerJob } from "@guidegate/shared";

/** One running dispatch: the worker's validated events, and a way to cut the stream (cancels on the worker). */
export interface Dispatch {
  worker: string;
  events: AsyncIterable<JobEvent>;
  close(): void;
  /** The `id:` of the last event read from the worker's stream (its sequence number; 0 before any). */
  lastSeq?(): number;
}

export interface DispatchOptions {
  /** Workers not to try (they failed this job already). */
  exclude?: ReadonlySet<string>;
  signal?: AbortSignal;
}

export type { JobOutcome } from "@guidegate/shared";

export interface WorkerStatus {
  url: string;
  outstanding: number;
  up: boolean;
  health: WorkerHealth | null;
}

export interface WorkerPool {
  /** Start `job` on the least-loaded worker that accepts it; NoCapacityError when none does. */
  dispatch(job: WorkerJob, opts?: DispatchOptions): Promise<Dispatch>;
  /**
   * Join `job` again on `worker`, which runs it (after an edge restart): its events after `afterSeq`, live.
   * Null when the worker cannot be reached or refuses. Only for a job the worker still knows (outcome()):
   * one it has forgotten would run afresh.
   */
  attach?(worker: string, job: WorkerJob, afterSeq: number): Promise<Dispatch | null>;
  /** Ask `worker` to stop `jobId` at its next step; false when the worker could not be told. */
  cancel(worker: string, jobId: string): Promise<boolean>;
  /**
   * What `worker` knows of `jobId` (waiting up to `waitMs` for it to end): the worker, not the edge, counts
   * NFEs, so a run whose stream was cut settles from this. Null when the worker cannot be asked.
   */
  outcome?(worker: string, jobId: string, waitMs: number): Promise<JobOutcome | null>;
  status(): WorkerStatus[];
  /**
   * The models the reachable workers serve, from their health (refreshed first when stale), in the
   * order workers list them; empty when no worker answers.
   */
  models(): Promise<ModelInfo[]>;
}

/** Every worker is full, down or refused the job for capacity reasons. */
export class NoCapacityError extends Error {
  constructor(readonly retryAfterSec: number) {
    super("no worker capacity");
    this.name = "NoCapacityError";
  }
}

/** A worker refused the job itself (400): retrying elsewhere will not help. */
export class JobRejectedError extends Error {
  constructor(readonly error: ErrorBody) {
    super(error.message);
    this.name = "JobRejectedError";
  }
}

/** A worker broke the internal protocol (bad event, bad content type). */
export class WorkerProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WorkerProtocolError";
  }
}
