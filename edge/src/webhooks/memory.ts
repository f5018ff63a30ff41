// A WebhookStore in process memory: tests, and runtimes without a durable store configured (Workers isolates).
// Its outbox dies with the process; Node uses sqlite.ts, Deno kv/webhooks.ts.
import {
  type AttemptOutcome,
  type DeliveryAttempt,
  type DeliveryWithAttempts,
  ENDPOINT_DELETED,
  type SigningSecrets,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookStore,
} from "./types.ts";

interface JobUrl {
  tenant: string;
  url: string;
  created_at: number;
}

const copyEndpoint = (e: WebhookEndpoint): WebhookEndpoint => ({ ...e, events: [...e.events] });

export function createMemoryWebhookStore(): WebhookStore {
  const endpoints = new Map<string, WebhookEndpoint>(); // insertion order = age
  const tenantSecrets = new Map<string, SigningSecrets>();
  const jobUrls = new Map<string, JobUrl>();
  const deliveries = new Map<string, WebhookDelivery>();
  const logs = new Map<string, DeliveryAttempt[]>();
  const targets = new Set<string>(); // `${job_id} ${target}`

  const owned = (tenant: string, id: string) => {
    const e = endpoints.get(id);
    return e && e.tenant === tenant ? e : null;
  };
  const pending = () => [...deliveries.values()].filter((d) => d.state === "pending");
  const byDue = (a: WebhookDelivery, b: WebhookDelivery) => (a.next_attempt_at ?? 0) - (b.next_attempt_at ?? 0);

  return {
    async createEndpoint(endpoint) {
      endpoints.set(endpoint.id, copyEndpoint(endpoint));
    },
    async listEndpoints(tenant) {
      return [...endpoints.values()].filter((e) => e.tenant === tenant).map(copyEndpoint);
    },
    async getEndpoint(tenant, id) {
      const e = owned(tenant, id);
      return e ? copyEndpoint(e) : null;
    },
    async deleteEndpoint(tenant, id) {
      if (!owned(tenant, id)) return false;
      endpoints.delete(id);
      for (const d of pending()) {
        if (d.target === id) Object.assign(d, { state: "failed", next_attempt_at: null, last_error: ENDPOINT_DELETED });
      }
      return true;
    },
    async rotateEndpointSecret(tenant, id, secret, previousExpiresAt) {
      const e = owned(tenant, id);
      if (!e) return null;
      Object.assign(e, { previous_secret: e.secret, previous_secret_expires_at: previousExpiresAt, secret });
      return copyEndpoint(e);
    },
    async tenantSecret(tenant, fresh) {
      let s = tenantSecrets.get(tenant);
      if (!s) {
        s = { secret: fresh, previous_secret: null, previous_secret_expires_at: null };
        tenantSecrets.set(tenant, s);
      }
      return { ...s };
    },
    async rotateTenantSecret(tenant, secret, previousExpiresAt) {
      const old = tenantSecrets.get(tenant);
      const s: SigningSecrets = old
        ? { secret, previous_secret: old.secret, previous_secret_expires_at: previousExpiresAt }
        : { secret, previous_secret: null, previous_secret_expires_at: null };
      tenantSecrets.set(tenant, s);
      return { ...s };
    },
    async setJobUrl(tenant, jobId, url, now) {
      jobUrls.set(jobId, { tenant, url, created_at: now });
    },
    async jobUrl(jobId) {
      return jobUrls.get(jobId)?.url ?? null;
    },
    async enqueue(list) {
      let added = 0;
      for (const d of list) {
        const key = `${d.job_id} ${d.target}`;
        jobUrls.delete(d.job_id);
        if (targets.has(key)) continue;
        targets.add(key);
        deliveries.set(d.id, { ...d });
        logs.set(d.id, []);
        added++;
      }
      return added;
    },
    async claimDue(now, leaseMs, limit) {
      const due = pending()
        .filter((d) => (d.next_attempt_at ?? 0) <= now)
        .sort(byDue)
        .slice(0, limit);
      for (const d of due) d.next_attempt_at = now + leaseMs;
      return due.map((d) => ({ ...d }));
    },
    async recordAttempt(id, o: AttemptOutcome) {
      const d = deliveries.get(id);
      if (d?.state !== "pending") return;
      logs.get(id)?.push({ ...o.attempt });
      Object.assign(d, {
        state: o.state,
        attempts: o.attempt.attempt,
        next_attempt_at: o.next_attempt_at,
        last_status: o.attempt.status,
        last_error: o.attempt.error,
      });
    },
    async nextDueAt() {
      const next = pending().sort(byDue)[0];
      return next ? next.next_attempt_at : null;
    },
    async deliveriesForJob(tenant, jobId): Promise<DeliveryWithAttempts[]> {
      return [...deliveries.values()]
        .filter((d) => d.tenant === tenant && d.job_id === jobId)
        .map((d) => ({ ...d, log: (logs.get(d.id) ?? []).map((a) => ({ ...a })) }));
    },
    async prune(before) {
      for (const [id, d] of deliveries) {
        if (d.state === "pending" || d.created_at >= before) continue;
        deliveries.delete(id);
        logs.delete(id);
        targets.delete(`${d.job_id} ${d.target}`);
      }
      for (const [jobId, u] of jobUrls) if (u.created_at < before) jobUrls.delete(jobId);
    },
  };
}
