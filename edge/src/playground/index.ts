// The playground: GET / (page), /playground/app.js, /playground/app.css, and, only when the edge
// accepts the public development secret, GET /playground/dev-token. Strings only: works on Workers too.
import { Hono } from "hono";
import { mintDevToken } from "../auth/dev-token.ts";
import type { KeySource } from "../auth/key-source.ts";
import type { EdgeConfig } from "../config.ts";
import { invalidRequest, notFound } from "../errors.ts";
import { PLAYGROUND_JS } from "./client.ts";
import { usesDevSecret } from "./dev-mode.ts";
import { PLAYGROUND_HTML } from "./html.ts";
import { PLAYGROUND_CSS } from "./style.ts";

export interface PlaygroundDeps {
  keys: readonly KeySource[];
  config: Pick<EdgeConfig, "issuer" | "audience" | "tiers">;
}

/** Only same-origin script and style; images may come from the S3 bucket's presigned URLs. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: https: http:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const DEV_TOKEN_TTL_SEC = 3600;
const DEV_TOKEN_SUB = "playground";

export function playground(deps: PlaygroundDeps) {
  const app = new Hono();
  const dev = usesDevSecret(deps.keys);
  const tiers = Object.keys(deps.config.tiers);
  const preferred = tiers.includes("pro") ? "pro" : tiers[0];

  app.get("/", (c) => {
    c.header("content-security-policy", CSP);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer"); // the event-stream URL carries the token
    return c.html(PLAYGROUND_HTML);
  });
  app.get("/playground/app.js", (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("x-content-type-options", "nosniff");
    return c.body(PLAYGROUND_JS);
  });
  app.get("/playground/app.css", (c) => {
    c.header("content-type", "text/css; charset=utf-8");
    c.header("x-content-type-options", "nosniff");
    return c.body(PLAYGROUND_CSS);
  });

  app.get("/playground/dev-token", async (c) => {
    if (!dev) throw notFound();
    const tier = c.req.query("tier") || preferred;
    if (!tier || !tiers.includes(tier))
      throw invalidRequest("unknown_tier", `tier must be one of ${tiers.join(", ")}`, "tier");
    const token = await mintDevToken({
      sub: DEV_TOKEN_SUB,
      tier,
      issuer: deps.config.issuer,
      audience: deps.config.audience,
      ttlSec: DEV_TOKEN_TTL_SEC,
    });
    c.header("cache-control", "no-store");
    return c.json({ token, tier, tiers, sub: DEV_TOKEN_SUB, expires_in: DEV_TOKEN_TTL_SEC });
  });

  return app;
}
