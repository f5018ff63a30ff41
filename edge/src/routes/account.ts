// GET /v1/usage, /v1/models, /v1/policies: what the caller has spent and may use.
import { Hono } from "hono";
import { listModels, listPolicies } from "../tiers/catalog.ts";
import type { AppEnv } from "../auth/caller.ts";
import type { TenantUsage } from "../ledger/types.ts";
import type { RouteDeps } from "./context.ts";

export function accountRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();

  app.get("/v1/usage", async (c) => {
    const { tenant, tierName, tier } = c.get("caller");
    const u = await deps.ledger.usage(tenant, tier.monthly_quota_nfe, deps.clock.now());
    return c.json({
      object: "usage",
      tenant,
      tier: tierName,
      period: u.period,
      quota_nfe: u.quota,
      used_nfe: u.used,
      reserved_nfe: u.reserved,
      remaining_nfe: u.remaining,
      price_micro_usd_per_nfe: tier.price_micro_usd_per_nfe, // what a job reserved now would cost
      cost_micro_usd: billedCost(u, tier.price_micro_usd_per_nfe),
    });
  });

  app.get("/v1/models", async (c) => c.json(listModels(await deps.models(), 0)));

  app.get("/v1/policies", async (c) => {
    const { tierName, tier } = c.get("caller");
    return c.json(listPolicies(tierName, tier, await deps.models()));
  });

  return app;
}

/** What the period's jobs were billed, each at the price recorded when it was reserved. NFEs settled before the
 * ledger recorded prices have none to go by; the caller's tier price is the best estimate left for them. */
export function billedCost(u: TenantUsage, tierPriceMicroUsdPerNfe: number): number {
  return u.cost_micro_usd + u.unpriced * tierPriceMicroUsdPerNfe;
}
