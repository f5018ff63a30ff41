// Tier configuration: which policies a tier may use, its limits, price and quota.
import { z } from "zod";
import { PolicyNameSchema } from "./policies.ts";

export const TierSchema = z.object({
  default_policy: z.array(PolicyNameSchema).min(1), // first one the model supports wins
  allowed: z.array(PolicyNameSchema).min(1),
  max_steps: z.number().int().min(1),
  max_n: z.number().int().min(1),
  price_micro_usd_per_nfe: z.number().min(0),
  monthly_quota_nfe: z.number().int().min(0),
  requests_per_minute: z.number().int().min(1).default(120),
  /** A tenant's jobs on workers at once; keep it below the pool's capacity so others always find a slot. */
  max_concurrent_jobs: z.number().int().min(1).default(4),
  /** More of a tenant's jobs waiting at the edge, in its own queue, behind its running ones (429 beyond). */
  max_queued_jobs: z.number().int().min(0).default(16),
});
export type Tier = z.infer<typeof TierSchema>;
export const TiersSchema = z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), TierSchema);
export type Tiers = z.infer<typeof TiersSchema>;

const ECO = ["none", "ag", "linear_ag", "interval"] as const;
const STANDARD = [...ECO, "cfg", "apg", "cfgpp", "cfg_zero_star"] as const;

export const DEFAULT_TIERS: Tiers = TiersSchema.parse({
  eco: {
    default_policy: ["linear_ag", "ag"],
    allowed: [...ECO],
    max_steps: 30,
    max_n: 2,
    price_micro_usd_per_nfe: 40,
    monthly_quota_nfe: 200_000,
    requests_per_minute: 60,
    max_concurrent_jobs: 2,
    max_queued_jobs: 8,
  },
  standard: {
    default_policy: ["ag"],
    allowed: [...STANDARD],
    max_steps: 50,
    max_n: 4,
    price_micro_usd_per_nfe: 50,
    monthly_quota_nfe: 2_000_000,
    requests_per_minute: 120,
  },
  pro: {
    default_policy: ["apg"],
    allowed: [...STANDARD, "pag"],
    max_steps: 150,
    max_n: 8,
    price_micro_usd_per_nfe: 50,
    monthly_quota_nfe: 20_000_000,
    requests_per_minute: 600,
    max_concurrent_jobs: 6,
    max_queued_jobs: 64,
  },
});
