// What route handlers share: the app's dependencies plus the process-local registry of runs.
import type { Context } from "hono";
import type { Admission } from "../admission/jobs.ts";
import type { KeyStore } from "../apikeys/types.ts";
import type { AuditLog } from "../audit/types.ts";
import type { QuotaOverrideStore } from "../quotas/types.ts";
import type { TierOverrideStore } from "../tiers/override-types.ts";
import type { StreamGate } from "../admission/streams.ts";
import type { JobStore } from "../jobs/types.ts";
import type { JobRun } from "../relay/run.ts";
import type { AppEnv } from "../auth/caller.ts";
import type { Deps } from "../deps.ts";
import type { ModelSource } from "../tiers/models.ts";
import type { Webhooks } from "../webhooks/service.ts";
import { errorFields } from "../observability/log.ts";

export interface RouteDeps extends Deps {
  jobs: JobStore;
  /** Runs consumed by this process, by job id (for cancel). */
  runs: Map<string, JobRun>;
  /** The models that exist: pinned in config, or from the workers' health. */
  models: ModelSource;
  webhooks: Webhooks;
  /** Each tenant's jobs on workers and waiting at the edge, and whose turn is next. */
  admission: Admission;
  /** Open event streams per tenant and in total. */
  streams: StreamGate;
  apiKeys: KeyStore;
  audit: AuditLog;
  tierOverrides: TierOverrideStore;
  /** Quota overrides over config.tenantQuotas (the admin API sets them). */
  quotas: QuotaOverrideStore;
}

/** Keep a background task alive: Workers' waitUntil when there is one; elsewhere it simply runs. */
export function background(c: Context<AppEnv>, task: Promise<unknown>): void {
  const guarded = task.catch((err) => c.get("log").error("background task failed: {error}", errorFields(err)));
  try {
    c.executionCtx.waitUntil(guarded);
  } catch {
    // No ExecutionContext (Node, Deno, app.request in tests): the promise runs on its own.
  }
}
