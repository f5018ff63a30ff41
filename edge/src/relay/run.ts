// JobRun: one job from first dispatch to terminal event. Fails over to another worker (same
// seed) when a worker dies, cancels on request, and ends the ledger reservation exactly once.
import {
  type ErrorBody,
  type ImageRef,
  isTerminal,
  type JobEvent,
  type TerminalEvent,
  type Usage,
  type WorkerJob,
} from "@guidegate/shared";
import type { Clock } from "../clock.ts";
import type { Admission, Place } from "../admission/jobs.ts";
import type { EdgeConfig } from "../config.ts";
import type { Ledger } from "../ledger/types.ts";
import { type Dispatch, JobRejectedError, NoCapacityError, type WorkerPool } from "../pool/types.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

type Completed = Extract<JobEvent, { event: "completed" }>;
type Terminal = TerminalEvent;

export type Outcome =
  | { kind: "completed"; event: Completed }
  | { kind: "failed"; error: ErrorBody }
  | { kind: "cancelled"; usage: Usage };

export interface RunDeps {
  pool: WorkerPool;
  ledger: Ledger;
  clock: Clock; // the settle's time: a settle after the reservation's lease is billed but counted late
  config: Pick<EdgeConfig, "maxAttempts" | "cancelGraceMs">;
  /** Its capacity line, where jobs wait for a worker with room (jobs API). */
  admission?: Pick<Admission, "line">;
}

export interface RunOptions {
  /** How long the job may wait for a worker with room before it fails (queue_timeout); 0: not at all. */
  queueTimeoutMs?: number;
}

export type EventSink = (event: JobEvent) => void | Promise<void>;

const workerLost: ErrorBody = {
  type: "server_error",
  code: "worker_failed",
  message: "The generation failed on our side; you have not been charged.",
  param: null,
};
const queueTimeout: ErrorBody = {
  type: "overloaded_error",
  code: "queue_timeout",
  message: "No worker had room for the job within its queue_timeout_s; you have not been charged.",
  param: "queue_timeout_s",
};
const noCapacity: ErrorBody = {
  type: "overloaded_error",
  code: "no_capacity",
  message: "No worker capacity was left to finish the generation; you have not been charged.",
  param: null,
};

/** The place of a run that was never queued (tests, callers without admission). */
const ALWAYS_ADMITTED: Place = { position: 0, turn: async () => {}, release: () => {} };

/** How often the job at the head of the capacity line tries a dispatch when nothing here frees a slot. */
const CAPACITY_RETRY_MS = 1_000;

/** How long a cancelled run waits for the worker's own count after its stream was cut. */
const CANCEL_REPORT_WAIT_MS = 3_000;

/** Images as clients see them: storage keys stay internal. */
export const publicImages = (images: ImageRef[]): ImageRef[] => images.map(({ key: _key, ...rest }) => rest);

/** An event as clients see it: which worker ran the job stays internal. */
function publicEvent(e: JobEvent): JobEvent {
  if (e.event !== "started" || e.worker === undefined) return e;
  const { worker: _worker, ...rest } = e;
  return rest;
}

export class JobRun {
  readonly job: WorkerJob;
  private readonly deps: RunDeps;
  private readonly price: number;
  private dispatch: Dispatch | null = null;
  private readonly tried = new Set<string>();
  private lastNfe = 0;
  private cancelRequested = false;
  private cancelTimer: ReturnType<typeof setTimeout> | null = null;
  private ended = false;
  private readonly place: Place;
  /** Aborts the wait for the tenant's turn when the job is cancelled while still queued at the edge. */
  private readonly queueWait = new AbortController();

  private readonly queueTimeoutMs: number;

  constructor(deps: RunDeps, job: WorkerJob, pricePerNfe: number, place: Place = ALWAYS_ADMITTED, o: RunOptions = {}) {
    this.deps = deps;
    this.job = job;
    this.price = pricePerNfe;
    this.place = place;
    this.queueTimeoutMs = deps.admission?.line ? (o.queueTimeoutMs ?? 0) : 0;
  }

  /** Whether a pool without room leaves this job waiting in the capacity line (run()) instead of refusing it. */
  get queuesForCapacity(): boolean {
    return this.queueTimeoutMs > 0;
  }

  get worker(): string | null {
    return this.dispatch?.worker ?? null;
  }

