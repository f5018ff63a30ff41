// GET /v1/usage and /v1/usage/export.csv: what the caller's jobs were billed in a month, broken down by day and by
// policy, and every settled job of that month as CSV, so finance can reconcile the one against the other.
import { type Context, Hono } from "hono";
// The browser build: the Node one reads a Buffer global at load, which workerd lacks (no nodejs_compat).
import { stringify } from "csv-stringify/browser/esm/sync";
import { USAGE_CSV_COLUMNS, UsageQuerySchema, type UsageReportBody } from "@guidegate/shared";
import type { AppEnv } from "../auth/caller.ts";
import {
  type Ledger,
  periodOf,
  type Reservation,
  SETTLED_PAGE_MAX,
  type UsageBucket,
  type UsageReport,
} from "../ledger/types.ts";
import type { RouteDeps } from "./context.ts";

export function usageRoutes(deps: RouteDeps) {
  const app = new Hono<AppEnv>();

  app.get("/v1/usage", async (c) => {
    const { tenant, tierName, tier } = c.get("caller");
    const now = deps.clock.now();
    const report = await deps.ledger.report(tenant, tier.monthly_quota_nfe, now, periodParam(c, now));
    return c.json(usageBody(report, tierName, tier.price_micro_usd_per_nfe));
  });

  app.get("/v1/usage/export.csv", async (c) => {
    const { tenant, tier } = c.get("caller");
    const period = periodParam(c, deps.clock.now());
    // Read before answering, so a ledger that fails is a 500 envelope rather than a 200 cut short.
    const first = await deps.ledger.settledJobs(tenant, period, null, SETTLED_PAGE_MAX);
    const csv = csvLines(settledPages(deps.ledger, tenant, period, first), tier.price_micro_usd_per_nfe);
    return new Response(textStream(csv), {
      headers: {
        "content-type": "text/csv; charset=utf-8; header=present",
        "content-disposition": `attachment; filename="usage-${period}.csv"`,
      },
    });
  });

  return app;
}

/** `?period=`, checked (a 400 naming `period`, or any other key given), or the current month. */
function periodParam(c: Context<AppEnv>, now: number): string {
  return UsageQuerySchema.parse(c.req.query()).period ?? periodOf(now);
}

/** What a group of settled jobs was billed, each at the price recorded when it was reserved. NFEs settled before
 * the ledger recorded prices have none to go by; the caller's tier price is the best estimate left for them. */
export function billedCost(u: Pick<UsageBucket, "cost_micro_usd" | "unpriced">, tierPriceMicroUsdPerNfe: number) {
  return u.cost_micro_usd + u.unpriced * tierPriceMicroUsdPerNfe;
}

export function usageBody(r: UsageReport, tierName: string, tierPrice: number): UsageReportBody {
  const bucket = (b: UsageBucket) => ({ used_nfe: b.used, cost_micro_usd: billedCost(b, tierPrice), jobs: b.jobs });
  return {
    object: "usage",
    tenant: r.tenant,
    tier: tierName,
    period: r.period,
    quota_nfe: r.quota,
    used_nfe: r.used,
    reserved_nfe: r.reserved,
    remaining_nfe: r.remaining,
    price_micro_usd_per_nfe: tierPrice, // what a job reserved now would cost
    cost_micro_usd: billedCost(r, tierPrice),
    late_settled_nfe: r.late_settled,
    by_day: r.by_day.map(({ day, ...b }) => ({ day, ...bucket(b) })),
    by_policy: r.by_policy.map(({ policy, ...b }) => ({ policy, ...bucket(b) })),
  };
}

/** The period's settled jobs a page at a time from its `first` page, so a large month is never held whole. */
async function* settledPages(
  ledger: Ledger,
  tenant: string,
  period: string,
  first: Reservation[],
): AsyncGenerator<Reservation[]> {
  for (let page = first; page.length > 0; ) {
    yield page;
    if (page.length < SETTLED_PAGE_MAX) return;
    page = await ledger.settledJobs(tenant, period, page.at(-1)!, SETTLED_PAGE_MAX);
  }
}

const iso = (ms: number | null): string => (ms === null ? "" : new Date(ms).toISOString());

/** One CSV record in USAGE_CSV_COLUMNS order; its cost is what /v1/usage counts for it (billedCost). */
function csvRecord(r: Reservation, tierPrice: number): string[] {
  const nfe = r.spent ?? 0;
  const price = r.price_micro_usd_per_nfe ?? tierPrice;
  const late = r.expired_at !== null;
  const row = [
    r.job_id,
    iso(r.settled_at),
    r.tier ?? "",
    r.policy ?? "",
    nfe,
    price,
    nfe * price,
    iso(r.created_at),
    late,
  ];
  return row.map(String);
}

/** RFC 4180 text (CRLF, quoted where needed, by csv-stringify): the header, then a chunk per page. */
async function* csvLines(pages: AsyncIterable<Reservation[]>, tierPrice: number): AsyncGenerator<string> {
  const options = { record_delimiter: "windows" } as const;
  yield stringify([[...USAGE_CSV_COLUMNS]], options);
  for await (const page of pages)
    yield stringify(
      page.map((r) => csvRecord(r, tierPrice)),
      options,
    );
}

/** A byte stream pulled from `chunks`: the next page is read only when the client has taken the last. */
function textStream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
