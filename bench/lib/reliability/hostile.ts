// The stack the hostile-client scenarios run on: one small worker (4 slots, 4 queued) that a single
// tenant could fill, pro limited to 3 jobs at once, a `tiny` tier with a 100 NFE quota (so a request can
// be refused for it), job records that expire after 4 s, 4 event streams per tenant, and header and
// request timeouts of 1 s and 2 s (so slow clients are timed out within a test).
import { DEFAULT_TIERS } from "@guidegate/shared";
import { type Stack, startStack } from "@guidegate/stack";

export const HOSTILE = {
  capacity: 4,
  maxQueue: 4,
  proConcurrentJobs: 3,
  proQueuedJobs: 40,
  tinyQuotaNfe: 100,
  jobTtlMs: 4_000,
  streamsPerTenant: 4,
  headersTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
} as const;

export function startHostileStack(dataDir: string): Promise<Stack> {
  const tiers = {
    pro: { max_concurrent_jobs: HOSTILE.proConcurrentJobs, max_queued_jobs: HOSTILE.proQueuedJobs },
    tiny: { ...DEFAULT_TIERS.eco, monthly_quota_nfe: HOSTILE.tinyQuotaNfe },
  };
  return startStack({
    dataDir,
    workers: 1,
    workerEnv: { GG_CAPACITY: String(HOSTILE.capacity), GG_MAX_QUEUE: String(HOSTILE.maxQueue) },
    edgeEnv: {
      GG_TIERS_JSON: JSON.stringify(tiers),
      GG_JOB_TTL_MS: String(HOSTILE.jobTtlMs),
      GG_MAX_EVENT_STREAMS_PER_TENANT: String(HOSTILE.streamsPerTenant),
      GG_HEADERS_TIMEOUT_MS: String(HOSTILE.headersTimeoutMs),
      GG_REQUEST_TIMEOUT_MS: String(HOSTILE.requestTimeoutMs),
    },
  });
}

/** The q-quantile of `xs` (nearest rank); 0 for none. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Counts of each value. */
export function tally(xs: ReadonlyArray<string | number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
