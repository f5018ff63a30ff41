// Job records and their event logs: what GET /v1/jobs/{id} and /events read. An interface so
// a Durable Object or a database can hold them where one process is not enough.
import type { ErrorBody, ImageRef, JobEvent, JobStatus, WorkerJob } from "@guidegate/shared";

export interface JobRecord {
  id: string;
  tenant: string;
  status: JobStatus;
  created_at: number; // ms
  finished_at: number | null;
  model: string;
  size: string;
  n: number;
  steps: number;
  policy: string;
  seed: number;
  max_nfe: number;
  price_micro_usd_per_nfe: number;
  /** NFEs spent so far (last progress) or settled at the end. */
  nfe: number;
  worker: string | null;
  result: { images: ImageRef[]; seed: number } | null;
  error: ErrorBody | null;
  /** While queued at the edge: its place in line (1 = next); null or absent otherwise. */
  position?: number | null;
  /** The last event id (`id:`) read from its worker's stream: where a re-attach resumes (Last-Event-ID). */
  worker_seq?: number;
}

/** An unfinished job as a restarted edge finds it: enough to re-attach to its worker. Its reservation is
 * the ledger's, under the job's id. */
export interface UnfinishedJob {
  rec: JobRecord;
  /** The job as dispatched (seed fixed), or null when the store was not given it. */
  spec: WorkerJob | null;
}

export interface StoredEvent {
  seq: number; // 1-based, per job; the SSE `id:`
  event: JobEvent;
}

export interface JobStore {
  /** `spec` is kept for re-attaching after a restart (unfinished()); it is not part of the record. */
  create(rec: JobRecord, spec?: WorkerJob): Promise<void>;
  get(id: string): Promise<JobRecord | null>;
  update(id: string, patch: Partial<Omit<JobRecord, "id" | "tenant">>): Promise<void>;
  /** Append to the job's log; returns the event's sequence number. */
  append(id: string, event: JobEvent): Promise<number>;
  /** Logged events with seq > after, in order (a store may have dropped old previews). */
  events(id: string, after: number): Promise<StoredEvent[]>;
  /** Resolve once an event with seq > after exists, the job is gone, `timeoutMs` passed or `signal` aborted. */
  wait(id: string, after: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
  /** Jobs not yet finished, oldest first: what an edge restarting on this store resumes. */
  unfinished(): Promise<UnfinishedJob[]>;
}
