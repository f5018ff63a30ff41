// Job records and their event logs: what GET /v1/jobs/{id} and /events read. An interface so
// a Durable Object or a database can hold them where one process is not enough.
import type { ErrorBody, ImageRef, JobEvent, JobStatus } from "@guidegate/shared";

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
}

export interface StoredEvent {
  seq: number; // 1-based, per job; the SSE `id:`
  event: JobEvent;
}

export interface JobStore {
  create(rec: JobRecord): Promise<void>;
  get(id: string): Promise<JobRecord | null>;
  update(id: string, patch: Partial<Omit<JobRecord, "id" | "tenant">>): Promise<void>;
  /** Append to the job's log; returns the event's sequence number. */
  append(id: string, event: JobEvent): Promise<number>;
  /** Logged events with seq > after, in order (a store may have dropped old previews). */
  events(id: string, after: number): Promise<StoredEvent[]>;
  /** Resolve once an event with seq > after exists, the job is gone, `timeoutMs` passed or `signal` aborted. */
  wait(id: string, after: number, timeoutMs: number, signal?: AbortSignal): Promise<void>;
}
