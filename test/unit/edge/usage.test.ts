// GET /v1/usage reports what was billed: each job at the price of the tier it was reserved under, whatever
// the tier of the token that reads the usage (issue #14: one eco job among pro jobs). Issue #17: any month, broken
// down by day and by policy; its CSV export, whose cost column sums to the report's; a settle after the lease.
import { guidanceName, type JobEvent, USAGE_CSV_COLUMNS } from "@guidegate/shared";
import { parse } from "csv-parse/sync";
import type { Dispatch } from "../../../edge/src/pool/types.ts";
import { describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../../edge/src/config.ts";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { RESERVATION_LEASE_MS } from "../../../edge/src/ledger/lease.ts";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import { SETTLED_PAGE_MAX } from "../../../edge/src/ledger/types.ts";
import { at } from "../ledger/terms.ts";
import { envelopeOf, NOW, recordingPool, type TestApp, testApp } from "./support.ts";

const PATH = "/v1/images/generations";

/** A worker that completes every job at once, spending its whole cap (max_nfe). */
const completingPool = () =>
  recordingPool(
    async (job): Promise<Dispatch> => ({
      worker: "http://w1",
      close() {},
      events: (async function* (): AsyncGenerator<JobEvent> {
        yield {
          event: "started",
          policy: guidanceName(job.guidance),
          steps: job.steps,
          seed: job.seed,
          max_nfe: job.max_nfe,
        };
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
      expect(usage, tier).toMatchObject({
        period: "2026-06",
        used_nfe: 682,
        reserved_nfe: 0,
        cost_micro_usd: total,
        late_settled_nfe: 0,
        // Each job's tier price and policy were recorded when it was reserved, whoever reads it.
        by_day: [{ day: "2026-06-15", used_nfe: 682, cost_micro_usd: total, jobs: 4 }],
        by_policy: [
          { policy: "cfg", used_nfe: 654, cost_micro_usd: 3 * 218 * 50, jobs: 3 },
          { policy: "none", used_nfe: 28, cost_micro_usd: 28 * 40, jobs: 1 },
        ],
      });
    }
  });

  it("prices only NFEs settled before the ledger recorded prices at the reader's tier", async () => {
    const ledger = createMemoryLedger();
    // A SQLite file or Durable Object from before the price column: 100 NFEs billed at 50, 20 with no price kept.
    const period = { tenant: "alice", period: "2026-06", quota: 1, used: 120, reserved: 0, remaining: 0 };
    const totals = { cost_micro_usd: 100 * 50, unpriced: 20 };
    const old = { used: 20, cost_micro_usd: 0, unpriced: 20, jobs: 1 };
    const priced = { used: 100, cost_micro_usd: 100 * 50, unpriced: 0, jobs: 2 };
    vi.spyOn(ledger, "report").mockResolvedValue({
      ...period,
      ...totals,
      late_settled: 0,
      by_day: [{ day: "2026-06-01", used: 120, ...totals, jobs: 3 }],
      by_policy: [
        { policy: null, ...old },
        { policy: "cfg", ...priced },
      ],
    });
    const t = testApp({ ledger });
    const eco = await (await t.get("/v1/usage", { tier: "eco" })).json();
    expect(eco).toMatchObject({
      used_nfe: 120,
      price_micro_usd_per_nfe: 40,
      cost_micro_usd: 100 * 50 + 20 * 40,
      by_day: [{ day: "2026-06-01", used_nfe: 120, cost_micro_usd: 100 * 50 + 20 * 40, jobs: 3 }],
      by_policy: [
        { policy: null, used_nfe: 20, cost_micro_usd: 20 * 40, jobs: 1 },
        { policy: "cfg", used_nfe: 100, cost_micro_usd: 100 * 50, jobs: 2 },
      ],
    });
  });
});

type UsageBody = {
  period: string;
  used_nfe: number;
  cost_micro_usd: number;
  late_settled_nfe: number;
  by_day: { day: string; used_nfe: number; cost_micro_usd: number; jobs: number }[];
  by_policy: { policy: string | null; used_nfe: number; cost_micro_usd: number; jobs: number }[];
};
type CsvRow = Record<(typeof USAGE_CSV_COLUMNS)[number], string>;

/** Runs one job through POST /v1/jobs to its end, and returns its id. */
async function runJob(t: TestApp, body: Record<string, unknown>, tier = "pro"): Promise<string> {
  const res = await t.post("/v1/jobs", { prompt: "x", ...body }, { tier });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await until(async () => ((await (await t.get(`/v1/jobs/${id}`, { tier })).json()) as Job).status === "completed");
  return id;
}

type Job = { status: string; usage: { nfe: number } };

async function until(ok: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("timed out");
}

async function exportCsv(t: TestApp, query = ""): Promise<{ res: Response; rows: CsvRow[]; header: string[] }> {
  const res = await t.get(`/v1/usage/export.csv${query}`);
  const text = await res.text();
  const [header, ...records] = parse(text, { record_delimiter: "\r\n" }) as string[][];
  const rows = records.map((r) => Object.fromEntries(header!.map((k, i) => [k, r[i]!])) as CsvRow);
  return { res, rows, header: header ?? [] };
}

const sumOf = (rows: CsvRow[], k: keyof CsvRow) => rows.reduce((n, r) => n + Number(r[k]), 0);

describe("GET /v1/usage?period=", () => {
  it("reports any month, the current one by default, with breakdowns that add up", async () => {
    const t = testApp({ pool: completingPool() });
    await runJob(t, { steps: 10, guidance: { policy: "cfg" } }); // June: 20 NFE at 50
    t.clock.t = Date.UTC(2026, 6, 2, 9); // July
    await runJob(t, { steps: 7, guidance: { policy: "none" } }, "eco"); // 7 NFE at 40
    await runJob(t, { steps: 5, guidance: { policy: "apg" } }); // 10 NFE at 50
    const july = (await (await t.get("/v1/usage")).json()) as UsageBody;
    expect(july).toMatchObject({ period: "2026-07", used_nfe: 17, cost_micro_usd: 7 * 40 + 10 * 50 });
    expect(await (await t.get("/v1/usage?period=2026-07")).json()).toEqual(july);
    expect(july.by_policy.map((b) => [b.policy, b.used_nfe, b.jobs])).toEqual([
      ["apg", 10, 1],
      ["none", 7, 1],
    ]);
    const june = (await (await t.get("/v1/usage?period=2026-06")).json()) as UsageBody;
    expect(june).toMatchObject({
      period: "2026-06",
      used_nfe: 20,
      cost_micro_usd: 1000,
      by_day: [{ day: "2026-06-15", used_nfe: 20, cost_micro_usd: 1000, jobs: 1 }],
    });
    for (const u of [june, july]) {
      for (const groups of [u.by_day, u.by_policy]) {
        expect(groups.reduce((n, g) => n + g.used_nfe, 0)).toBe(u.used_nfe);
        expect(groups.reduce((n, g) => n + g.cost_micro_usd, 0)).toBe(u.cost_micro_usd);
      }
    }
    expect(await (await t.get("/v1/usage?period=2020-01")).json()).toMatchObject({ used_nfe: 0, by_day: [] });
  });

  it("refuses a malformed period or an unknown key with a 400 naming it, on both endpoints", async () => {
    const t = testApp();
    for (const bad of ["2026-13", "2026-6", "june", "2026-06-01", "", "2026-00"]) {
      for (const path of ["/v1/usage", "/v1/usage/export.csv"]) {
        const res = await t.get(`${path}?period=${encodeURIComponent(bad)}`);
        expect(res.status, `${path} ${bad}`).toBe(400);
        expect(await envelopeOf(res)).toMatchObject({ type: "invalid_request_error", param: "period" });
      }
    }
    const misspelt = await t.get("/v1/usage?perod=2026-06");
    expect(misspelt.status).toBe(400);
    expect(await envelopeOf(misspelt)).toMatchObject({ code: "unknown_parameter", param: "perod" });
  });
});

describe("GET /v1/usage/export.csv", () => {
  it("lists the period's settled jobs, and its cost column sums to /v1/usage's cost", async () => {
    const t = testApp({ pool: completingPool() });
    const jobs = [
      await runJob(t, { steps: 10, guidance: { policy: "cfg" } }),
      await runJob(t, { steps: 28, guidance: { policy: "none" } }, "eco"),
      await runJob(t, { steps: 5, guidance: { policy: "apg" } }),
    ];
    t.clock.t = Date.UTC(2026, 6, 1); // a job of July is not June's
    await runJob(t, { steps: 4, guidance: { policy: "cfg" } });
    const { res, rows, header } = await exportCsv(t, "?period=2026-06");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/csv; charset=utf-8/);
    expect(res.headers.get("content-disposition")).toBe('attachment; filename="usage-2026-06.csv"');
    expect(header).toEqual([...USAGE_CSV_COLUMNS]);
    expect(rows.map((r) => r.job_id).sort()).toEqual([...jobs].sort());
    expect(rows.find((r) => r.job_id === jobs[1])).toEqual({
      job_id: jobs[1],
      settled_at: new Date(NOW).toISOString(),
      tier: "eco",
      policy: "none",
      nfe: "28",
      price_micro_usd_per_nfe: "40",
      cost_micro_usd: String(28 * 40),
      reserved_at: new Date(NOW).toISOString(),
      late_settled: "false",
    });
    const june = (await (await t.get("/v1/usage?period=2026-06")).json()) as UsageBody;
    expect(sumOf(rows, "cost_micro_usd")).toBe(june.cost_micro_usd);
    expect(sumOf(rows, "nfe")).toBe(june.used_nfe);
    const july = await exportCsv(t); // the current month by default
    expect(july.rows).toHaveLength(1);
    expect(sumOf(july.rows, "cost_micro_usd")).toBe(
      ((await (await t.get("/v1/usage")).json()) as UsageBody).cost_micro_usd,
    );
  });

  it("pages through a month of more jobs than one ledger read returns, and quotes odd fields", async () => {
    const ledger = createMemoryLedger();
    const t = testApp({ ledger });
    const count = SETTLED_PAGE_MAX * 2 + 3;
    for (let i = 0; i < count; i++) {
      const id = newJobId("alice");
      const policy = i === 7 ? 'odd,"policy"\nname' : "cfg"; // the ledger records any name; CSV must quote it
      await ledger.reserve("alice", id, 10, 10 * count, NOW + i, at(12.5 + (i % 3), policy));
      await ledger.settle(id, 1 + (i % 10), NOW + i);
    }
    const { rows } = await exportCsv(t);
    expect(rows).toHaveLength(count);
    expect(rows[7]!.policy).toBe('odd,"policy"\nname');
    expect(new Set(rows.map((r) => r.job_id)).size).toBe(count);
    const usage = (await (await t.get("/v1/usage")).json()) as UsageBody;
    expect(sumOf(rows, "cost_micro_usd")).toBe(usage.cost_micro_usd);
    expect(sumOf(rows, "nfe")).toBe(usage.used_nfe);
  });

  it("answers an empty month with the header alone", async () => {
    const { rows, header } = await exportCsv(testApp(), "?period=2026-01");
    expect(header).toEqual([...USAGE_CSV_COLUMNS]);
    expect(rows).toEqual([]);
  });
});

