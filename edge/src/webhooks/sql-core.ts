// The WebhookStore over a SqlPort: synchronous, one transaction per call with no await inside, so it runs on
// better-sqlite3 (sqlite.ts, Node) and could run on a Durable Object's `ctx.storage.sql` alike.
import type { SqlPort } from "../storage/sql-port.ts";
import {
  type AttemptOutcome,
  type DeliveryAttempt,
  type DeliveryWithAttempts,
  ENDPOINT_DELETED,
  type SigningSecrets,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
} from "./types.ts";

/** Created on open; `IF NOT EXISTS` makes opening idempotent. */
export const WEBHOOK_SCHEMA: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS webhook_endpoints (
     id TEXT PRIMARY KEY, tenant TEXT NOT NULL, url TEXT NOT NULL, events TEXT NOT NULL, secret TEXT NOT NULL,
     previous_secret TEXT, previous_secret_expires_at INTEGER, created_at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS webhook_endpoints_tenant ON webhook_endpoints (tenant, created_at)",
  `CREATE TABLE IF NOT EXISTS webhook_tenant_secrets (
     tenant TEXT PRIMARY KEY, secret TEXT NOT NULL, previous_secret TEXT, previous_secret_expires_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS webhook_job_urls (
     job_id TEXT PRIMARY KEY, tenant TEXT NOT NULL, url TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS webhook_deliveries (
     id TEXT PRIMARY KEY, tenant TEXT NOT NULL, job_id TEXT NOT NULL, event_type TEXT NOT NULL, target TEXT NOT NULL,
     url TEXT NOT NULL, payload TEXT NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')), attempts INTEGER NOT NULL,
     created_at INTEGER NOT NULL, next_attempt_at INTEGER, last_status INTEGER, last_error TEXT,
     UNIQUE (job_id, target))`,
  // Only pending deliveries are indexed by due time: the loop's one query.
  "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE state = 'pending'",
  "CREATE INDEX IF NOT EXISTS webhook_deliveries_job ON webhook_deliveries (tenant, job_id)",
  `CREATE TABLE IF NOT EXISTS webhook_attempts (
     delivery_id TEXT NOT NULL, attempt INTEGER NOT NULL, at INTEGER NOT NULL, status INTEGER, error TEXT,
     duration_ms INTEGER NOT NULL, PRIMARY KEY (delivery_id, attempt))`,
];

type EndpointRow = Omit<WebhookEndpoint, "events"> & { events: string };

const toEndpoint = (r: EndpointRow): WebhookEndpoint => ({
  id: r.id,
  tenant: r.tenant,
  url: r.url,
  events: JSON.parse(r.events) as WebhookEventType[],
  secret: r.secret,
  previous_secret: r.previous_secret,
  previous_secret_expires_at: r.previous_secret_expires_at,
  created_at: r.created_at,
});

const toDelivery = (r: WebhookDelivery): WebhookDelivery => ({
  id: r.id,
  tenant: r.tenant,
  job_id: r.job_id,
  event_type: r.event_type,
  target: r.target,
  url: r.url,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  created_at: r.created_at,
  next_attempt_at: r.next_attempt_at,
  last_status: r.last_status,
  last_error: r.last_error,
});

const ENDPOINT_COLS = "id, tenant, url, events, secret, previous_secret, previous_secret_expires_at, created_at";
const DELIVERY_COLS =
  "id, tenant, job_id, event_type, target, url, payload, state, attempts, created_at, next_attempt_at, last_status, last_error";
const SECRET_COLS = "secret, previous_secret, previous_secret_expires_at";

export class SqlWebhookCore {
  constructor(private readonly db: SqlPort) {
    for (const stmt of WEBHOOK_SCHEMA) db.all(stmt);
  }

