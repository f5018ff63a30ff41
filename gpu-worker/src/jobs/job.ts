// One job on this worker: its numbered event log, its listeners and its cancellation.
import { isTerminal, type JobEvent, type JobStatus, type TerminalEvent, type WorkerJob } from "@guidegate/shared";

export interface SequencedEvent {
  seq: number;
  event: JobEvent;
}

export class Job {
  readonly log: SequencedEvent[] = [];
  /** Last step finished and the NFEs spent so far: what a cancel or a lease loss is billed at. */
  step = 0;
  nfe = 0;
  private listeners = new Set<(e: SequencedEvent) => void>();
  readonly abort = new AbortController();

  constructor(readonly spec: WorkerJob) {}

  get id(): string {
    return this.spec.job_id;
  }
  get finished(): boolean {
    const last = this.log.at(-1);
    return last !== undefined && isTerminal(last.event);
  }

  get status(): JobStatus {
    const last = this.log.at(-1)?.event;
    if (last && isTerminal(last)) return last.event;
    return this.log.some((e) => e.event.event === "started") ? "running" : "queued";
  }

  /** The terminal event, once there is one. */
  get terminal(): TerminalEvent | null {
    const last = this.log.at(-1)?.event;
    return last && isTerminal(last) ? last : null;
  }

  emit(event: JobEvent): void {
    if (this.finished) return; // exactly one terminal event
    const e = { seq: this.log.length + 1, event };
    this.log.push(e);
    for (const l of this.listeners) l(e);
  }

  /** Replays events after `afterSeq`, then follows live; returns the unsubscribe function. */
  subscribe(listener: (e: SequencedEvent) => void, afterSeq = 0): () => void {
    for (const e of this.log) if (e.seq > afterSeq) listener(e);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private attached = 0;
  private orphanTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * An event stream to the edge opened: the job has a reader again. Returns the function to call when
   * that stream closes. When the last one closes before the job ended, the job is cancelled at once, or
   * after the spec's detach_grace_ms if no stream re-attaches by then (the edge restarting, say).
   */
  attach(): () => void {
    this.attached++;
    if (this.orphanTimer) clearTimeout(this.orphanTimer);
    this.orphanTimer = null;
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      if (--this.attached > 0 || this.finished) return;
      const graceMs = this.spec.detach_grace_ms ?? 0;
      if (graceMs === 0) {
        void this.cancel();
        return;
      }
      this.orphanTimer = setTimeout(() => {
        this.orphanTimer = null;
        if (this.attached === 0) void this.cancel();
      }, graceMs);
      this.orphanTimer.unref?.();
    };
  }

  /** True while the runtime thread is stepping this job (it may be ahead of the events seen here). */
  generating = false;
  private stopped: Promise<{ step: number; nfe: number }> | null = null;
  private acknowledge: ((at: { step: number; nfe: number }) => void) | null = null;

  /** Stops the job at its next step boundary; resolves with where the generation stood when told. */
  cancel(): Promise<{ step: number; nfe: number }> {
    this.abort.abort();
    if (!this.generating) return Promise.resolve({ step: this.step, nfe: this.nfe });
    this.stopped ??= new Promise((resolve) => (this.acknowledge = resolve));
    return this.stopped;
  }

  /** The runner reports where the generation stood when the cancel reached it (first report wins). */
  cancelReached(at: { step: number; nfe: number }): void {
    this.acknowledge?.(at);
    this.acknowledge = null;
  }
}
