// The playground's routes without a browser: the page and assets, and the dev-token gate
// (a token only when the edge accepts the public development secret, never otherwise).
import { Hono } from "hono";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { DEV_JWT_SECRET } from "../../edge/src/auth/dev-token.ts";
import { createLocalJwksKeySource, createSecretKeySource } from "../../edge/src/auth/key-source.ts";
import { makeConfig } from "../../edge/src/config.ts";
import { onError, onNotFound } from "../../edge/src/errors.ts";
import { playground } from "../../edge/src/playground/index.ts";
import { PLAYGROUND_JS } from "../../edge/src/playground/client.ts";

const config = makeConfig();
const mount = (keys: Parameters<typeof playground>[0]["keys"]) => {
  const app = new Hono();
  app.onError(onError);
  app.notFound(onNotFound);
  app.route("/", playground({ keys, config }));
  return app;
};
const dev = mount([createSecretKeySource(DEV_JWT_SECRET)]);
const prod = mount([createSecretKeySource("a-production-secret-that-is-long-enough-0123")]);

describe("playground routes", () => {
  it("serves the page with a strict CSP and its script and stylesheet", async () => {
    const page = await dev.request("/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/text\/html/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const html = await page.text();
    expect(html).toContain('src="/playground/app.js"');
    expect(html).toContain('id="policy"');
    const js = await dev.request("/playground/app.js");
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    expect(await js.text()).toContain("EventSource");
    const css = await dev.request("/playground/app.css");
    expect(css.headers.get("content-type")).toMatch(/text\/css/);
    expect(await css.text()).toContain("image-rendering: pixelated");
  });

  it("the client script is valid JavaScript", () => {
    expect(() => new Function(PLAYGROUND_JS)).not.toThrow();
  });

  it("mints a development token only with the development secret", async () => {
    const res = await dev.request("/playground/dev-token?tier=eco");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as { token: string; tier: string; tiers: string[] };
    expect(body.tier).toBe("eco");
    expect(body.tiers).toEqual(expect.arrayContaining(["eco", "standard", "pro"]));
    const { payload } = await jwtVerify(body.token, new TextEncoder().encode(DEV_JWT_SECRET), {
      issuer: config.issuer,
      audience: config.audience,
    });
    expect(payload).toMatchObject({ tier: "eco", sub: "playground" });
    expect((await dev.request("/playground/dev-token")).status).toBe(200);
  });

  it("rejects an unknown tier", async () => {
    expect((await dev.request("/playground/dev-token?tier=platinum")).status).toBe(400);
  });

  it("answers 404 without the development secret (production keys, JWKS)", async () => {
    expect((await prod.request("/playground/dev-token")).status).toBe(404);
    const jwks = mount([
      createLocalJwksKeySource({
        keys: [
          {
            kty: "EC",
            crv: "P-256",
            x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
          },
        ],
      }),
    ]);
    expect((await jwks.request("/playground/dev-token")).status).toBe(404);
    expect((await prod.request("/")).status).toBe(200);
  });
});
