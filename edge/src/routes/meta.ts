// Unauthenticated service routes: health, the OpenAPI document and its reference page.
import { Hono } from "hono";
import { openApiDocument } from "../openapi/document.ts";
import { renderDocs } from "../openapi/docs-page.ts";
import type { AppEnv } from "../auth/caller.ts";
import type { RouteDeps } from "./context.ts";

export function metaRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();
  // Built on first use: Workers allow ~1 s of start-up work per isolate.
  let doc: ReturnType<typeof openApiDocument> | null = null;
  let page: string | null = null;
  const document = () => {
    doc ??= openApiDocument(deps.config);
    return doc;
  };
  const docsPage = () => {
    page ??= renderDocs(document());
    return page;
  };

  app.get("/healthz", (c) => {
    const workers = deps.pool.status();
    return c.json({ ok: true, workers_up: workers.filter((w) => w.up).length, workers: workers.length });
  });
  app.get("/openapi.json", (c) => c.json(document()));
  app.get("/docs", (c) => c.html(docsPage()));
  return app;
}
