// infra/grafana/guidegate.json: the starter dashboard parses, and every metric its queries name is one the worker
// or the edge really exports (a renamed metric must not leave a silently empty panel).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "@guidegate/stack";
import { expect, it } from "vitest";
import { WorkerMetrics } from "../../gpu-worker/src/metrics.ts";
import { createPrometheusMetrics } from "../../edge/src/metrics/prometheus.ts";
import { readScrape } from "../support/prometheus.ts";

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

it("the starter dashboard queries only metrics that exist", async () => {
  const dash = JSON.parse(readFileSync(join(ROOT, "infra", "grafana", "guidegate.json"), "utf8")) as Dashboard;
  const worker = new WorkerMetrics(() => ({ running: 0, queued: 0, capacity: 8, draining: false, spooled: 0 }), {
    defaultMetrics: false,
  });
  const edge = createPrometheusMetrics({ token: "x".repeat(32) });
  edge.watchPool(() => [{ url: "http://w1", outstanding: 0, up: true, health: null }]);
  edge.request({ route: "/healthz", method: "GET", status: 200 }, 0.01); // labelled families print once observed
  edge.settled("standard", 1);
  const names = new Set(
    [(await worker.render()).body, (await edge.render()).body].flatMap((t) =>
      readScrape(t).families.map((f) => f.name),
    ),
  );
  const used = dash.panels.flatMap((p) => p.targets.flatMap((t) => [...t.expr.matchAll(/\bgg_[a-z_]+\b/g)]));
  expect(used.length).toBeGreaterThan(10);
  for (const [m] of used) expect(names, m).toContain(m.replace(/_(bucket|sum|count)$/, ""));
  // Every worker and edge family appears on some panel.
  const shown = new Set(used.map(([m]) => m.replace(/_(bucket|sum|count)$/, "")));
  expect([...names].filter((n) => !shown.has(n))).toEqual([]);
});
