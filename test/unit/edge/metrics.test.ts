// The edge's metrics on their own: the ledger wrapper counts reservations and settled NFEs (clamped as the ledger
// clamps them, under the tier recorded at reserve time), and the request middleware labels by route pattern.
import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { newJobId } from "../../../edge/src/ledger/ids.ts";
import { createMemoryLedger } from "../../../edge/src/ledger/memory.ts";
import { withLedgerMetrics } from "../../../edge/src/metrics/ledger.ts";
import { createPrometheusMetrics } from "../../../edge/src/metrics/prometheus.ts";
import { requestMetrics, UNMATCHED_ROUTE } from "../../../edge/src/middleware/metrics.ts";
import { readScrape } from "../../support/prometheus.ts";

const TOKEN = "unit-test-metrics-token-0123456789abcdef";
const now = Date.UTC(2026, 0, 10);
const terms = (tier: string) => ({ tier, policy: "cfg", price_micro_usd_per_nfe: 50 });

describe("withLedgerMetrics", () => {
  it("counts open reservations and settled NFEs by tier, each reservation ending once", async () => {
    const metrics = createPrometheusMetrics({ token: TOKEN });
    const ledger = withLedgerMetrics(createMemoryLedger(), metrics);
    const a = newJobId("alice");
    const b = newJobId("bob");
    const c = newJobId("carol");
    expect((await ledger.reserve("alice", a, 40, 1_000, now, terms("standard"))).ok).toBe(true);
    expect((await ledger.reserve("bob", b, 20, 1_000, now, terms("pro"))).ok).toBe(true);
    expect((await ledger.reserve("alice", a, 40, 1_000, now, terms("standard"))).ok).toBe(false); // duplicate
    expect((await ledger.reserve("carol", c, 2_000, 1_000, now, terms("eco"))).ok).toBe(false); // over quota
    let m = readScrape((await metrics.render()).body);
    expect(m.value("gg_edge_open_reservations")).toBe(2);

    expect(await ledger.settle(a, 55, now)).toBe(true); // clamped to the 40 reserved, as the ledger bills it
    expect(await ledger.settle(a, 55, now)).toBe(false); // settled already: nothing more counted
    expect(await ledger.void(b)).toBe(true);
    m = readScrape((await metrics.render()).body);
    expect(m.value("gg_edge_nfe_settled_total", { tier: "standard" })).toBe(40);
    expect(m.value("gg_edge_nfe_settled_total", { tier: "pro" })).toBe(0);
    expect(m.value("gg_edge_open_reservations")).toBe(0);
    expect((await ledger.usage("alice", 1_000, now)).used).toBe(40);
  });

  it("refuses a scrape token too short to be a secret", () => {
    expect(() => createPrometheusMetrics({ token: "short" })).toThrow(/GG_METRICS_TOKEN/);
  });
});

describe("requestMetrics", () => {
  it("labels by the matched route's pattern, and 'unmatched' when nothing matched", async () => {
    const metrics = createPrometheusMetrics({ token: TOKEN });
    const app = new Hono();
    app.use("*", requestMetrics(metrics));
    app.use("/v1/*", async (_c, next) => next()); // a middleware must not become the label
    const sub = new Hono();
    sub.get("/v1/jobs/:id", (c) => c.json({ id: c.req.param("id") }));
    sub.get("/v1/boom", () => {
      throw new Error("boom");
    });
    app.route("/", sub);
    app.onError((_e, c) => c.json({ error: "x" }, 500));
    for (const id of ["job_a", "job_b", "job_c"]) expect((await app.request(`/v1/jobs/${id}`)).status).toBe(200);
    expect((await app.request("/v1/boom")).status).toBe(500);
    expect((await app.request("/v1/nothing/here")).status).toBe(404);
    const m = readScrape((await metrics.render()).body);
    expect(m.value("gg_edge_requests_total", { route: "/v1/jobs/:id", method: "GET", status: "200" })).toBe(3);
    expect(m.value("gg_edge_requests_total", { route: "/v1/boom", method: "GET", status: "500" })).toBe(1);
    expect(m.value("gg_edge_requests_total", { route: UNMATCHED_ROUTE, method: "GET", status: "404" })).toBe(1);
    expect(m.samples("gg_edge_requests_total")).toHaveLength(3);
  });
});
