// The admin API under /v1/admin (auth/admin.ts: GG_ADMIN_TOKEN only): API keys, a tenant's tier and quota, any
// tenant's usage and the fleet's, and the audit log. Every action, reads included, appends an audit entry (who,
// what, tenant, target, when, request id) once it succeeded.
import { type Context, Hono } from "hono";
import {
  ADMIN_PREFIX,
  AdminUsageQuerySchema,
  ApiKeyCreateSchema,
  type ApiKeyBody,
  AuditQuerySchema,
  QuotaSetSchema,
  TenantIdSchema,
  TierSetSchema,
  type UsageReportBody,
} from "@guidegate/shared";
import { hashKey, newApiKey } from "../apikeys/format.ts";
import type { ApiKeyRecord } from "../apikeys/types.ts";
import { ADMIN_ACTOR } from "../auth/admin.ts";
import type { AppEnv } from "../auth/caller.ts";
import type { AuditEntry } from "../audit/types.ts";
import { invalidRequest, notFound, readJson } from "../errors.ts";
import { periodOf } from "../ledger/types.ts";
import type { RouteDeps } from "./context.ts";
import { usageBody } from "./usage.ts";

/** /v1/admin and everything under it: served to the admin credential alone. */
export const isAdminPath = (path: string): boolean => path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function keyBody(r: ApiKeyRecord): ApiKeyBody {
  const { id, tenant, tier, prefix, name } = r;
  return {
    object: "api_key",
    ...{ id, tenant, tier, prefix, name },
    created_at: iso(r.created_at)!,
    expires_at: iso(r.expires_at),
    last_used_at: iso(r.last_used_at),
    revoked_at: iso(r.revoked_at),
  };
}

const auditBody = (e: AuditEntry) => ({
  ...e,
  at: iso(e.at)!,
  details: e.details === null ? null : JSON.parse(e.details),
});

const tenantParam = (c: Context<AppEnv>): string => {
  const parsed = TenantIdSchema.safeParse(c.req.param("tenant"));
  if (!parsed.success) throw invalidRequest("invalid_value", "tenant: must be 1-128 characters", "tenant");
  return parsed.data;
};

