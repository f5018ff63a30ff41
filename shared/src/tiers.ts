// Tier configuration: what a tier buys (an NFE budget the edge resolves against the model's measured
// frontier, edge/src/tiers/budget.ts), which policies explicit guidance may name, its limits, price and quota.
import { z } from "zod";
import { PolicyNameSchema } from "./policies.ts";

/**
 * What a request without `guidance` buys: the best measured frontier point (rule, schedule, steps) whose
 * worst-case NFEs per image stay within `nfe_fraction_max` of full CFG (2 NFEs a step) at the model's
 * default step count. With `quality_floor`, the cheapest point whose quality (adherence's lower
 * confidence bound where measured, else SSIM) reaches it, when one does.
 */
export const TierBudgetSchema = z.strictObject({
  nfe_fraction_max: z.number().finite().positive().max(10),
  quality_floor: z.number().finite().min(0).max(1).optional(),
});
export type TierBudget = z.infer<typeof TierBudgetSchema>;

export const TierSchema = z.object({
  budget: TierBudgetSchema,
  /** What explicit guidance may name. A request without guidance is limited by `budget` alone (and the model). */
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
    budget: { nfe_fraction_max: 0.52 },
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
    budget: { nfe_fraction_max: 0.6 },
    allowed: [...STANDARD],
    max_steps: 50,
    max_n: 4,
    price_micro_usd_per_nfe: 50,
    monthly_quota_nfe: 2_000_000,
    requests_per_minute: 120,
  },
  pro: {
    budget: { nfe_fraction_max: 1 },
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