  /** The worker running the job and the last event id read from it: where a restarted edge re-attaches. */
  where(): { worker: string | null; worker_seq: number } {
    return { worker: this.worker, worker_seq: this.dispatch?.lastSeq?.() ?? 0 };
  }

  /**
   * Take over a dispatch an earlier edge process started (re-attached after a restart) instead of starting
   * one; `lastNfe` is the progress it had logged. run() then consumes it as its own.
   */
  adopt(dispatch: Dispatch, lastNfe: number): void {
    if (this.dispatch || this.ended) throw new Error("JobRun.adopt: the run already has a dispatch");
    this.dispatch = dispatch;
    this.lastNfe = lastNfe;
  }

  /**
   * The tenant's turn (at once unless it was queued), then the first dispatch. On failure the reservation
   * is voided, the place given back and the error rethrown (503 / 400 to the caller).
   */
  async start(signal?: AbortSignal): Promise<void> {
    if (!(await this.tryStart(signal))) throw new NoCapacityError(0); // only when queuesForCapacity; admit() knows
  }

  /**
   * start(), but a job that queues for capacity and finds every worker full stays unstarted (false), its
   * reservation and place held: run() waits for a worker with room.
   */
  async tryStart(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.place.turn(signal ? AbortSignal.any([signal, this.queueWait.signal]) : this.queueWait.signal);
      this.dispatch = await this.deps.pool.dispatch(this.job, { signal });
    } catch (err) {
      if (err instanceof NoCapacityError && this.queuesForCapacity && !signal?.aborted) return false;
      await this.endLedger("void", 0);
      throw err;
    }
    this.afterDispatch();
    return true;
  }

  /** A cancel asked for before the job had a dispatch goes to the worker now. */
  private afterDispatch(): void {
    if (!this.cancelRequested) return;
    this.cancelRequested = false;
    this.cancel();
  }

  /** Stop at the next step: ask the worker, and cut the stream if it does not answer in time. */
  cancel(): void {
    if (this.cancelRequested || this.ended) return;
    this.cancelRequested = true;
    const d = this.dispatch;
    if (!d) {
      this.queueWait.abort(new Error("cancelled while queued")); // still waiting: leave the queue, nothing ran
      return;
    }
    this.cancelTimer = setTimeout(() => d.close(), this.deps.config.cancelGraceMs);
    void this.deps.pool.cancel(d.worker, this.job.job_id).then((ok) => {
      if (!ok) d.close(); // closing the dispatch body also cancels on the worker
    });
  }

  /** Consume events until the job ends; `sink` sees every event, the terminal one with its price. */
  async run(sink: EventSink): Promise<Outcome> {
    const emit = async (e: JobEvent) => {
      try {
        await sink(publicEvent(e));
      } catch (err) {
        edgeLog.error("event sink failed for {job_id}: {error}", {
          job_id: this.job.job_id,
          request_id: this.job.request_id,
          ...errorFields(err),
        });
      }
    };
    const refused = this.dispatch ? null : await this.startQueued(emit);
    if (refused) return this.finish(refused, emit);
    for (let attempt = 1; ; attempt++) {
      const d = this.dispatch!; // set by start(): the caller's, or startQueued()'s just now
      let terminal: Terminal | null = null;
      try {
        for await (const ev of d.events) {
          if (isTerminal(ev)) {
            terminal = ev;
            break;
          }
          if (ev.event === "progress") this.lastNfe = ev.nfe;
          await emit(ev);
        }
      } catch {
        // The stream broke: a dead worker, a protocol error, or our own close() after a cancel.
      }
      d.close();
      if (terminal) return this.finish(terminal, emit);
      if (this.cancelRequested) return this.finish(await this.cancelledOn(d.worker), emit);

      // Our fault: retry on another worker with the same seed; the lost attempt is not billed.
      this.tried.add(d.worker);
      if (attempt >= this.deps.config.maxAttempts) return this.finish({ event: "failed", error: workerLost }, emit);
      await emit({ event: "retrying", attempt: attempt + 1, reason: "worker_lost" });
      this.lastNfe = 0;
      const next = await this.redispatch();
      if ("error" in next) return this.finish({ event: "failed", error: next.error }, emit);
      this.dispatch = next.dispatch;
      this.afterDispatch();
    }
  }

  /** A job queued at the edge starts in the background: what the POST would have answered becomes its end. */
  private async startQueued(emit: (e: JobEvent) => Promise<void>): Promise<Terminal | null> {
    if (this.place.position > 0) await emit({ event: "queued", position: this.place.position });
    try {
      if (this.dispatch || (await this.tryStart())) return null;
      return await this.waitForCapacity(emit);
    } catch (err) {
      if (this.cancelRequested) return { event: "cancelled", usage: { nfe: 0 } };
      if (err instanceof JobRejectedError) return { event: "failed", error: err.error };
      return { event: "failed", error: err instanceof NoCapacityError ? noCapacity : workerLost };
    }
  }

  /**
   * Every worker is full: wait in the capacity line (its position in `queued` events) until a dispatch at
   * the head succeeds, the job is cancelled (throws) or its queue timeout passes (failed, nothing billed).
   */
  private async waitForCapacity(emit: (e: JobEvent) => Promise<void>): Promise<Terminal | null> {
    const ticket = this.deps.admission!.line!.join();
    const deadline = this.deps.clock.now() + this.queueTimeoutMs;
    try {
      for (let shown = 0; ; ) {
        if (ticket.position !== shown) {
          shown = ticket.position;
          await emit({ event: "queued", position: shown });
        }
        const left = deadline - this.deps.clock.now();
        if (left <= 0) return { event: "failed", error: queueTimeout };
        await ticket.wait(Math.min(left, CAPACITY_RETRY_MS), this.queueWait.signal);
        if (ticket.position !== 1) continue;
        try {
          this.dispatch = await this.deps.pool.dispatch(this.job);
        } catch (err) {
          if (!(err instanceof NoCapacityError)) throw err;
          continue;
        }
        this.afterDispatch();
        return null;
      }
    } finally {
      ticket.leave();
    }
  }

  /**
   * A cancelled run whose stream was cut before its terminal event: the worker stops at the next step
   * and keeps the exact count, so settle from its report; only when it cannot be asked, from the last
   * progress it sent (steps that certainly ran).
   */
  private async cancelledOn(worker: string): Promise<Terminal> {
    const o = await this.deps.pool.outcome?.(worker, this.job.job_id, CANCEL_REPORT_WAIT_MS);
    const t = o?.terminal;
    if (t) return t;
    return { event: "cancelled", usage: { nfe: Math.max(this.lastNfe, o?.nfe ?? 0) } };
  }

  private async redispatch(): Promise<{ dispatch: Dispatch } | { error: ErrorBody }> {
    try {
      return { dispatch: await this.deps.pool.dispatch(this.job, { exclude: this.tried }) };
    } catch (err) {
      if (err instanceof JobRejectedError) return { error: err.error };
      if (!(err instanceof NoCapacityError)) return { error: workerLost };
    }
    try {
      // Every other worker is busy or gone; a worker that failed may have come back.
      return { dispatch: await this.deps.pool.dispatch(this.job) };
    } catch (err) {
      if (err instanceof JobRejectedError) return { error: err.error };
      return { error: err instanceof NoCapacityError ? noCapacity : workerLost };
    }
  }

  private async finish(t: Terminal, emit: (e: JobEvent) => Promise<void>): Promise<Outcome> {
    if (this.cancelTimer) clearTimeout(this.cancelTimer);
    if (t.event === "failed") {
      // Billed only for an attempt that completed: a failure produced no image, so nothing is charged.
      await this.endLedger("void", 0);
      await emit({ event: "failed", error: t.error });
      return { kind: "failed", error: t.error };
    }
    const nfe = Math.min(t.usage.nfe, this.job.max_nfe);
    await this.endLedger("settle", nfe);
    const usage: Usage = { nfe, cost_micro_usd: nfe * this.price };
    if (t.event === "cancelled") {
      await emit({ event: "cancelled", usage });
      return { kind: "cancelled", usage };
    }
    const event: Completed = { ...t, images: publicImages(t.images), usage };
    await emit(event);
    return { kind: "completed", event };
  }

  private async endLedger(how: "settle" | "void", nfe: number): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.place.release(); // the tenant's slot frees with its reservation: its next queued job may go
    try {
      if (how === "settle") await this.deps.ledger.settle(this.job.job_id, nfe, this.deps.clock.now());
      else await this.deps.ledger.void(this.job.job_id);
    } catch (err) {
      // The reservation stays open; the ledger's own expiry resolves it. Never fail the client for it.
      edgeLog.error("ledger {how} failed for {job_id}: {error}", {
        how,
        job_id: this.job.job_id,
        request_id: this.job.request_id,
        ...errorFields(err),
      });
    }
  }
}