describe("a settle after the reservation's lease expired", () => {
  it("is billed once, counted in late_settled_nfe, and marked in the export", async () => {
    let finish = () => {};
    const ran = new Promise<void>((r) => {
      finish = r;
    });
    // A worker that runs until told to finish: longer than the reservation's lease.
    const pool = recordingPool(
      async (job): Promise<Dispatch> => ({
        worker: "http://w1",
        close() {},
        events: (async function* (): AsyncGenerator<JobEvent> {
          yield {
            event: "started",
            policy: guidanceName(job.guidance),
            steps: job.steps,
            seed: job.seed,
            max_nfe: job.max_nfe,
          };
          await ran;
          const image = { url: "https://s3/x.png", width: 32, height: 32 };
          yield { event: "completed", images: [image], seed: job.seed, usage: { nfe: job.max_nfe, cost_micro_usd: 0 } };
        })(),
      }),
    );
    const t = testApp({ pool });
    const res = await t.post("/v1/jobs", { prompt: "x", steps: 10, guidance: { policy: "cfg" } });
    const { id } = (await res.json()) as { id: string };
    t.clock.t += RESERVATION_LEASE_MS + 1;
    // The lease released the hold: the quota is free again, nothing is billed yet.
    expect(await (await t.get("/v1/usage")).json()).toMatchObject({ used_nfe: 0, reserved_nfe: 0 });
    finish();
    await until(async () => ((await (await t.get(`/v1/jobs/${id}`)).json()) as Job).status === "completed");
    const usage = (await (await t.get("/v1/usage")).json()) as UsageBody;
    expect(usage).toMatchObject({ used_nfe: 20, reserved_nfe: 0, cost_micro_usd: 20 * 50, late_settled_nfe: 20 });
    const { rows } = await exportCsv(t);
    expect(rows).toMatchObject([{ job_id: id, nfe: "20", late_settled: "true" }]);
  });
});