export function adminRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  const { apiKeys, audit, clock, config } = deps;

  const record = (
    c: Context<AppEnv>,
    action: string,
    tenant: string | null,
    target: string | null,
    details?: unknown,
  ) =>
    audit.append({
      at: clock.now(),
      actor: ADMIN_ACTOR,
      action,
      tenant,
      target,
      request_id: c.get("requestId"),
      details: details === undefined ? null : JSON.stringify(details),
    });

  const checkTier = (tier: string, param: string) => {
    if (!Object.hasOwn(config.tiers, tier))
      throw invalidRequest(
        "unknown_tier",
        `${param}: no tier named "${tier}" (${Object.keys(config.tiers).join(", ")})`,
        param,
      );
  };

  app.post(`${ADMIN_PREFIX}/tenants/:tenant/keys`, async (c) => {
    const tenant = tenantParam(c);
    const body = ApiKeyCreateSchema.parse(await readJson(c));
    checkTier(body.tier, "tier");
    const now = clock.now();
    const expiresAt = body.expires_at === undefined ? null : Date.parse(body.expires_at);
    if (expiresAt !== null && expiresAt <= now)
      throw invalidRequest("invalid_value", "expires_at: must be in the future", "expires_at");
    const { key, id, prefix } = newApiKey(tenant);
    const rec: ApiKeyRecord = {
      ...{ id, tenant, tier: body.tier, prefix, name: body.name ?? null },
      hash: await hashKey(key),
      created_at: now,
      expires_at: expiresAt,
      last_used_at: null,
      revoked_at: null,
    };
    await apiKeys.create(rec);
    await record(c, "api_key.create", tenant, id, {
      tier: body.tier,
      name: rec.name,
      expires_at: body.expires_at ?? null,
    });
    return c.json({ ...keyBody(rec), key }, 201);
  });

  app.get(`${ADMIN_PREFIX}/tenants/:tenant/keys`, async (c) => {
    const tenant = tenantParam(c);
    const keys = await apiKeys.list(tenant);
    await record(c, "api_key.list", tenant, null);
    return c.json({ object: "list", data: keys.map(keyBody) });
  });

  app.delete(`${ADMIN_PREFIX}/tenants/:tenant/keys/:id`, async (c) => {
    const tenant = tenantParam(c);
    const id = c.req.param("id");
    const rec = await apiKeys.revoke(tenant, id, clock.now());
    if (!rec) throw notFound(`Tenant ${tenant} has no API key ${id}.`, "id");
    await record(c, "api_key.revoke", tenant, id);
    return c.json(keyBody(rec));
  });

  app.put(`${ADMIN_PREFIX}/tenants/:tenant/tier`, async (c) => {
    const tenant = tenantParam(c);
    const { tier } = TierSetSchema.parse(await readJson(c));
    if (tier !== null) checkTier(tier, "tier");
    await deps.tierOverrides.set(tenant, tier);
    await record(c, "tenant.tier", tenant, null, { tier });
    return c.json({ object: "tenant_tier", tenant, tier });
  });

  app.put(`${ADMIN_PREFIX}/tenants/:tenant/quota`, async (c) => {
    const tenant = tenantParam(c);
    const { monthly_quota_nfe } = QuotaSetSchema.parse(await readJson(c));
    await deps.quotas.set(tenant, monthly_quota_nfe);
    await record(c, "tenant.quota", tenant, null, { monthly_quota_nfe });
    return c.json({ object: "tenant_quota", tenant, monthly_quota_nfe });
  });

  app.get(`${ADMIN_PREFIX}/tenants/:tenant/usage`, async (c) => {
    const tenant = tenantParam(c);
    const period = AdminUsageQuerySchema.omit({ tenant: true }).parse(c.req.query()).period ?? periodOf(clock.now());
    const body = await tenantUsage(deps, tenant, period);
    await record(c, "usage.read", tenant, null, { period });
    return c.json(body);
  });

  app.get(`${ADMIN_PREFIX}/usage`, async (c) => {
    const q = AdminUsageQuerySchema.parse({ ...c.req.query(), tenant: c.req.queries("tenant") });
    const period = q.period ?? periodOf(clock.now());
    const named = q.tenant === undefined ? [] : [q.tenant].flat();
    const tenants = [...new Set([...(await audit.tenants()), ...Object.keys(config.tenantQuotas), ...named])].sort();
    const reports = await Promise.all(tenants.map((t) => tenantUsage(deps, t, period)));
    await record(c, "usage.fleet", null, null, { period, tenants: tenants.length });
    return c.json({
      object: "fleet_usage",
      period,
      used_nfe: reports.reduce((n, r) => n + r.used_nfe, 0),
      cost_micro_usd: reports.reduce((n, r) => n + r.cost_micro_usd, 0),
      jobs: reports.reduce((n, r) => n + r.by_day.reduce((j, d) => j + d.jobs, 0), 0),
      tenants: reports,
    });
  });

  app.get(`${ADMIN_PREFIX}/audit`, async (c) => {
    const q = AuditQuerySchema.parse(c.req.query());
    const entries = await audit.list(q.after ?? 0, q.limit ?? 100);
    await record(c, "audit.read", null, null, { after: q.after ?? 0 });
    return c.json({ object: "list", data: entries.map(auditBody) });
  });

  return app;
}

/** A tenant's usage as GET /v1/usage would show it, at its tier as far as the edge knows it: the tier override,
 * else its newest live API key's tier; a tenant known only by JWTs shows tier "unknown", priced at 0 for rows from
 * before prices were recorded (every newer row carries its own price). */
async function tenantUsage(deps: RouteDeps, tenant: string, period: string): Promise<UsageReportBody> {
  const now = deps.clock.now();
  const override = await deps.tierOverrides.get(tenant);
  const live = (await deps.apiKeys.list(tenant)).filter((k) => k.revoked_at === null).at(-1);
  const tierName = override ?? live?.tier ?? null;
  const tier = tierName === null ? undefined : deps.config.tiers[tierName];
  const report = await deps.ledger.report(tenant, tier?.monthly_quota_nfe ?? 0, now, period);
  return usageBody(report, tier ? tierName! : "unknown", tier?.price_micro_usd_per_nfe ?? 0);
}
