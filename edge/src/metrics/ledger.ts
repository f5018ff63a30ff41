// A Ledger that reports reservations and settled NFEs to the edge's metrics. The terms recorded at
// reserve (tier, NFEs held) are kept until the reservation ends, so a settle is counted under the tier
// it is billed at and clamped as the ledger clamps it, without reading the row back.
import type { Ledger } from "../ledger/types.ts";
import type { EdgeMetrics } from "./types.ts";

export function withLedgerMetrics(ledger: Ledger, metrics: EdgeMetrics): Ledger {
  const open = new Map<string, { tier: string; reserved: number }>();
  const end = (jobId: string) => {
    if (open.delete(jobId)) metrics.reservationEnded();
  };
  return {
    usage: (tenant, quota, now) => ledger.usage(tenant, quota, now),
    report: (tenant, quota, now, period) => ledger.report(tenant, quota, now, period),
    settledJobs: (tenant, period, after, limit) => ledger.settledJobs(tenant, period, after, limit),
    get: (jobId) => ledger.get(jobId),
    async reserve(tenant, jobId, nfe, quota, now, terms) {
      const res = await ledger.reserve(tenant, jobId, nfe, quota, now, terms);
      if (res.ok) {
        open.set(jobId, { tier: terms.tier, reserved: nfe });
        metrics.reservationOpened();
      }
      return res;
    },
    async settle(jobId, spent, now) {
      const ok = await ledger.settle(jobId, spent, now);
      const held = open.get(jobId);
      if (ok && held) metrics.settled(held.tier, Math.max(0, Math.min(spent, held.reserved)));
      end(jobId);
      return ok;
    },
    async void(jobId) {
      const ok = await ledger.void(jobId);
      end(jobId);
      return ok;
    },
  };
}
