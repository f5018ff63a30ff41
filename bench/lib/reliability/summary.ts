// The summary table of `npm run bench:reliability`.
import type { CannonResult } from "./cannon.ts";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface Summary {
  faults: number;
  streams: number;
  peakOpen: number;
  fuzzCases: number;
  fuzzAdmitted: number;
  lostEvents: number;
  billingMismatches: number;
  /** NFEs settled after their reservation's lease expired, billed all the same (usage's late_settled_nfe). */
  lateSettledNfe: number;
  fiveXx: number;
  cannons: CannonResult[];
  rssBeforeKiB: number;
  rssPeakKiB: number;
  rssAfterKiB: number;
  seed: number;
  /** Rows of the hostile-client scenarios (noisy neighbour, idempotency, SSE, ...), printed as given. */
  hostile: Array<[string, string]>;
  checks: Check[];
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

export function printSummary(s: Summary): void {
  const rows: Array<[string, string]> = [
    ["faults injected", String(s.faults)],
    ["streams held", `${s.streams} (peak ${s.peakOpen} open at once)`],
    [
      "fuzz cases",
      `${s.fuzzCases} (${s.fuzzAdmitted} acceptable ones refused 503 by the stand-in pool; seed ${s.seed})`,
    ],
    ["lost or reordered events", String(s.lostEvents)],
    ["billing mismatches", String(s.billingMismatches)],
    ["late settles billed", `${s.lateSettledNfe} NFE (settled after the lease expired, billed once)`],
    ["unexpected 5xx", String(s.fiveXx)],
    ...s.cannons.map((c): [string, string] => [
      `autocannon ${c.path}`,
      `p50 ${c.p50} ms, p99 ${c.p99} ms, ${Math.round(c.rps)} req/s, ${c.non2xx} non-2xx, ${c.errors} errors`,
    ]),
    ...s.hostile,
    ["edge RSS before/after load", `${mib(s.rssBeforeKiB)} / ${mib(s.rssAfterKiB)} (peak ${mib(s.rssPeakKiB)})`],
    ["checks passed", `${s.checks.filter((c) => c.ok).length}/${s.checks.length}`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  console.log("\nbench:reliability summary");
  console.log(`${"-".repeat(w)}  ${"-".repeat(40)}`);
  for (const [k, v] of rows) console.log(`${k.padEnd(w)}  ${v}`);
  console.log("\nscenarios");
  for (const c of s.checks) console.log(`  ${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail}`);
}
