// The delivery loop: claims due deliveries from the outbox, POSTs each signed, and records the attempt and
// what follows it (delivered, a retry time from schedule.ts, or failed). Everything it knows is in the store,
// so a restarted edge resumes by starting the loop: claims held by a dead process lapse after their lease.
import type { Clock } from "../clock.ts";
import type { WebhookConfig } from "./config.ts";
import { nextAttemptAt } from "./schedule.ts";
import { activeSecrets, newSecret, signedHeaders } from "./sign.ts";
import { checkWebhookUrl, type UrlPolicy } from "./ssrf.ts";
import {
  ENDPOINT_DELETED,
  JOB_URL_TARGET,
  type SigningSecrets,
  type WebhookDelivery,
  type WebhookStore,
} from "./types.ts";
import { edgeLog, errorFields } from "../observability/log.ts";

/** What a delivery reads of the receiver's answer: met by the global fetch's Response and by undici's. */
export interface SendResult {
  status: number;
  ok: boolean;
  body: { cancel(): Promise<void> } | null;
}
export type SendFn = (url: string, init: RequestInit) => Promise<SendResult>;

export interface DispatcherDeps {
  store: WebhookStore;
  clock: Clock;
  config: WebhookConfig;
  policy: UrlPolicy;
  /** How a request goes out; global fetch by default (node-net.ts guards the socket in production). */
  send?: SendFn;
  random?: () => number;
}

const MAX_IN_FLIGHT = 16;
/** Wake at least this often: another edge process sharing the outbox file may have enqueued work. */
const MAX_SLEEP_MS = 30_000;
/** A claim lasts this many attempt timeouts before another loop (or this one, restarted) may take it again. */
const LEASE_TIMEOUTS = 2;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
const MAX_ERROR_CHARS = 200;

interface Sent {
  status: number | null;
  error: string | null;
  /** No retry can succeed (the endpoint is gone). */
  final?: boolean;
}

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === "TimeoutError" || e?.name === "AbortError") return "timed out";
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? "request failed";
  return `request failed: ${detail}`.slice(0, MAX_ERROR_CHARS);
}

export class WebhookDispatcher {
  private readonly deps: DispatcherDeps;
  private readonly send: SendFn;
  private inFlight = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running = false;
  private lastPruneAt = 0;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
    this.send = deps.send ?? ((url, init) => fetch(url, init));
  }

  /** Resume the outbox: attempt what is due now, then sleep until the next due time. */
  start(): void {
    this.running = true;
    this.wake();
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One pass now (starting the loop if it was not running); resolves once the attempts it began are recorded. */
  async pass(): Promise<void> {
    this.running = true;
    const { store, clock, config } = this.deps;
    const free = MAX_IN_FLIGHT - this.inFlight;
    const now = clock.now();
    const due = free > 0 ? await store.claimDue(now, config.timeoutMs * LEASE_TIMEOUTS, free) : [];
    const attempts = due.map((d) => this.track(d));
    await this.prune(now);
    await this.arm();
    await Promise.all(attempts);
  }

  private wake(): void {
    this.pass().catch((err) => {
      edgeLog.error("webhook outbox unreachable; trying again later: {error}", errorFields(err));
      if (this.running) this.sleep(MAX_SLEEP_MS);
    });
  }

  private async track(d: WebhookDelivery): Promise<void> {
    this.inFlight++;
    try {
      await this.attempt(d);
    } catch (err) {
      edgeLog.error("webhook delivery {delivery} could not be recorded: {error}", {
        delivery: d.id,
        ...errorFields(err),
      }); // its lease lapses; retried
    } finally {
      this.inFlight--;
    }
    if (this.running) this.wake(); // a backlog larger than MAX_IN_FLIGHT drains as attempts finish
  }

  private async attempt(d: WebhookDelivery): Promise<void> {
    const { store, clock, config, random } = this.deps;
    const n = d.attempts + 1;
    const at = clock.now();
    const sent = await this.post(d, at);
    const finishedAt = clock.now();
    const ok = sent.status !== null && sent.status >= 200 && sent.status < 300;
    const next = ok || sent.final ? null : nextAttemptAt(n, finishedAt, d.created_at, config, random);
    await store.recordAttempt(d.id, {
      attempt: { attempt: n, at, status: sent.status, error: sent.error, duration_ms: finishedAt - at },
      state: ok ? "delivered" : next === null ? "failed" : "pending",
      next_attempt_at: next,
    });
  }

  private async post(d: WebhookDelivery, now: number): Promise<Sent> {
    const secrets = await this.secretsFor(d);
    if (!secrets) return { status: null, error: ENDPOINT_DELETED, final: true };
    const verdict = await checkWebhookUrl(d.url, this.deps.policy);
    if (!verdict.ok) return { status: null, error: `url refused: ${verdict.reason}` };
    const headers = {
      "content-type": "application/json",
      "user-agent": "guidegate-webhooks/1",
      ...signedHeaders(activeSecrets(secrets, now), d.id, now, d.payload),
    };
    try {
      const res = await this.send(d.url, {
        method: "POST",
        headers,
        body: d.payload,
        redirect: "manual", // a redirect could point anywhere, past the address check: it counts as a failure
        signal: AbortSignal.timeout(this.deps.config.timeoutMs),
      });
      await res.body?.cancel().catch(() => {}); // the answer's body means nothing to us
      return { status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
    } catch (err) {
      return { status: null, error: describe(err) };
    }
  }

  private async secretsFor(d: WebhookDelivery): Promise<SigningSecrets | null> {
    if (d.target === JOB_URL_TARGET) return this.deps.store.tenantSecret(d.tenant, newSecret());
    return this.deps.store.getEndpoint(d.tenant, d.target);
  }

  /** Sleep until the next delivery is due (or MAX_SLEEP_MS); timers never keep a process alive. */
  private async arm(): Promise<void> {
    if (!this.running) return;
    const next = await this.deps.store.nextDueAt();
    this.sleep(next === null ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(0, next - this.deps.clock.now())));
  }

  private sleep(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.wake(), ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private async prune(now: number): Promise<void> {
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    await this.deps.store.prune(now - this.deps.config.retentionMs);
  }
}
