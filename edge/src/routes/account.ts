// GET /v1/usage (routes/usage.ts), /v1/models, /v1/models/{id}/guidance, /v1/policies: what the caller
// has spent and may use.
import { Hono } from "hono";
import { notFound } from "../errors.ts";
import { listModels, listPolicies } from "../tiers/catalog.ts";
import { modelGuidance } from "../tiers/guidance-catalog.ts";
import type { AppEnv } from "../auth/caller.ts";
import type { RouteDeps } from "./context.ts";
import { usageRoutes } from "./usage.ts";

export function accountRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();

  app.route("/", usageRoutes(deps));

  app.get("/v1/models", async (c) => c.json(listModels(await deps.models(), 0)));

  app.get("/v1/models/:id/guidance", async (c) => {
    const id = c.req.param("id");
    const model = (await deps.models()).find((m) => m.id === id);
    if (!model) throw notFound(`Model "${id}" does not exist.`, "id");
    return c.json(modelGuidance(model, deps.config.tiers, deps.config.defaultSteps));
  });

  app.get("/v1/policies", async (c) => {
    const { tierName, tier } = c.get("caller");
    return c.json(listPolicies(tierName, tier, await deps.models(), deps.config.defaultSteps));
  });

  return app;
}
