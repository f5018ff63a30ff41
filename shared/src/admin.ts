// The admin API on the wire (/v1/admin/...): request bodies and queries, strict like every request schema (an
// unknown field is a 400 naming it), and the shapes it answers with.
import { z } from "zod";
import { PeriodSchema, UsageReportSchema } from "./usage.ts";

export const ADMIN_PREFIX = "/v1/admin";

export const TenantIdSchema = z.string().min(1).max(128);

export const ApiKeyCreateSchema = z
  .object({
    tier: z.string().min(1).describe("The tier the key's requests are served at (a tenant tier override wins)."),
    name: z.string().min(1).max(100).optional().describe("A label for operators."),
    expires_at: z.iso.datetime({ offset: true }).optional().describe("When the key stops working; never when absent."),
  })
  .strict();
export type ApiKeyCreate = z.infer<typeof ApiKeyCreateSchema>;

/** A key as listed: never its secret or hash. */
export const ApiKeySchema = z.object({
  object: z.literal("api_key"),
  id: z.string(),
  tenant: z.string(),
  tier: z.string(),
  prefix: z.string().describe("The key's first characters, to recognise it."),
  name: z.string().nullable(),
  created_at: z.iso.datetime(),
  expires_at: z.iso.datetime().nullable(),
  last_used_at: z.iso.datetime().nullable().describe("Updated at most once a minute."),
  revoked_at: z.iso.datetime().nullable(),
});
export type ApiKeyBody = z.infer<typeof ApiKeySchema>;

/** The answer to a create: the key itself, shown this once. */
export const ApiKeyCreatedSchema = ApiKeySchema.extend({ key: z.string().describe("The secret; shown only now.") });

export const TierSetSchema = z
  .object({ tier: z.string().min(1).nullable().describe("A tier name, or null to clear the override.") })
  .strict();
export const QuotaSetSchema = z
  .object({
    monthly_quota_nfe: z.number().int().min(0).nullable().describe("NFEs a month, or null to clear the override."),
  })
  .strict();

export const AdminUsageQuerySchema = z
  .object({
    period: PeriodSchema.optional(),
    tenant: z
      .union([TenantIdSchema, z.array(TenantIdSchema)])
      .optional()
      .describe("Tenants to include as well."),
  })
  .strict();

export const AuditQuerySchema = z
  .object({
    after: z.coerce.number().int().min(0).optional().describe("The last seq already read; from the first when absent."),
    limit: z.coerce.number().int().min(1).max(500).optional(),
  })
  .strict();

export const AuditEntrySchema = z.object({
  seq: z.number().int(),
  at: z.iso.datetime(),
  actor: z.string(),
  action: z.string(),
  tenant: z.string().nullable(),
  target: z.string().nullable(),
  request_id: z.string(),
  details: z.unknown().nullable(),
});

export const FleetUsageSchema = z.object({
  object: z.literal("fleet_usage"),
  period: z.string(),
  used_nfe: z.number().int(),
  cost_micro_usd: z.number(),
  jobs: z.number().int(),
  tenants: z.array(UsageReportSchema),
});
