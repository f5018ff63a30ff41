// EdgeMetrics on prom-client, one registry per edge process (node.ts and deno.ts build it; prom-client
// runs on Deno through its npm compatibility). Nothing here is a global: the registry is the instance's.
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { WorkerStatus } from "../pool/types.ts";
import type { EdgeMetrics, RequestLabels } from "./types.ts";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A scrape token is a secret: as long as the worker's GG_HEALTH_TOKEN. */
const MIN_TOKEN_LENGTH = 32;

export function createPrometheusMetrics(opts: { token: string }): EdgeMetrics {
  if (opts.token.length < MIN_TOKEN_LENGTH)
    throw new Error(`GG_METRICS_TOKEN must be at least ${MIN_TOKEN_LENGTH} characters (openssl rand -hex 32)`);
  const registry = new Registry();
  const registers = [registry];
  let pool: () => WorkerStatus[] = () => [];
  const requests = new Counter({
    name: "gg_edge_requests_total",
    help: "Requests answered, by route pattern, method and status.",
    labelNames: ["route", "method", "status"],
    registers,
  });
  const latency = new Histogram({
    name: "gg_edge_request_duration_seconds",
    help: "Time until the response headers, by route pattern and method (a stream's body goes on after).",
    labelNames: ["route", "method"],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const open = new Gauge({
    name: "gg_edge_open_reservations",
    help: "NFE reservations this edge made that are not settled or voided yet.",
    registers,
  });
  const settled = new Counter({
    name: "gg_edge_nfe_settled_total",
    help: "NFEs billed by settles, by the tier recorded when reserved.",
    labelNames: ["tier"],
    registers,
  });
  const perWorker = (name: string, help: string, read: (w: WorkerStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ["worker"],
      registers,
      collect() {
        this.reset(); // a worker no longer listed must not linger
        for (const w of pool()) {
          const v = read(w);
          if (v !== undefined) this.set({ worker: w.url }, v);
        }
      },
    });
  perWorker("gg_edge_worker_up", "1 while the pool considers the worker reachable.", (w) => (w.up ? 1 : 0));
  perWorker("gg_edge_worker_draining", "1 while the worker's last health says it is draining.", (w) =>
    w.health?.draining ? 1 : 0,
  );
  perWorker("gg_edge_worker_outstanding", "Dispatches this edge has open on the worker.", (w) => w.outstanding);
  perWorker(
    "gg_edge_worker_running",
    "Running jobs in the worker's last health (every edge's).",
    (w) => w.health?.running,
  );
  perWorker(
    "gg_edge_worker_queued",
    "Queued jobs in the worker's last health (every edge's).",
    (w) => w.health?.queued,
  );

  return {
    token: opts.token,
    request({ route, method, status }: RequestLabels, seconds: number) {
      requests.inc({ route, method, status: String(status) });
      latency.observe({ route, method }, seconds);
    },
    reservationOpened: () => open.inc(),
    reservationEnded: () => open.dec(),
    settled: (tier, nfe) => settled.inc({ tier }, nfe),
    watchPool(read) {
      pool = read;
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
