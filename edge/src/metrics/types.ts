// What the edge reports to its metrics. The interface carries no metrics library: createApp and the
// middleware use it as given, and only the Node and Deno entries build one (prometheus.ts); Workers,
// which has no scrape endpoint, passes none.
import type { WorkerStatus } from "../pool/types.ts";

export interface RequestLabels {
  /** The matched route's pattern ("/v1/jobs/:id"), never the raw path: labels must stay few. */
  route: string;
  method: string;
  status: number;
}

export interface EdgeMetrics {
  /** The bearer a scrape must present (GG_METRICS_TOKEN). */
  readonly token: string;
  /** One answered request; `seconds` until its response headers (a stream's body goes on after). */
  request(labels: RequestLabels, seconds: number): void;
  /** A reservation this edge made; ended once it is settled or voided. */
  reservationOpened(): void;
  reservationEnded(): void;
  /** NFEs billed by a settle, under the tier recorded when reserved. */
  settled(tier: string, nfe: number): void;
  /** Where the worker pool's state is read at scrape time. */
  watchPool(read: () => WorkerStatus[]): void;
  /** The exposition text and its content type, for GET /metrics. */
  render(): Promise<{ contentType: string; body: string }>;
}
