// GET /v1/usage and its CSV export on the wire: the query, the report with its breakdowns, the export's columns.
import { z } from "zod";

/** A billing period: a UTC month, "YYYY-MM". */
export const PeriodSchema = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as "YYYY-MM"');

/** The query of GET /v1/usage and /v1/usage/export.csv; strict, as every request schema: a misspelt key is a 400. */
export const UsageQuerySchema = z
  .object({ period: PeriodSchema.optional().describe("The month to report, UTC; default the current one.") })
  .strict();

const nfe = z.number().int().min(0);
const micro = z.number().min(0);

/** One group of a period's settled jobs. */
const UsageBucketSchema = z.object({
  used_nfe: nfe.describe("NFEs settled"),
  cost_micro_usd: micro.describe("What they were billed"),
  jobs: nfe.describe("Settled jobs"),
});

export const UsageReportSchema = z.object({
  object: z.literal("usage"),
  tenant: z.string(),
  tier: z.string(),
  period: PeriodSchema,
  quota_nfe: nfe,
  used_nfe: nfe,
  reserved_nfe: nfe,
  remaining_nfe: nfe,
  price_micro_usd_per_nfe: micro.describe("The caller's tier price now: what new jobs are billed per NFE."),
  cost_micro_usd: micro.describe(
    "What the period's settled jobs were billed: each job's NFEs at the price of the tier it was reserved under, whatever the tier of the token reading it.",
  ),
  late_settled_nfe: nfe.describe(
    "NFEs of used_nfe settled after their reservation's lease had expired: billed all the same, and the most by which used_nfe + reserved_nfe may exceed the quota.",
  ),
  by_day: z
    .array(UsageBucketSchema.extend({ day: z.string().describe("YYYY-MM-DD, UTC") }))
    .describe("By the UTC day each job was reserved, ascending; days without a settled job are left out."),
  by_policy: z
    .array(UsageBucketSchema.extend({ policy: z.string().nullable() }))
    .describe("By guidance policy, ascending; null for jobs reserved before the ledger recorded policies."),
});
export type UsageReportBody = z.infer<typeof UsageReportSchema>;

/** The export's header row, in order: one row per settled job of the period, by reservation time. */
export const USAGE_CSV_COLUMNS = [
  "job_id",
  "settled_at", // ISO 8601 UTC; empty for jobs settled before the ledger recorded settle times
  "tier",
  "policy",
  "nfe",
  "price_micro_usd_per_nfe",
  "cost_micro_usd",
  "reserved_at", // ISO 8601 UTC: the day by_day counts the job on
  "late_settled", // "true" when it settled after its lease expired (its NFEs are in late_settled_nfe)
] as const;
