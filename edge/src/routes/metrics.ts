// GET /metrics: the edge's Prometheus text, to bearers of GG_METRICS_TOKEN only (pool state and request
// rates are operator data, and the edge's port is public). Mounted only where the entry built metrics.
import { Hono } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import type { AppEnv } from "../auth/caller.ts";
import { unauthorized } from "../errors.ts";
import type { EdgeMetrics } from "../metrics/types.ts";

export const METRICS_PATH = "/metrics";

export function metricsRoutes(metrics: EdgeMetrics) {
  const app = new Hono<AppEnv>();
  app.get(METRICS_PATH, async (c) => {
    const header = c.req.header("authorization") ?? "";
    const token = header.startsWith("Bearer ") ? header.slice(7) : "";
    // Compared through hashes: neither the length nor a prefix of the token leaks through timing.
    if (!(await timingSafeEqual(token, metrics.token))) throw unauthorized();
    const { contentType, body } = await metrics.render();
    return c.body(body, 200, { "content-type": contentType });
  });
  return app;
}
