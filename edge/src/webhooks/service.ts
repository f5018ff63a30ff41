// Webhooks as the app sees them: URL checks for the routes, the hook a finished job calls, and the delivery
// loop. Each entry builds one (node.ts: SQLite outbox, node:dns, a guarded socket); createApp falls back to
// memory with production rules.
import { invalidRequest } from "../errors.ts";
import type { JobRecord } from "../jobs/types.ts";
import type { Clock } from "../clock.ts";
import { DEFAULT_WEBHOOK_CONFIG, type WebhookConfig } from "./config.ts";
import { type SendFn, WebhookDispatcher } from "./dispatcher.ts";
import { eventTypeOf, jobPayload } from "./payload.ts";
import { newMessageId, newSecret } from "./sign.ts";
import { checkWebhookUrl, type ResolveHost, type UrlPolicy } from "./ssrf.ts";
import { JOB_URL_TARGET, type WebhookDelivery, type WebhookEventType, type WebhookStore } from "./types.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

export interface WebhooksOptions {
  store: WebhookStore;
  clock: Clock;
  config?: WebhookConfig;
  /** DNS for the address rule; absent where the runtime has none (Workers). */
  resolve?: ResolveHost;
  send?: SendFn;
  random?: () => number;
}

export interface Webhooks {
  readonly store: WebhookStore;
  readonly config: WebhookConfig;
  readonly dispatcher: WebhookDispatcher;
  /** Throws a 400 naming `param` unless the edge may send to `url`. */
  checkUrl(url: string, param: string): Promise<void>;
  /** Remember a job's own `webhook_url` (and make sure the tenant has the secret that signs it); never throws. */
  watchJob(tenant: string, jobId: string, url: string): Promise<void>;
  /** A job reached its terminal status: enqueue its event for every target, make the first attempts; never throws. */
  jobFinished(rec: JobRecord | null): Promise<void>;
  /** Resume pending deliveries (at start-up) and keep the loop running. */
  start(): void;
  stop(): void;
}

interface Target {
  target: string;
  url: string;
}

export function createWebhooks(o: WebhooksOptions): Webhooks {
  const { store, clock } = o;
  const config = o.config ?? DEFAULT_WEBHOOK_CONFIG;
  const policy: UrlPolicy = { allowPrivateUrls: config.allowPrivateUrls, resolve: o.resolve };
  const dispatcher = new WebhookDispatcher({ store, clock, config, policy, send: o.send, random: o.random });

  async function targetsOf(rec: JobRecord, type: WebhookEventType): Promise<Target[]> {
    const endpoints = (await store.listEndpoints(rec.tenant)).filter((e) => e.events.includes(type));
    const own = await store.jobUrl(rec.id);
    const targets = endpoints.map((e) => ({ target: e.id, url: e.url }));
    return own ? [...targets, { target: JOB_URL_TARGET, url: own }] : targets;
  }

  function delivery(rec: JobRecord, type: WebhookEventType, t: Target, payload: string, now: number): WebhookDelivery {
    return {
      id: newMessageId(),
      tenant: rec.tenant,
      job_id: rec.id,
      event_type: type,
      target: t.target,
      url: t.url,
      payload,
      state: "pending",
      attempts: 0,
      created_at: now,
      next_attempt_at: now,
      last_status: null,
      last_error: null,
    };
  }

  return {
    store,
    config,
    dispatcher,
    async checkUrl(url, param) {
      const verdict = await checkWebhookUrl(url, policy);
      if (!verdict.ok) throw invalidRequest("invalid_webhook_url", `${param} ${verdict.reason}.`, param);
    },
    async watchJob(tenant, jobId, url) {
      try {
        await store.tenantSecret(tenant, newSecret());
        await store.setJobUrl(tenant, jobId, url, clock.now());
      } catch (err) {
        // The job is already reserved and dispatched: failing the request now would strand it.
        edgeLog.error("webhook_url of {job_id} could not be stored; the job runs without it: {error}", {
          job_id: jobId,
          ...errorFields(err),
        });
      }
    },
    async jobFinished(rec) {
      const type = rec ? eventTypeOf(rec.status) : null;
      if (!rec || !type) return;
      try {
        const targets = await targetsOf(rec, type);
        if (targets.length === 0) return;
        const payload = jobPayload(type, rec);
        const now = clock.now();
        const added = await store.enqueue(targets.map((t) => delivery(rec, type, t, payload, now)));
        // The first attempt happens here, inside the job's own background task (waitUntil on Workers).
        if (added > 0) await dispatcher.pass();
      } catch (err) {
        // The job's outcome is recorded either way; a hook that failed before enqueueing sends nothing.
        edgeLog.error("webhooks for {job_id} could not be enqueued: {error}", { job_id: rec.id, ...errorFields(err) });
      }
    },
    start: () => dispatcher.start(),
    stop: () => dispatcher.stop(),
  };
}
