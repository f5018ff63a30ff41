// What createApp(deps) is given: each runtime's entry (worker.ts, deno.ts, node.ts) builds these.
// Only app.ts and routes/ import this module; every interface here lives with its own concept.
import type { Admission } from "./admission/jobs.ts";
import type { KeyStore } from "./apikeys/types.ts";
import type { AuditLog } from "./audit/types.ts";
import type { TierOverrideStore } from "./tiers/override-types.ts";
import type { KeySource } from "./auth/key-source.ts";
import type { Clock } from "./clock.ts";
import type { EdgeConfig } from "./config.ts";
import type { JobStore } from "./jobs/types.ts";
import type { EdgeMetrics } from "./metrics/types.ts";
import type { IdempotencyStore, Ledger } from "./ledger/types.ts";
import type { QuotaOverrideStore } from "./quotas/types.ts";
import type { WorkerPool } from "./pool/types.ts";
import type { RateLimiter } from "./ratelimit/types.ts";
import type { Webhooks } from "./webhooks/service.ts";

export interface Deps {
  keys: KeySource[];
  ledger: Ledger;
  idempotency: IdempotencyStore;
  rateLimiter: RateLimiter;
  pool: WorkerPool;
  clock: Clock;
  config: EdgeConfig;
  /** Job records and event logs; a bounded in-memory store when absent. */
  jobs?: JobStore;
  /** Endpoints, outbox and delivery loop; in memory, with production URL rules, when absent. */
  webhooks?: Webhooks;
  /** Per-tenant quota overrides, over config.tenantQuotas; in memory when absent. */
  quotas?: QuotaOverrideStore;
  /** At start-up, re-attach the jobs the job store holds unfinished (a persistent store after a restart:
   * the Node entry). Only for an edge that is the store's one user: another edge's live jobs would be taken over. */
  resumeJobs?: boolean;
  /** Per-tenant job admission; in process (GG_MAX_CONCURRENT_JOBS edge-wide) when absent. */
  admission?: Admission;
  /** Request, ledger and pool metrics, served on GET /metrics; no metrics and no route when absent. */
  metrics?: EdgeMetrics;
  /** API keys (`Bearer gg_live_...`); in memory when absent. */
  apiKeys?: KeyStore;
  /** The admin API's append-only audit log; in memory when absent. */
  audit?: AuditLog;
  /** Per-tenant tier overrides set by the admin API; in memory when absent. */
  tierOverrides?: TierOverrideStore;
}
