// Counts every request by its route *pattern* (hono's matched route, "/v1/jobs/:id"), method and status,
// and times it to its response headers. Registered first, so it sees what onError and notFound answer.
import type { Context, MiddlewareHandler } from "hono";
import { matchedRoutes } from "hono/route";
import type { EdgeMetrics } from "../metrics/types.ts";

/** The label of a request no route matched: raw paths would grow the label set without bound. */
export const UNMATCHED_ROUTE = "unmatched";

/** The pattern of the handler that answered: the last matched route that is not a middleware (method ALL). */
function routeOf(c: Context): string {
  const handlers = matchedRoutes(c).filter((r) => r.method !== "ALL");
  return handlers.at(-1)?.path ?? UNMATCHED_ROUTE;
}

export function requestMetrics(metrics: EdgeMetrics): MiddlewareHandler {
  return async (c, next) => {
    const t0 = performance.now();
    try {
      await next();
    } finally {
      const status = c.res?.status ?? 500;
      metrics.request({ route: routeOf(c), method: c.req.method, status }, (performance.now() - t0) / 1000);
    }
  };
}
