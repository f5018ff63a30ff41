// Webhook settings: the defaults (written here only) and their GG_WEBHOOK_* variables.
import { type EnvMap, int } from "../config.ts";

export interface WebhookConfig {
  /** Nominal delay before the first retry; each later one doubles it (schedule.ts). */
  backoffBaseMs: number;
  /** No retry waits longer than this. */
  backoffMaxMs: number;
  /** Retries go on until an attempt fails this long after the event; that attempt is the last. */
  retryWindowMs: number;
  /** One attempt's limit for the receiver to answer. */
  timeoutMs: number;
  /** After a rotation the old secret keeps signing (as a second signature) this long. */
  secretOverlapMs: number;
  /** Finished deliveries (and their logs) are kept this long. */
  retentionMs: number;
  /** Registered endpoints per tenant. */
  maxEndpoints: number;
  /** Development only: URLs on loopback, private and link-local addresses are allowed (local receivers). */
  allowPrivateUrls: boolean;
}

const HOUR_MS = 60 * 60 * 1000;

export const DEFAULT_WEBHOOK_CONFIG: Readonly<WebhookConfig> = Object.freeze({
  backoffBaseMs: 10_000,
  backoffMaxMs: 6 * HOUR_MS,
  retryWindowMs: 24 * HOUR_MS,
  timeoutMs: 10_000,
  secretOverlapMs: 24 * HOUR_MS,
  retentionMs: 7 * 24 * HOUR_MS,
  maxEndpoints: 16,
  allowPrivateUrls: false,
});

export function makeWebhookConfig(overrides: Partial<WebhookConfig> = {}): WebhookConfig {
  return Object.freeze({ ...DEFAULT_WEBHOOK_CONFIG, ...overrides });
}

/** Read GG_WEBHOOK_* variables; private URLs are allowed exactly when the edge is not in production. */
export function loadWebhookConfig(env: EnvMap, production: boolean): WebhookConfig {
  const d = DEFAULT_WEBHOOK_CONFIG;
  return makeWebhookConfig({
    backoffBaseMs: Math.max(1, int(env, "GG_WEBHOOK_BACKOFF_BASE_MS", d.backoffBaseMs)),
    backoffMaxMs: Math.max(1, int(env, "GG_WEBHOOK_BACKOFF_MAX_MS", d.backoffMaxMs)),
    retryWindowMs: int(env, "GG_WEBHOOK_RETRY_WINDOW_MS", d.retryWindowMs),
    timeoutMs: Math.max(1, int(env, "GG_WEBHOOK_TIMEOUT_MS", d.timeoutMs)),
    secretOverlapMs: int(env, "GG_WEBHOOK_SECRET_OVERLAP_MS", d.secretOverlapMs),
    retentionMs: int(env, "GG_WEBHOOK_RETENTION_MS", d.retentionMs),
    maxEndpoints: int(env, "GG_WEBHOOK_MAX_ENDPOINTS", d.maxEndpoints),
    allowPrivateUrls: !production,
  });
}
