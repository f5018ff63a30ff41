// The admin part of /openapi.json (/v1/admin/...): its own bearer (GG_ADMIN_TOKEN), the key, tier, quota, usage and
// audit routes. document.ts passes its helpers in, as for webhooks.ts.
import {
  ADMIN_PREFIX,
  ApiKeyCreatedSchema,
  ApiKeyCreateSchema,
  ApiKeySchema,
  AuditEntrySchema,
  FleetUsageSchema,
  QuotaSetSchema,
  TierSetSchema,
} from "@guidegate/shared";
import { z } from "zod";
import type { OpenApiHelpers } from "./webhooks.ts";

const security = [{ admin: [] }];
const path = (name: string) => ({ name, in: "path", required: true, schema: { type: "string" } });
const query = (name: string, description: string) => ({
  name,
  in: "query",
  required: false,
  schema: { type: "string" },
  description,
});

export function adminOpenApi(h: OpenApiHelpers) {
  const refused = {
    "401": h.err("No bearer"),
    "403": h.err("Not the admin credential (`admin_required`), or the admin API is off (`admin_disabled`)"),
  };
  const body = (name: string) => ({ required: true, content: h.json(name) });
  const ok = (name: string, description = "OK") => ({ description, content: h.json(name) });
  const tenant = path("tenant");
  const T = `${ADMIN_PREFIX}/tenants/{tenant}`;
  const op = (summary: string, responses: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    summary,
    security,
    tags: ["admin"],
    ...extra,
    responses: { ...responses, ...refused },
  });
  return {
    paths: {
      [`${T}/keys`]: {
        post: op(
          "Create an API key for the tenant (the secret is shown only in this response)",
          { "201": ok("AdminApiKeyCreated"), "400": h.common["400"] },
          { parameters: [tenant], requestBody: body("AdminApiKeyCreate") },
        ),
        get: op("The tenant's API keys, without secrets", { "200": ok("AdminApiKeyList") }, { parameters: [tenant] }),
      },
      [`${T}/keys/{id}`]: {
        delete: op(
          "Revoke the key: refused from the next request on",
          { "200": ok("AdminApiKey"), "404": h.err("No such key for the tenant") },
          { parameters: [tenant, path("id")] },
        ),
      },
      [`${T}/tier`]: {
        put: op(
          "Set or clear the tenant's tier override",
          { "200": { description: "Set" }, "400": h.common["400"] },
          { parameters: [tenant], requestBody: body("AdminTierSet") },
        ),
      },
      [`${T}/quota`]: {
        put: op(
          "Set or clear the tenant's monthly quota override",
          { "200": { description: "Set" }, "400": h.common["400"] },
          { parameters: [tenant], requestBody: body("AdminQuotaSet") },
        ),
      },
      [`${T}/usage`]: {
        get: op(
          "The tenant's usage report for a month",
          { "200": ok("UsageResponse") },
          { parameters: [tenant, query("period", "YYYY-MM")] },
        ),
      },
      [`${ADMIN_PREFIX}/usage`]: {
        get: op(
          "Usage across tenants for a month",
          { "200": ok("AdminFleetUsage") },
          { parameters: [query("period", "YYYY-MM"), query("tenant", "also include this tenant (repeatable)")] },
        ),
      },
      [`${ADMIN_PREFIX}/audit`]: {
        get: op(
          "The append-only audit log, oldest first",
          { "200": ok("AdminAuditList") },
          { parameters: [query("after", "last seq read"), query("limit", "1-500, default 100")] },
        ),
      },
    },
    schemas: {
      AdminApiKeyCreate: h.schema(ApiKeyCreateSchema, "input"),
      AdminApiKey: h.schema(ApiKeySchema),
      AdminApiKeyCreated: h.schema(ApiKeyCreatedSchema),
      AdminApiKeyList: h.schema(z.object({ object: z.literal("list"), data: z.array(ApiKeySchema) })),
      AdminTierSet: h.schema(TierSetSchema, "input"),
      AdminQuotaSet: h.schema(QuotaSetSchema, "input"),
      AdminFleetUsage: h.schema(FleetUsageSchema),
      AdminAuditList: h.schema(z.object({ object: z.literal("list"), data: z.array(AuditEntrySchema) })),
    },
    securityScheme: { admin: { type: "http", scheme: "bearer", description: "GG_ADMIN_TOKEN" } },
  };
}