describe("GG_RESERVATION_LEASE_MS", () => {
  it("sets the lease, an hour by default, and refuses one that is not a positive integer", () => {
    expect(loadConfig({}).reservationLeaseMs).toBe(RESERVATION_LEASE_MS);
    expect(loadConfig({ GG_RESERVATION_LEASE_MS: "1" }).reservationLeaseMs).toBe(1);
    for (const bad of ["0", "1.5", "-5", "soon"]) expect(() => loadConfig({ GG_RESERVATION_LEASE_MS: bad })).toThrow();
  });
});

describe("the usage endpoints in /openapi.json", () => {
  it("document the period query, the breakdowns and the CSV export", async () => {
    type Doc = {
      paths: Record<string, { get: { parameters: { name: string }[]; responses: Record<string, unknown> } }>;
      components: { schemas: { UsageResponse: { properties: Record<string, unknown> } } };
    };
    const doc = (await (await testApp().app.request("/openapi.json")).json()) as Doc;
    for (const path of ["/v1/usage", "/v1/usage/export.csv"]) {
      expect(doc.paths[path]!.get.parameters.map((p) => p.name)).toEqual(["period"]);
      expect(doc.paths[path]!.get.responses).toHaveProperty("400");
    }
    expect(doc.paths["/v1/usage/export.csv"]!.get.responses["200"]).toMatchObject({ content: { "text/csv": {} } });
    expect(Object.keys(doc.components.schemas.UsageResponse.properties)).toEqual(
      expect.arrayContaining(["late_settled_nfe", "by_day", "by_policy", "cost_micro_usd"]),
    );
  });
});
