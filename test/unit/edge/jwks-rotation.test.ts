// JWKS key rotation against a real local JWKS server: a token signed by a new `kid` is refused while jose's
// cooldown (createRemoteJWKSet `cooldownDuration`) holds since the last fetch, then accepted after exactly one
// refetch of the set; later tokens with that kid need no further fetch.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createJwksKeySource } from "../../../edge/src/auth/key-source.ts";
import { DEFAULT_CONFIG } from "../../../edge/src/config.ts";
import { envelopeOf, NOW, testApp } from "./support.ts";

const COOLDOWN_MS = 300;

type Signer = { kid: string; jwk: JWK; sign(sub: string): Promise<string> };

async function signer(kid: string): Promise<Signer> {
  const { privateKey, publicKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
  const sign = (sub: string) =>
    new SignJWT({ tier: "pro" })
      .setProtectedHeader({ alg: "ES256", kid })
      .setSubject(sub)
      .setIssuer(DEFAULT_CONFIG.issuer)
      .setAudience(DEFAULT_CONFIG.audience)
      .setIssuedAt(NOW / 1000)
      .setExpirationTime(NOW / 1000 + 3600)
      .sign(privateKey);
  return { kid, jwk, sign };
}

describe("JWKS rotation", () => {
  let server: Server;
  let url: string;
  let published: JWK[] = [];
  let fetches = 0;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("accepts a new kid after one refetch, once the cooldown since the last fetch has passed", async () => {
    const [a, b] = await Promise.all([signer("key-a"), signer("key-b")]);
    published = [a.jwk];
    const keys = [createJwksKeySource(url, { cooldownMs: COOLDOWN_MS, cacheMaxAgeMs: 60_000 })];
    const t = testApp({ keys });
    const call = async (token: string) => t.app.request("/v1/usage", { headers: { authorization: `Bearer ${token}` } });

    expect((await call(await a.sign("alice"))).status).toBe(200);
    expect(fetches).toBe(1);

    published = [a.jwk, b.jwk]; // the issuer rotates: key-b signs from now on
    const early = await call(await b.sign("bob"));
    expect(early.status).toBe(401); // within the cooldown jose does not refetch
    expect((await envelopeOf(early)).type).toBe("authentication_error");
    expect(fetches).toBe(1);

    await new Promise((r) => setTimeout(r, COOLDOWN_MS + 50));
    const late = await call(await b.sign("bob"));
    expect(late.status).toBe(200);
    expect(await late.json()).toMatchObject({ tenant: "bob" });
    expect(fetches).toBe(2);

    expect((await call(await b.sign("carol"))).status).toBe(200);
    expect((await call(await a.sign("dave"))).status).toBe(200); // still published
    expect(fetches).toBe(2);
  });
});
