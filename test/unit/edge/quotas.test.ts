// Per-tenant quotas (issue #17): an override, from GG_TENANT_QUOTAS_JSON or the store, replaces the tenant's tier
// quota at reserve time and in /v1/usage; tenants without one keep their tier's.
import type { JobEvent } from "@guidegate/shared";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../edge/src/config.ts";
import { createMemoryQuotaStore } from "../../../edge/src/quotas/memory.ts";
import type { Dispatch } from "../../../edge/src/pool/types.ts";
import { envelopeOf, recordingPool, type TestApp, testApp } from "./support.ts";

/** A worker that completes every job at once, spending its whole cap. */
const completingPool = () =>
  recordingPool(
    async (job): Promise<Dispatch> => ({
      worker: "http://w1",
      close() {},
      events: (async function* (): AsyncGenerator<JobEvent> {
        const image = { url: "https://s3/x.png", width: 32, height: 32 };
        yield { event: "completed", images: [image], seed: job.seed, usage: { nfe: job.max_nfe, cost_micro_usd: 0 } };
      })(),
    }),
  );

/** A 10-step CFG generation: 20 NFEs reserved and spent. */
const generate = (t: TestApp, sub = "alice", tier = "pro") =>
  t.post("/v1/images/generations", { prompt: "x", steps: 10, guidance: { policy: "cfg" } }, { sub, tier });

const usageOf = async (t: TestApp, sub = "alice", tier = "pro") =>
  (await (await t.get("/v1/usage", { sub, tier })).json()) as { quota_nfe: number; remaining_nfe: number };

describe("per-tenant quotas", () => {
  it("a seeded override replaces the tier's quota for that tenant alone", async () => {
    const t = testApp({ pool: completingPool(), config: { tenantQuotas: { alice: 30 } } });
    const tierQuota = t.config.tiers.pro!.monthly_quota_nfe;
    expect((await generate(t)).status).toBe(200);
    expect(await usageOf(t)).toMatchObject({ quota_nfe: 30, remaining_nfe: 10 });
    const refused = await generate(t); // 20 more do not fit in 30
    expect(refused.status).toBe(402);
    expect((await envelopeOf(refused)).message).toContain("only 10 remain");
    expect((await generate(t, "bob")).status).toBe(200); // bob keeps the tier's quota
    expect(await usageOf(t, "bob")).toMatchObject({ quota_nfe: tierQuota, remaining_nfe: tierQuota - 20 });
  });

  it("a stored override wins over the seed, is read at each reserve, and clearing it falls back", async () => {
    const quotas = createMemoryQuotaStore();
    const t = testApp({ pool: completingPool(), quotas, config: { tenantQuotas: { alice: 30 } } });
    await quotas.set("alice", 1_000);
    expect((await generate(t)).status).toBe(200);
    expect((await generate(t)).status).toBe(200); // 40 used: past the seed, within the stored override
    expect(await usageOf(t)).toMatchObject({ quota_nfe: 1_000, remaining_nfe: 960 });
    await quotas.set("alice", null);
    expect(await usageOf(t)).toMatchObject({ quota_nfe: 30, remaining_nfe: 0 });
    expect((await generate(t)).status).toBe(402);
    await quotas.set("carol", 0); // a tenant can be stopped outright, whatever its tier
    expect((await generate(t, "carol")).status).toBe(402);
    expect(await usageOf(t, "carol")).toMatchObject({ quota_nfe: 0 });
  });

  it("reads GG_TENANT_QUOTAS_JSON, and refuses a malformed one at start-up", () => {
    expect(loadConfig({}).tenantQuotas).toEqual({});
    expect(loadConfig({ GG_TENANT_QUOTAS_JSON: '{"alice": 500000, "bob": 0}' }).tenantQuotas).toEqual({
      alice: 500_000,
      bob: 0,
    });
    for (const bad of ['{"alice": -1}', '{"alice": 1.5}', '{"alice": "many"}', '["alice"]', "{alice: 1}"]) {
      expect(() => loadConfig({ GG_TENANT_QUOTAS_JSON: bad }), bad).toThrow();
    }
  });
});
