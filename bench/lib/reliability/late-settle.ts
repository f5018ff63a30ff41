// A job that outlives its reservation's lease: the edge restarted with a 1 ms lease (GG_RESERVATION_LEASE_MS), so
// every settle arrives after the lease ran out. It must be billed anyway, once, counted in late_settled_nfe, and
// the month's CSV export must add up to the same cost.
import { parse } from "csv-parse/sync";
import type { Service, Stack } from "@guidegate/stack";
import { completedOf, followJob, tenant } from "./client.ts";
import { idle, nfeTotal, usage } from "./probes.ts";
import { restartEdge, stopService } from "./restart.ts";

export interface LateSettleResult {
  status: string;
  workerNfe: number;
  billedNfe: number;
  lateNfe: number;
  reservedAfter: number;
  costMicroUsd: number;
  csvCostMicroUsd: number;
  csvLateRows: number;
  /** The restarted edge (the caller stops it). */
  edge: Service;
}

const urls = (stack: Stack) =>
  stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null).map((w) => w.url);

/** Restarts `edge` on a 1 ms lease and runs one job through the jobs API to its end. */
export async function lateSettleScenario(stack: Stack, edge: Service, steps = 20): Promise<LateSettleResult> {
  await stopService(edge);
  const short = await restartEdge(edge, { GG_RESERVATION_LEASE_MS: "1" });
  const t = await tenant("late-settle");
  const before = await nfeTotal(urls(stack));
  const { events } = await followJob(short.url, t, {
    prompt: "a small black circle on a white background",
    steps,
    guidance: { policy: "cfg", scale: 2 },
  });
  await idle(urls(stack));
  const u = (await usage(short.url, t.token)) as Awaited<ReturnType<typeof usage>> & {
    late_settled_nfe: number;
    cost_micro_usd: number;
  };
  const csv = await fetch(`${short.url}/v1/usage/export.csv`, { headers: { authorization: t.headers.authorization! } });
  const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
  return {
    status: completedOf(events) ? "completed" : String(events.at(-1)?.event),
    workerNfe: (await nfeTotal(urls(stack))) - before,
    billedNfe: u.used_nfe,
    lateNfe: u.late_settled_nfe,
    reservedAfter: u.reserved_nfe,
    costMicroUsd: u.cost_micro_usd,
    csvCostMicroUsd: rows.reduce((n, r) => n + Number(r.cost_micro_usd), 0),
    csvLateRows: rows.filter((r) => r.late_settled === "true").length,
    edge: short,
  };
}
