// The admin API through the whole app: only GG_ADMIN_TOKEN opens it (every admin route, enumerated from the app,
// refuses a tenant's JWT and API key with 403), API keys authenticate as their tenant and tier until revoked (the
// very next request fails), tier and quota overrides apply to the next request, and each action is audited.
import { describe, expect, it } from "vitest";
import { LAST_USED_EVERY_MS } from "../../../edge/src/apikeys/types.ts";
import { createMemoryKeyStore } from "../../../edge/src/apikeys/memory.ts";
import { envelopeOf, testApp, type TestApp } from "./support.ts";

const ADMIN = "admin-token-for-tests-0123456789abcdef";
const adminHeaders = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

function admin(
  t: TestApp,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = adminHeaders,
) {
  return t.app.request(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function createKey(t: TestApp, tenant: string, body: unknown = { tier: "pro" }) {
  const res = await admin(t, "POST", `/v1/admin/tenants/${tenant}/keys`, body);
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string; tier: string; prefix: string; last_used_at: string | null };
}

const withKey = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

describe("admin API", () => {
  it("every admin route refuses a tenant JWT and an API key with 403, and no credential with 401", async () => {
    const t = testApp({ config: { adminToken: ADMIN } });
    const { key } = await createKey(t, "alice");
    const routes = t.app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/admin"));
    expect(routes.length).toBeGreaterThanOrEqual(8);
    const jwt = `Bearer ${await t.token({ sub: "alice", tier: "pro" })}`;
    for (const r of routes) {
      const path = r.path.replace(":tenant", "alice").replace(":id", "key_x");
      for (const authorization of [jwt, `Bearer ${key}`, `Bearer ${ADMIN}x`]) {
        const res = await admin(t, r.method, path, r.method === "GET" ? undefined : {}, { authorization });
        expect(res.status, `${r.method} ${r.path}`).toBe(403);
        expect((await envelopeOf(res)).type).toBe("permission_error");
      }
      expect((await admin(t, r.method, path, undefined, {})).status, `${r.method} ${r.path}`).toBe(401);
    }
  });

  it("documents every admin route in /openapi.json under the admin bearer", async () => {
    const t = testApp({ config: { adminToken: ADMIN } });
    const doc = (await (await t.app.request("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { security?: unknown }>>;
    };
    const routes = t.app.routes.filter((r) => r.method !== "ALL" && r.path.startsWith("/v1/admin"));
    for (const r of routes) {
      const documented = doc.paths[r.path.replace(/:(\w+)/g, "{$1}")]?.[r.method.toLowerCase()];
      expect(documented, `${r.method} ${r.path}`).toBeDefined();
      expect(documented!.security).toEqual([{ admin: [] }]);
    }
  });

  it("without GG_ADMIN_TOKEN the admin API refuses everyone", async () => {
    const t = testApp();
    const res = await admin(t, "GET", "/v1/admin/audit");
    expect(res.status).toBe(403);
    expect((await envelopeOf(res)).code).toBe("admin_disabled");
  });

  it("an API key serves its tenant and tier, is listed without its secret, and stops on the request after revoke", async () => {
    const t = testApp({ config: { adminToken: ADMIN } });
    const created = await createKey(t, "alice", { tier: "eco", name: "ci" });
    expect(created.key).toMatch(/^gg_live_[0-9a-f]{16}[A-Za-z0-9_-]{43}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const usage = await t.get("/v1/usage", withKey(created.key));
    expect(usage.status).toBe(200);
    expect(await usage.json()).toMatchObject({ tenant: "alice", tier: "eco" });

    const listed = await (await admin(t, "GET", "/v1/admin/tenants/alice/keys")).text();
    expect(listed).toContain(created.id);
    expect(listed).not.toContain(created.key.slice(created.prefix.length));

    const revoked = await admin(t, "DELETE", `/v1/admin/tenants/alice/keys/${created.id}`);
    expect(revoked.status).toBe(200);
    const after = await t.get("/v1/usage", withKey(created.key));
    expect(after.status).toBe(401);
    expect((await envelopeOf(after)).code).toBe("api_key_revoked");
    expect((await admin(t, "DELETE", `/v1/admin/tenants/bob/keys/${created.id}`)).status).toBe(404);
  });

  it("refuses unknown, expired and malformed keys with 401, and bad bodies with a 400 naming the field", async () => {
    const t = testApp({ config: { adminToken: ADMIN } });
    const expiring = await createKey(t, "alice", { tier: "pro", expires_at: new Date(t.clock.t + 1000).toISOString() });
    expect((await t.get("/v1/usage", withKey(expiring.key))).status).toBe(200);
    t.clock.t += 1000;
    expect((await envelopeOf(await t.get("/v1/usage", withKey(expiring.key)))).code).toBe("api_key_expired");
    const bogus = `gg_live_${"0".repeat(16)}${"A".repeat(43)}`;
    expect((await envelopeOf(await t.get("/v1/usage", withKey(bogus)))).code).toBe("invalid_api_key");
    for (const [body, param] of [
      [{ tier: "platinum" }, "tier"],
      [{ tier: "pro", colour: "red" }, "colour"],
      [{ tier: "pro", expires_at: "tomorrow" }, "expires_at"],
    ] as const) {
      const res = await admin(t, "POST", "/v1/admin/tenants/alice/keys", body);
      expect(res.status).toBe(400);
      expect((await envelopeOf(res)).param).toBe(param);
    }
  });

  it("writes last_used_at at most once a minute per key", async () => {
    const apiKeys = createMemoryKeyStore();
    let touches = 0;
    const counted = {
      ...apiKeys,
      touch: async (...a: Parameters<typeof apiKeys.touch>) => {
        touches++;
        return apiKeys.touch(...a);
      },
    };
    const t = testApp({ config: { adminToken: ADMIN }, apiKeys: counted });
    const { key } = await createKey(t, "alice");
    for (let i = 0; i < 20; i++) expect((await t.get("/v1/usage", withKey(key))).status).toBe(200);
    expect(touches).toBe(1);
    t.clock.t += LAST_USED_EVERY_MS;
    await t.get("/v1/usage", withKey(key));
    expect(touches).toBe(2);
  });

  it("a tier override and a quota override apply to the tenant's next request", async () => {
    const t = testApp({ config: { adminToken: ADMIN } });
    expect(await (await t.get("/v1/usage", { tier: "pro" })).json()).toMatchObject({ tier: "pro" });
    expect((await admin(t, "PUT", "/v1/admin/tenants/alice/tier", { tier: "eco" })).status).toBe(200);
    expect((await admin(t, "PUT", "/v1/admin/tenants/alice/quota", { monthly_quota_nfe: 1234 })).status).toBe(200);
    expect(await (await t.get("/v1/usage", { tier: "pro" })).json()).toMatchObject({ tier: "eco", quota_nfe: 1234 });
    const tenantUsage = await (await admin(t, "GET", "/v1/admin/tenants/alice/usage")).json();
    expect(tenantUsage).toMatchObject({ tenant: "alice", tier: "eco", quota_nfe: 1234 });
    const fleet = (await (await admin(t, "GET", "/v1/admin/usage?tenant=zed")).json()) as {
      tenants: { tenant: string }[];
    };
    expect(fleet.tenants.map((r) => r.tenant)).toEqual(["alice", "zed"]);
    expect((await admin(t, "PUT", "/v1/admin/tenants/alice/tier", { tier: null })).status).toBe(200);
    expect(await (await t.get("/v1/usage", { tier: "pro" })).json()).toMatchObject({ tier: "pro" });
  });

  it("appends every admin action to the audit log with who, what, target, when and the request id", async () => {
    const t = testApp({ config: { adminToken: ADMIN } });
    const created = await createKey(t, "alice");
    await admin(t, "DELETE", `/v1/admin/tenants/alice/keys/${created.id}`, undefined, {
      ...adminHeaders,
      "x-request-id": "ops-revoke-1",
    });
    await admin(t, "PUT", "/v1/admin/tenants/alice/tier", { tier: "eco" });
    const res = await admin(t, "GET", "/v1/admin/audit");
    const { data } = (await res.json()) as { data: Record<string, unknown>[] };
    expect(data.map((e) => e.action)).toEqual(["api_key.create", "api_key.revoke", "tenant.tier"]);
    expect(data[1]).toMatchObject({
      actor: "admin",
      tenant: "alice",
      target: created.id,
      request_id: "ops-revoke-1",
      at: new Date(t.clock.t).toISOString(),
    });
    expect(JSON.stringify(data)).not.toContain(created.key);
    const next = (await (await admin(t, "GET", `/v1/admin/audit?after=${data[2]!.seq}`)).json()) as { data: unknown[] };
    expect(next.data).toHaveLength(1); // the audit read just before is itself audited
  });
});