  createEndpoint(e: WebhookEndpoint): void {
    this.db.all(
      `INSERT INTO webhook_endpoints (${ENDPOINT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      e.id,
      e.tenant,
      e.url,
      JSON.stringify(e.events),
      e.secret,
      e.previous_secret,
      e.previous_secret_expires_at,
      e.created_at,
    );
  }

  listEndpoints(tenant: string): WebhookEndpoint[] {
    return this.db
      .all<EndpointRow>(
        `SELECT ${ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant = ? ORDER BY created_at, rowid`,
        tenant,
      )
      .map(toEndpoint);
  }

  getEndpoint(tenant: string, id: string): WebhookEndpoint | null {
    const r = this.db.all<EndpointRow>(
      `SELECT ${ENDPOINT_COLS} FROM webhook_endpoints WHERE tenant = ? AND id = ?`,
      tenant,
      id,
    )[0];
    return r ? toEndpoint(r) : null;
  }

  deleteEndpoint(tenant: string, id: string): boolean {
    return this.db.tx(() => {
      if (!this.getEndpoint(tenant, id)) return false;
      this.db.all("DELETE FROM webhook_endpoints WHERE id = ?", id);
      this.db.all(
        "UPDATE webhook_deliveries SET state = 'failed', next_attempt_at = NULL, last_error = ? WHERE target = ? AND state = 'pending'",
        ENDPOINT_DELETED,
        id,
      );
      return true;
    });
  }

  rotateEndpointSecret(tenant: string, id: string, secret: string, previousExpiresAt: number): WebhookEndpoint | null {
    return this.db.tx(() => {
      if (!this.getEndpoint(tenant, id)) return null;
      this.db.all(
        "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = ?, secret = ? WHERE id = ?",
        previousExpiresAt,
        secret,
        id,
      );
      return this.getEndpoint(tenant, id);
    });
  }

  tenantSecret(tenant: string, fresh: string): SigningSecrets {
    return this.db.tx(() => {
      this.db.all(
        "INSERT INTO webhook_tenant_secrets (tenant, secret) VALUES (?, ?) ON CONFLICT (tenant) DO NOTHING",
        tenant,
        fresh,
      );
      return this.secretsOf(tenant) as SigningSecrets;
    });
  }

  rotateTenantSecret(tenant: string, secret: string, previousExpiresAt: number): SigningSecrets {
    return this.db.tx(() => {
      this.db.all(
        `INSERT INTO webhook_tenant_secrets (tenant, secret) VALUES (?, ?) ON CONFLICT (tenant) DO UPDATE SET
           previous_secret = secret, previous_secret_expires_at = ?, secret = excluded.secret`,
        tenant,
        secret,
        previousExpiresAt,
      );
      return this.secretsOf(tenant) as SigningSecrets;
    });
  }

  setJobUrl(tenant: string, jobId: string, url: string, now: number): void {
    this.db.all(
      "INSERT OR REPLACE INTO webhook_job_urls (job_id, tenant, url, created_at) VALUES (?, ?, ?, ?)",
      jobId,
      tenant,
      url,
      now,
    );
  }

  jobUrl(jobId: string): string | null {
    return this.db.all<{ url: string }>("SELECT url FROM webhook_job_urls WHERE job_id = ?", jobId)[0]?.url ?? null;
  }

  enqueue(list: readonly WebhookDelivery[]): number {
    return this.db.tx(() => {
      let added = 0;
      for (const d of list) {
        this.db.all("DELETE FROM webhook_job_urls WHERE job_id = ?", d.job_id);
        if (this.exists(d.job_id, d.target)) continue;
        this.db.all(
          `INSERT INTO webhook_deliveries (${DELIVERY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          d.id,
          d.tenant,
          d.job_id,
          d.event_type,
          d.target,
          d.url,
          d.payload,
          d.state,
          d.attempts,
          d.created_at,
          d.next_attempt_at,
          d.last_status,
          d.last_error,
        );
        added++;
      }
      return added;
    });
  }

  claimDue(now: number, leaseMs: number, limit: number): WebhookDelivery[] {
    return this.db.tx(() => {
      const due = this.db.all<WebhookDelivery>(
        `SELECT ${DELIVERY_COLS} FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?
         ORDER BY next_attempt_at, rowid LIMIT ?`,
        now,
        limit,
      );
      for (const d of due)
        this.db.all("UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?", now + leaseMs, d.id);
      return due.map(toDelivery);
    });
  }

  recordAttempt(id: string, o: AttemptOutcome): void {
    const a = o.attempt;
    this.db.tx(() => {
      const state = this.db.all<{ state: string }>("SELECT state FROM webhook_deliveries WHERE id = ?", id)[0]?.state;
      if (state !== "pending") return;
      this.db.all(
        "INSERT OR REPLACE INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)",
        id,
        a.attempt,
        a.at,
        a.status,
        a.error,
        a.duration_ms,
      );
      this.db.all(
        "UPDATE webhook_deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?",
        o.state,
        a.attempt,
        o.next_attempt_at,
        a.status,
        a.error,
        id,
      );
    });
  }

  nextDueAt(): number | null {
    return (
      this.db.all<{ next: number | null }>(
        "SELECT MIN(next_attempt_at) AS next FROM webhook_deliveries WHERE state = 'pending'",
      )[0]?.next ?? null
    );
  }

  deliveriesForJob(tenant: string, jobId: string): DeliveryWithAttempts[] {
    const rows = this.db.all<WebhookDelivery>(
      `SELECT ${DELIVERY_COLS} FROM webhook_deliveries WHERE tenant = ? AND job_id = ? ORDER BY created_at, rowid`,
      tenant,
      jobId,
    );
    return rows.map((r) => ({ ...toDelivery(r), log: this.attempts(r.id) }));
  }

  prune(before: number): void {
    this.db.tx(() => {
      this.db.all(
        `DELETE FROM webhook_attempts WHERE delivery_id IN
           (SELECT id FROM webhook_deliveries WHERE state != 'pending' AND created_at < ?)`,
        before,
      );
      this.db.all("DELETE FROM webhook_deliveries WHERE state != 'pending' AND created_at < ?", before);
      this.db.all("DELETE FROM webhook_job_urls WHERE created_at < ?", before);
    });
  }

  private attempts(deliveryId: string): DeliveryAttempt[] {
    return this.db
      .all<DeliveryAttempt>(
        "SELECT attempt, at, status, error, duration_ms FROM webhook_attempts WHERE delivery_id = ? ORDER BY attempt",
        deliveryId,
      )
      .map((a) => ({ attempt: a.attempt, at: a.at, status: a.status, error: a.error, duration_ms: a.duration_ms }));
  }

  private exists(jobId: string, target: string): boolean {
    return this.db.all("SELECT 1 FROM webhook_deliveries WHERE job_id = ? AND target = ?", jobId, target).length > 0;
  }

  private secretsOf(tenant: string): SigningSecrets | null {
    const r = this.db.all<SigningSecrets>(
      `SELECT ${SECRET_COLS} FROM webhook_tenant_secrets WHERE tenant = ?`,
      tenant,
    )[0];
    return r
      ? {
          secret: r.secret,
          previous_secret: r.previous_secret,
          previous_secret_expires_at: r.previous_secret_expires_at,
        }
      : null;
  }
}
