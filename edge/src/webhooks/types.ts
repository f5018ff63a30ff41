// Signed webhooks (Standard Webhooks): the records a WebhookStore keeps and the store's interface. A store
// holds tenants' endpoints and signing secrets, the per-job URLs, and the outbox of deliveries with the log of
// their attempts. Stores: memory (tests, Workers isolates), SQLite (Node) and Deno KV (Deno, kv/webhooks.ts); all
// pass test/unit/webhooks/conformance.ts.

import type { WebhookEventType } from "@guidegate/shared";

export { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "@guidegate/shared";

/** A tenant's signing secret and, for a while after a rotation, the one it replaced (both sign). */
export interface SigningSecrets {
  secret: string; // whsec_<base64>
  previous_secret: string | null;
  /** ms; the previous secret stops signing at this time. */
  previous_secret_expires_at: number | null;
}

export interface WebhookEndpoint extends SigningSecrets {
  id: string; // we_<hex>
  tenant: string;
  url: string;
  events: WebhookEventType[];
  created_at: number; // ms
}

/** The last_error of deliveries whose endpoint was deleted before they got through. */
export const ENDPOINT_DELETED = "endpoint deleted";

export type DeliveryState = "pending" | "delivered" | "failed";

/** Where a delivery goes: a registered endpoint, or the job's own `webhook_url` (signed with the tenant secret). */
export const JOB_URL_TARGET = "job_url";

export interface WebhookDelivery {
  /** The `webhook-id` header, the same on every attempt, so receivers can drop duplicates. */
  id: string; // msg_<hex>
  tenant: string;
  job_id: string;
  event_type: WebhookEventType;
  /** An endpoint id, or JOB_URL_TARGET. One delivery per (job, target). */
  target: string;
  url: string;
  /** The exact body sent and signed on every attempt. */
  payload: string;
  state: DeliveryState;
  attempts: number;
  created_at: number; // ms
  /** When the next attempt is due (ms); null once delivered or failed. */
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

export interface DeliveryAttempt {
  attempt: number; // 1-based
  at: number; // ms
  /** The receiver's HTTP status; null when no response came (refused, timed out, unreachable). */
  status: number | null;
  error: string | null;
  duration_ms: number;
}

/** What happened to an attempt, and what follows it. */
export interface AttemptOutcome {
  attempt: DeliveryAttempt;
  state: DeliveryState;
  next_attempt_at: number | null;
}

export interface DeliveryWithAttempts extends WebhookDelivery {
  log: DeliveryAttempt[];
}

export interface WebhookStore {
  createEndpoint(endpoint: WebhookEndpoint): Promise<void>;
  /** A tenant's endpoints, oldest first. */
  listEndpoints(tenant: string): Promise<WebhookEndpoint[]>;
  getEndpoint(tenant: string, id: string): Promise<WebhookEndpoint | null>;
  /** Removes the endpoint and fails its pending deliveries (last_error ENDPOINT_DELETED); false when none. */
  deleteEndpoint(tenant: string, id: string): Promise<boolean>;
  /** Replace the endpoint's secret; the old one keeps signing until `previousExpiresAt`. Null: no such endpoint. */
  rotateEndpointSecret(
    tenant: string,
    id: string,
    secret: string,
    previousExpiresAt: number,
  ): Promise<WebhookEndpoint | null>;

  /** The tenant's secret for per-job `webhook_url`s, created from `fresh` when it has none. */
  tenantSecret(tenant: string, fresh: string): Promise<SigningSecrets>;
  rotateTenantSecret(tenant: string, secret: string, previousExpiresAt: number): Promise<SigningSecrets>;

  /** Remember a job's own webhook URL until its terminal event is enqueued. */
  setJobUrl(tenant: string, jobId: string, url: string, now: number): Promise<void>;
  jobUrl(jobId: string): Promise<string | null>;

  /**
   * Add deliveries to the outbox, skipping any whose (job_id, target) is already there, and forget the jobs'
   * URLs; returns how many were new. Running it twice for one job never sends twice.
   */
  enqueue(deliveries: WebhookDelivery[]): Promise<number>;
  /**
   * Pending deliveries due at `now` (oldest due first, at most `limit`), each leased: its next_attempt_at moves
   * to now + leaseMs, so another loop (or this one after a crash) takes it again only once the lease runs out.
   */
  claimDue(now: number, leaseMs: number, limit: number): Promise<WebhookDelivery[]>;
  /** Log an attempt and move the delivery on; ignored unless the delivery is still pending. */
  recordAttempt(id: string, outcome: AttemptOutcome): Promise<void>;
  /** The earliest next_attempt_at of a pending delivery, or null. */
  nextDueAt(): Promise<number | null>;
  /** The tenant's deliveries for a job, oldest first, each with its attempts. */
  deliveriesForJob(tenant: string, jobId: string): Promise<DeliveryWithAttempts[]>;
  /** Delete finished (delivered or failed) deliveries created before `before`, and job URLs older than it. */
  prune(before: number): Promise<void>;
}
