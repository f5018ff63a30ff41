// The verified-token cache (edge/src/auth/token-cache.ts): a token is verified once and then served from
// memory only while jose would still accept it: same exp/nbf/tolerance arithmetic, same keys (a JWKS
// refetch that drops a key refuses its tokens), the whole token as the key (a tampered one is verified).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_TIERS } from "@guidegate/shared";
import { Hono } from "hono";
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTVerifyGetKey, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import type { AppEnv } from "../../../edge/src/auth/caller.ts";
import { createJwksKeySource, createSecretKeySource, type KeySource } from "../../../edge/src/auth/key-source.ts";
import { tenantAuth } from "../../../edge/src/auth/middleware.ts";
import { TokenCache, validityMs } from "../../../edge/src/auth/token-cache.ts";
import { onError } from "../../../edge/src/errors.ts";
import { NOW, SECRET } from "./support.ts";

const ISS = "guidegate-dev";
const AUD = "guidegate-api";
const TOLERANCE_S = 5;
const enc = (s: string) => new TextEncoder().encode(s);

function claims(sub: string, expSec: number, nbfSec?: number): SignJWT {
  const jwt = new SignJWT({ tier: "pro" }).setSubject(sub).setIssuer(ISS).setAudience(AUD).setExpirationTime(expSec);
  return nbfSec === undefined ? jwt : jwt.setNotBefore(nbfSec);
}
const hs = (sub: string, expSec: number, nbfSec?: number) =>
  claims(sub, expSec, nbfSec).setProtectedHeader({ alg: "HS256" }).sign(enc(SECRET));

/** A key source that counts its signature checks. */
function counted(source: KeySource): KeySource & { checks: () => number } {
  let n = 0;
  const inner = source.key as JWTVerifyGetKey;
  const key: JWTVerifyGetKey = (h, t) => {
    n++;
    return inner(h, t);
  };
  return { ...source, key, checks: () => n };
}

