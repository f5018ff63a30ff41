// GET /v1/usage reports what was billed: each job at the price of the tier it was reserved under, whatever
// the tier of the token that reads the usage (issue #14: one eco job among pro jobs).
import { guidanceName, type JobEvent } from "@guidegate/shared";
import type { Dispatch } from "../../../edge/src/pool/types.ts";
import { describe, expect, it, vi } from "vitest";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import { recordingPool, testApp } from "./support.ts";

const PATH = "/v1/images/generations";

/** A worker that completes every job at once, spending its whole cap (max_nfe). */
const completingPool = () =>
  recordingPool(
    async (job): Promise<Dispatch> => ({
      worker: "http://w1",
      close() {},
      events: (async function* (): AsyncGenerator<JobEvent> {
        yield { event: "started", policy: guidanceName(job.guidance), steps: job.steps, seed: job.seed, max_nfe: job.max_nfe };
        yield {
          event: "completed",
          images: [{ url: "https://s3/x.png", width: 32, height: 32 }],
          seed: job.seed,
          usage: { nfe: job.max_nfe, cost_micro_usd: 0 },
        };
      })(),
    }),
  );

describe("GET /v1/usage", () => {
  it("sums each job at its own tier's price, read with a pro or an eco token alike", async () => {
    const t = testApp({ pool: completingPool() });
    const billed: number[] = [];
    // eco: 28 unguided steps = 28 NFE at 40 µUSD.
    const eco = await t.post(PATH, { prompt: "x", steps: 28, guidance: { policy: "none" } }, { tier: "eco" });
    expect(eco.status).toBe(200);
    billed.push(((await eco.json()) as { usage: { cost_micro_usd: number } }).usage.cost_micro_usd);
    // pro: three CFG jobs of 109 steps = 3 × 218 NFE at 50 µUSD, one of them through the jobs API.
    for (let i = 0; i < 2; i++) {
      const pro = await t.post(PATH, { prompt: "x", steps: 109, guidance: { policy: "cfg" } }, { tier: "pro" });
      expect(pro.status).toBe(200);
      billed.push(((await pro.json()) as { usage: { cost_micro_usd: number } }).usage.cost_micro_usd);
    }
    const job = await t.post("/v1/jobs", { prompt: "x", steps: 109, guidance: { policy: "cfg" } }, { tier: "pro" });
    expect(job.status).toBe(202);
    const { id } = (await job.json()) as { id: string };
    type View = { status: string; usage: { nfe: number; cost_micro_usd: number } };
    let view: View = { status: "queued", usage: { nfe: 0, cost_micro_usd: 0 } };
    for (let i = 0; i < 100 && view.status !== "completed"; i++) {
      await new Promise((r) => setTimeout(r, 5));
      view = (await (await t.get(`/v1/jobs/${id}`, { tier: "pro" })).json()) as View;
    }
    expect(view.usage).toEqual({ nfe: 218, cost_micro_usd: 218 * 50 });
    billed.push(view.usage.cost_micro_usd);

    expect(billed).toEqual([28 * 40, 218 * 50, 218 * 50, 218 * 50]);
    const total = 28 * 40 + 3 * 218 * 50; // 33,820 µUSD billed
    for (const tier of ["pro", "eco"]) {
      const usage = await (await t.get("/v1/usage", { tier })).json();
      expect(usage, tier).toMatchObject({ used_nfe: 682, reserved_nfe: 0, cost_micro_usd: total });
    }
  });

  it("prices only NFEs settled before the ledger recorded prices at the reader's tier", async () => {
    const ledger = createMemoryLedger();
    // A SQLite file or Durable Object from before the price column: 100 NFEs billed at 50, 20 with no price kept.
    const period = { tenant: "alice", period: "2026-06", quota: 1, used: 120, reserved: 0, remaining: 0 };
    vi.spyOn(ledger, "usage").mockResolvedValue({ ...period, cost_micro_usd: 100 * 50, unpriced: 20, late_settled: 0 });
    const t = testApp({ ledger });
    const eco = await (await t.get("/v1/usage", { tier: "eco" })).json();
    expect(eco).toMatchObject({ used_nfe: 120, price_micro_usd_per_nfe: 40, cost_micro_usd: 100 * 50 + 20 * 40 });
  });
});
