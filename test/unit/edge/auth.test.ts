import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { base64url, exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../../edge/src/app.ts";
import { tenantAuth } from "../../../edge/src/auth/middleware.ts";
import {
  createJwksKeySource,
  createLocalJwksKeySource,
  createSecretKeySource,
} from "../../../edge/src/auth/key-source.ts";
import { envelopeOf, NOW, SECRET, testApp } from "./support.ts";

const ISS = "guidegate-dev";
const AUD = "guidegate-api";
const GEN = { prompt: "a red circle" };
const enc = (s: string) => new TextEncoder().encode(s);

interface Claims {
  sub?: string | null;
  tier?: string | null;
  iss?: string;
  aud?: string;
  exp?: number | null; // seconds relative to NOW
  nbf?: number;
  iat?: number; // seconds relative to NOW
}

function claimsJwt(c: Claims): SignJWT {
  const payload: Record<string, unknown> = {};
  if (c.tier !== null) payload.tier = c.tier ?? "pro";
  const jwt = new SignJWT(payload)
    .setIssuer(c.iss ?? ISS)
    .setAudience(c.aud ?? AUD)
    .setIssuedAt(NOW / 1000 + (c.iat ?? 0));
  if (c.sub !== null) jwt.setSubject(c.sub ?? "alice");
  if (c.exp !== null) jwt.setExpirationTime(NOW / 1000 + (c.exp ?? 600));
  if (c.nbf !== undefined) jwt.setNotBefore(NOW / 1000 + c.nbf);
  return jwt;
}
/** RS256 over any header, crit included (jose refuses to sign parameters it does not know). */
async function rawRs256(header: Record<string, unknown>, c: Claims, key: CryptoKey): Promise<string> {
  const now = NOW / 1000;
  const payload = { tier: "pro", sub: "alice", iss: ISS, aud: AUD, iat: now, exp: now + 600 };
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify({ ...payload, ...c }))}`;
  const sig = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key, enc(input));
  return `${input}.${base64url.encode(new Uint8Array(sig))}`;
}
const hs = (c: Claims = {}, secret = SECRET) => claimsJwt(c).setProtectedHeader({ alg: "HS256" }).sign(enc(secret));

let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let ec: Awaited<ReturnType<typeof generateKeyPair>>;
let ed: Awaited<ReturnType<typeof generateKeyPair>>;
let jwks: { keys: JWK[] };
let server: Server;
let jwksUrl: string;
let jwksHits = 0;

beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  ec = await generateKeyPair("ES256", { extractable: true });
  ed = await generateKeyPair("EdDSA", { extractable: true });
  jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: "rsa", alg: "RS256", use: "sig" },
      { ...(await exportJWK(ec.publicKey)), kid: "ec", alg: "ES256", use: "sig" },
      { ...(await exportJWK(ed.publicKey)), kid: "ed", alg: "EdDSA", use: "sig" },
    ],
  };
  server = createServer((_req, res) => {
    jwksHits++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function call(app: ReturnType<typeof testApp>, token: string, path = "/v1/images/generations") {
  return app.app.request(path, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(GEN),
  });
}

async function expect401(t: ReturnType<typeof testApp>, token: string) {
  const res = await call(t, token);
  expect(res.status).toBe(401);
  const err = await envelopeOf(res);
  expect(err.type).toBe("authentication_error");
  expect(t.pool.dispatched).toHaveLength(0);
  return err;
}

describe("HS256 secret source", () => {
  it("accepts a good token (reaches admission: the recording pool has no capacity -> 503)", async () => {
    const t = testApp();
    const res = await call(t, await hs());
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("3");
    expect(t.pool.dispatched).toHaveLength(1);
  });

  it("rejects alg none", async () => {
    const t = testApp();
    const token = new UnsecuredJWT({ tier: "pro" })
      .setSubject("alice")
      .setIssuer(ISS)
      .setAudience(AUD)
      .setExpirationTime(NOW / 1000 + 600)
      .encode();
    await expect401(t, token);
  });

  it("rejects an RS256 token (algorithm confusion) and a wrong secret", async () => {
    const t = testApp();
    await expect401(t, await claimsJwt({}).setProtectedHeader({ alg: "RS256", kid: "rsa" }).sign(rsa.privateKey));
    await expect401(t, await hs({}, "another-secret-another-secret-another-secret"));
  });

  it("rejects a tampered signature, a malformed token and a missing token", async () => {
    const t = testApp();
    const good = await hs();
    await expect401(t, `${good.slice(0, -4)}AAAA`);
    await expect401(t, "not.a.jwt");
    const res = await t.app.request("/v1/models");
    expect(res.status).toBe(401);
    expect((await envelopeOf(res)).code).toBe("missing_token");
    const basic = await t.app.request("/v1/models", { headers: { authorization: "Basic abc" } });
    expect(basic.status).toBe(401);
  });

  it("enforces exp with ~5 s tolerance and nbf", async () => {
    const t = testApp();
    expect((await expect401(t, await hs({ exp: -10 }))).code).toBe("token_expired");
    await expect401(t, await hs({ nbf: 60 }));
    expect(
      (await t.app.request("/v1/models", { headers: { authorization: `Bearer ${await hs({ exp: -3 })}` } })).status,
    ).toBe(200);
  });

  it("refuses an iat beyond the clock tolerance in the future, names it, and accepts one within it", async () => {
    const t = testApp();
    const err = await expect401(t, await hs({ iat: 365 * 86_400, exp: 366 * 86_400 }));
    expect(err.message).toMatch(/iat/);
    await expect401(t, await hs({ iat: 60 }));
    const skewed = await hs({ iat: 3 });
    expect((await t.app.request("/v1/models", { headers: { authorization: `Bearer ${skewed}` } })).status).toBe(200);
  });

  it("requires iss, aud, sub, tier and exp, and a known tier", async () => {
    const t = testApp();
    await expect401(t, await hs({ aud: "someone-else" }));
    await expect401(t, await hs({ iss: "https://evil.example" }));
    await expect401(t, await hs({ sub: null }));
    await expect401(t, await hs({ exp: null }));
    await expect401(t, await hs({ tier: null }));
    expect((await expect401(t, await hs({ tier: "platinum" }))).code).toBe("unknown_tier");
    await expect401(t, await hs({ tier: "__proto__" }));
  });

  it("sends WWW-Authenticate on 401", async () => {
    const t = testApp();
    const res = await call(t, "x.y.z");
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });
});

describe("JWKS sources", () => {
  const rs = (c: Claims = {}) => claimsJwt(c).setProtectedHeader({ alg: "RS256", kid: "rsa" }).sign(rsa.privateKey);

  it("accepts RS256, ES256 and EdDSA from a JWKS served over HTTP, fetching it once", async () => {
    const t = testApp({ keys: [createJwksKeySource(jwksUrl)] });
    const before = jwksHits;
    for (const token of [
      await rs(),
      await claimsJwt({}).setProtectedHeader({ alg: "ES256", kid: "ec" }).sign(ec.privateKey),
      await claimsJwt({}).setProtectedHeader({ alg: "EdDSA", kid: "ed" }).sign(ed.privateKey),
    ]) {
      const res = await t.app.request("/v1/models", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
    expect(jwksHits - before).toBe(1);
  });

  it("rejects an HS256 token signed with the public key's bytes (HS/RS confusion)", async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const forged = await claimsJwt({}).setProtectedHeader({ alg: "HS256", kid: "rsa" }).sign(enc(pem));
    const forgedN = await claimsJwt({})
      .setProtectedHeader({ alg: "HS256" })
      .sign(enc(JSON.stringify(jwks.keys[0])));
    for (const keys of [
      [createJwksKeySource(jwksUrl)],
      [createLocalJwksKeySource(jwks)],
      [createLocalJwksKeySource(jwks), createSecretKeySource(SECRET)], // both sources configured
    ]) {
      const t = testApp({ keys });
      await expect401(t, forged);
      await expect401(t, forgedN);
    }
  });

  it("rejects tokens from an unknown key, and wrong claims", async () => {
    const other = await generateKeyPair("RS256");
    const t = testApp({ keys: [createLocalJwksKeySource(jwks)] });
    await expect401(t, await claimsJwt({}).setProtectedHeader({ alg: "RS256", kid: "rsa" }).sign(other.privateKey));
    await expect401(t, await claimsJwt({}).setProtectedHeader({ alg: "RS256" }).sign(other.privateKey));
    await expect401(t, await rs({ aud: "x" }));
    await expect401(t, await rs({ exp: -60 }));
    await expect401(t, await rs({ tier: "gold" }));
    await expect401(t, await hs()); // HS256 is not in this source's list
  });

  it("never takes a key from the token: jwk, jku and x5u headers are ignored, unknown crit refused", async () => {
    const attacker = await generateKeyPair("RS256", { extractable: true });
    const jwk = { ...(await exportJWK(attacker.publicKey)), kid: "rsa", alg: "RS256" };
    const before = jwksHits;
    const t = testApp({ keys: [createLocalJwksKeySource(jwks)] });
    for (const header of [
      { alg: "RS256", kid: "rsa", jwk },
      { alg: "RS256", kid: "rsa", jku: jwksUrl },
      { alg: "RS256", x5u: jwksUrl },
      { alg: "RS256", kid: "../../../etc/passwd" },
      { alg: "RS256", kid: "rsa", crit: ["exp"] },
    ])
      await expect401(t, await rawRs256(header, {}, attacker.privateKey as CryptoKey));
    // A genuine token with an unknown critical header parameter is refused too (RFC 7515 §4.1.11).
    await expect401(
      t,
      await rawRs256({ alg: "RS256", kid: "rsa", crit: ["x-gg"], "x-gg": 1 }, {}, rsa.privateKey as CryptoKey),
    );
    // The control: the same raw signer with a plain header is accepted.
    const ok = await rawRs256({ alg: "RS256", kid: "rsa" }, {}, rsa.privateKey as CryptoKey);
    expect((await t.app.request("/v1/models", { headers: { authorization: `Bearer ${ok}` } })).status).toBe(200);
    expect(jwksHits).toBe(before); // the jku/x5u URL was never fetched
  });

  it("answers 503 (not 401) when the JWKS cannot be fetched", async () => {
    const t = testApp({ keys: [createJwksKeySource("http://127.0.0.1:9/jwks.json", { timeoutMs: 500 })] });
    const res = await call(t, await rs());
    expect(res.status).toBe(503);
    expect((await envelopeOf(res)).code).toBe("auth_unavailable");
    expect(t.pool.dispatched).toHaveLength(0);
  });
});

describe("access_token query parameter", () => {
  it("is accepted only on GET /v1/jobs/{id}/events", async () => {
    const t = testApp();
    const token = await hs();
    const events = await t.app.request(
      `/v1/jobs/job_0000000000000000aaaaaaaaaaaaaaaaaaaaaaaa/events?access_token=${token}`,
    );
    expect(events.status).toBe(404); // authenticated; the job does not exist
    expect((await envelopeOf(events)).type).toBe("not_found_error");
    const models = await t.app.request(`/v1/models?access_token=${token}`);
    expect(models.status).toBe(401);
    const job = await t.app.request(`/v1/jobs/job_0000000000000000aaaaaaaaaaaaaaaaaaaaaaaa?access_token=${token}`);
    expect(job.status).toBe(401);
    const post = await t.app.request(`/v1/images/generations?access_token=${token}`, {
      method: "POST",
      body: JSON.stringify(GEN),
    });
    expect(post.status).toBe(401);
    expect(t.pool.dispatched).toHaveLength(0);
  });
});

describe("start-up validation", () => {
  it("key sources and middleware refuse bad options", () => {
    expect(() => createSecretKeySource(undefined)).toThrow(/secret is required/);
    expect(() => createSecretKeySource("short")).toThrow(/at least 32 bytes/);
    expect(() => createJwksKeySource(undefined)).toThrow(/URL is required/);
    expect(() => createJwksKeySource("ftp://x/jwks")).toThrow(/http/);
    expect(() => createJwksKeySource(jwksUrl, { algorithms: ["HS256"] })).toThrow(/not allowed/);
    expect(() => createLocalJwksKeySource({ keys: [] })).toThrow();
    const base = {
      keys: [createSecretKeySource(SECRET)],
      issuer: ISS,
      audience: AUD,
      tiers: { eco: {} as never },
      clock: { now: () => 0 },
    };
    expect(() => tenantAuth({ ...base, keys: [] })).toThrow(/key source/);
    expect(() => tenantAuth({ ...base, issuer: "" })).toThrow(/issuer/);
    expect(() => tenantAuth({ ...base, audience: "" })).toThrow(/audience/);
    expect(() => createApp({} as never)).toThrow(/missing dependencies/);
  });
});