/** A tiny app behind tenantAuth that names the caller; its clock is `clock.t`. */
function authApp(keys: KeySource[], tokenCacheEntries?: number) {
  const clock = { t: NOW, now: () => clock.t };
  const app = new Hono<AppEnv>();
  app.onError(onError);
  app.use(
    tenantAuth({
      keys,
      issuer: ISS,
      audience: AUD,
      tiers: DEFAULT_TIERS,
      clock,
      clockToleranceSec: TOLERANCE_S,
      tokenCacheEntries,
    }),
  );
  app.get("/", (c) => c.text(c.get("caller").tenant));
  const call = async (token: string) => {
    const res = await app.request("/", { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: await res.text() };
  };
  return { clock, call };
}

let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
let rsaJwk: JWK;
beforeAll(async () => {
  rsa = await generateKeyPair("RS256", { extractable: true });
  rsaJwk = { ...(await exportJWK(rsa.publicKey)), kid: "a", alg: "RS256", use: "sig" };
});
const localJwks = (keys: JWK[]): KeySource => ({
  kind: "jwks",
  algorithms: ["RS256"],
  key: createLocalJWKSet({ keys }),
  keySetVersion: () => 0,
});
const rs = (sub: string, kid: string, expSec = NOW / 1000 + 600) =>
  claims(sub, expSec).setProtectedHeader({ alg: "RS256", kid }).sign(rsa.privateKey);

describe("verified-token cache", () => {
  it("verifies a token once, then serves it from the cache", async () => {
    const source = counted(localJwks([rsaJwk]));
    const t = authApp([source]);
    const token = await rs("alice", "a");
    for (let i = 0; i < 5; i++) expect(await t.call(token)).toEqual({ status: 200, body: "alice" });
    expect(source.checks()).toBe(1);
  });

  it("requests presenting a token while it is checked share the check and go on in arrival order", async () => {
    let release: () => void = () => {};
    const slowFirst = new Promise<void>((r) => (release = r));
    const inner = localJwks([rsaJwk]);
    let checks = 0;
    const source: KeySource = {
      ...inner,
      key: async (h, t) => {
        if (checks++ === 0) await slowFirst; // the first check is slow, as a cold JWKS fetch is
        return (inner.key as JWTVerifyGetKey)(h, t);
      },
    };
    const t = authApp([source]);
    const token = await rs("alice", "a");
    const order: string[] = [];
    const first = t.call(token).then((r) => order.push(`first ${r.status}`));
    await new Promise((r) => setImmediate(r));
    const second = t.call(token).then((r) => order.push(`second ${r.status}`));
    await new Promise((r) => setImmediate(r));
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(["first 200", "second 200"]);
    expect(checks).toBe(1);
  });

  it("keeps different tokens apart: each is verified and names its own tenant", async () => {
    const source = counted(localJwks([rsaJwk]));
    const t = authApp([source]);
    const [a, b] = [await rs("alice", "a"), await rs("bob", "a")];
    expect((await t.call(a)).body).toBe("alice");
    expect((await t.call(b)).body).toBe("bob");
    expect((await t.call(a)).body).toBe("alice");
    expect(source.checks()).toBe(2);
  });

  it("does not serve a tampered token from the cache", async () => {
    const t = authApp([createSecretKeySource(SECRET)]);
    const token = await hs("alice", NOW / 1000 + 600);
    expect((await t.call(token)).status).toBe(200);
    const [h, p, sig] = token.split(".") as [string, string, string];
    const flipped = `${sig.slice(0, 5)}${sig[5] === "A" ? "B" : "A"}${sig.slice(6)}`;
    expect((await t.call(`${h}.${p}.${flipped}`)).status).toBe(401);
    // Another payload under the genuine signature (a different tenant) is refused too.
    const other = Buffer.from(
      JSON.stringify({ tier: "pro", sub: "mallory", iss: ISS, aud: AUD, exp: NOW / 1000 + 600 }),
    ).toString("base64url");
    expect((await t.call(`${h}.${other}.${sig}`)).status).toBe(401);
    expect((await t.call(token)).status).toBe(200);
  });

  it("refuses a cached token exactly when jose does: exp and nbf with the clock tolerance", async () => {
    const cached = authApp([createSecretKeySource(SECRET)]);
    const uncached = authApp([createSecretKeySource(SECRET)], 0);
    const exp = NOW / 1000 + 10;
    const token = await hs("alice", exp, NOW / 1000 + 2);
    // Readings around nbf − tolerance and exp + tolerance, in both directions (a clock may step back).
    const offsetsMs = [0, 2_000, -2_999, -3_000, -3_001, 14_000, 14_999, 15_000, 15_001, 4_000, -3_001, 60_000, 0];
    for (const dt of offsetsMs) {
      cached.clock.t = NOW + dt;
      uncached.clock.t = NOW + dt;
      expect((await cached.call(token)).status, `at ${dt} ms`).toBe((await uncached.call(token)).status);
    }
    cached.clock.t = NOW + 15_000;
    expect((await cached.call(token)).status).toBe(401);
  });

  it("refuses a cached token whose iat is ahead of a clock that stepped back, as a full check does", async () => {
    const cached = authApp([createSecretKeySource(SECRET)]);
    const uncached = authApp([createSecretKeySource(SECRET)], 0);
    const token = await claims("alice", NOW / 1000 + 600)
      .setIssuedAt(NOW / 1000 + 1)
      .setProtectedHeader({ alg: "HS256" })
      .sign(enc(SECRET));
    for (const dt of [0, 1_000, -3_999, -4_000, -4_001, 0]) {
      cached.clock.t = NOW + dt;
      uncached.clock.t = NOW + dt;
      expect((await cached.call(token)).status, `at ${dt} ms`).toBe((await uncached.call(token)).status);
    }
    cached.clock.t = NOW - 4_001;
    expect((await cached.call(token)).status).toBe(401);
  });

  it("a JWKS refetch that drops a key refuses its cached tokens; until then jose keeps the key too", async () => {
    let keys: JWK[] = [rsaJwk];
    const server: Server = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
      const source = createJwksKeySource(url, { cacheMaxAgeMs: 200, cooldownMs: 0 });
      const t = authApp([source]);
      const token = await rs("alice", "a", Math.floor(Date.now() / 1000) + 600);
      t.clock.t = Date.now();
      expect((await t.call(token)).status).toBe(200); // first fetch: nothing cached while it ran
      expect((await t.call(token)).status).toBe(200); // cached now, under this fetch's version
      keys = [{ ...rsaJwk, kid: "b" }]; // the key is revoked at the source
      expect((await t.call(token)).status).toBe(200); // jose's own cache still holds it for 200 ms
      await new Promise((r) => setTimeout(r, 250));
      expect((await t.call(token)).status).toBe(401); // stale: verified again, after the refetch
      expect((await t.call(await rs("bob", "b", Math.floor(Date.now() / 1000) + 600))).body).toBe("bob");
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("is bounded: the oldest entry goes first, and nothing is kept for keys that were changing", () => {
    const cache = new TokenCache(2);
    const source = localJwks([]);
    let version: number | null = 0;
    const moving: KeySource = { ...source, keySetVersion: () => version };
    const caller = (tenant: string) => ({ tenant, tierName: "pro", tier: DEFAULT_TIERS.pro! });
    const always: [number, number] = [0, Number.POSITIVE_INFINITY];
    for (const t of ["t1", "t2", "t3"]) cache.set(t, caller(t), source, 0, always);
    expect(cache.size).toBe(2);
    expect(cache.get("t1", NOW)).toBeNull();
    expect(cache.get("t3", NOW)?.tenant).toBe("t3");
    cache.set("t4", caller("t4"), moving, null, always);
    expect(cache.get("t4", NOW)).toBeNull();
    cache.set("t5", caller("t5"), moving, 0, always);
    version = 1; // the keys changed since
    expect(cache.get("t5", NOW)).toBeNull();
  });

  it("computes jose's validity window for fractional claims", () => {
    expect(validityMs(100, undefined, undefined, 5)).toEqual([Number.NEGATIVE_INFINITY, 105_000]);
    expect(validityMs(100.5, 50.5, undefined, 5)).toEqual([46_000, 106_000]);
    expect(validityMs(100, 50, 60.5, 5)).toEqual([55_500, 105_000]); // a later iat bounds it instead
  });
});
