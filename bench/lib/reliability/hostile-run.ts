// bench:reliability's hostile-client part, on its own small stack (hostile.ts): each scenario becomes a
// check and a summary row. The figures the issue asked for: the noisy neighbour's quiet-tenant p99 wait
// and success rate, one Idempotency-Key from 20 callers, and event-stream resume at and past the end.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tenant } from "./client.ts";
import { cancelRaceScenario, quotaRaceScenario } from "./concurrency.ts";
import { HOSTILE, startHostileStack } from "./hostile.ts";
import { idempotencyScenario } from "./idempotency.ts";
import { noisyNeighbourScenario } from "./noisy.ts";
import { oddValidScenario } from "./odd-valid.ts";
import { parserScenario } from "./parser.ts";
import { idle } from "./probes.ts";
import { stopStack } from "./restart.ts";
import { sseScenario } from "./sse.ts";
import type { Check } from "./summary.ts";

export interface HostileRun {
  checks: Check[];
  rows: Array<[string, string]>;
  billingMismatches: number;
}

const ms = (x: number) => `${Math.round(x)} ms`;
const json = (x: unknown) => JSON.stringify(x).replace(/"/g, "");

export async function runHostile(
  log: (msg: string) => void,
  o: { floodJobs: number; quietJobs: number },
): Promise<HostileRun> {
  const dir = mkdtempSync(join(tmpdir(), "gg-bench-hostile-"));
  const stack = await startHostileStack(dir);
  const checks: Check[] = [];
  const rows: Array<[string, string]> = [];
  let billingMismatches = 0;
  const check = (name: string, ok: boolean, detail: string) => {
    checks.push({ name, ok, detail });
    log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
  };
  const workers = stack.workers.map((w) => w.url);
  try {
    log(`noisy neighbour: one tenant floods ${o.floodJobs} heavy jobs, another runs ${o.quietJobs}`);
    const n = await noisyNeighbourScenario(stack.edgeUrl, workers, {
      floodJobs: o.floodJobs,
      floodSteps: 150,
      quietJobs: o.quietJobs,
      quietSteps: 20,
    });
    billingMismatches += n.billingMismatches;
    const q = n.quiet;
    const served = `${q.completed}/${q.jobs} jobs + sync ${q.syncStatus}`;
    rows.push([
      "noisy neighbour (quiet tenant)",
      `${served} served, ${q.refused503} x 503; wait p50 ${ms(q.p50WaitMs)}, p99 ${ms(q.p99WaitMs)}; own job p50 ${ms(q.p50JobMs)}; flood ${json(n.flood.byStatus)}`,
    ]);
    check(
      "noisy neighbour",
      q.refused503 === 0 &&
        q.completed === q.jobs &&
        q.syncStatus === 200 &&
        q.p99WaitMs <= 2 * q.p50JobMs &&
        n.billingMismatches === 0,
      `quiet p99 wait ${ms(q.p99WaitMs)} vs 2 x job ${ms(2 * q.p50JobMs)}; success ${served}; flood answers ${json(n.flood.byStatus)}`,
    );

    await idle(workers);
    const i = await idempotencyScenario(stack.edgeUrl, 20);
    if (i.billedNfe !== i.reportedNfe) billingMismatches++;
    rows.push([
      "idempotency (20 callers, one key)",
      `first refused: ${json(i.refused)}; first admitted: ${json(i.admitted.statuses)}, ${i.admitted.ids} job id, ${i.admitted.readable}/20 readable at once, billed ${i.billedNfe}/${i.reportedNfe} NFE; after the record expired: ${i.afterExpiry}`,
    ]);
    check(
      "idempotency, one key many callers",
      Object.keys(i.refused).length === 1 &&
        i.admitted.ids === 1 &&
        i.admitted.readable === 20 &&
        i.billedNfe === i.reportedNfe &&
        i.afterExpiry === "404 job_expired",
      `${json(i.refused)}; ${i.admitted.ids} id, ${i.admitted.readable} readable; expired replay ${i.afterExpiry}`,
    );

    const s = await sseScenario(stack.edgeUrl);
    rows.push([
      "SSE resume at / past the end",
      `at the end: ${s.atEndEvents.length} events to ${s.atEndEvents.at(-1)}; past the end: ${s.pastEndEvents} events, closed ${ms(s.pastEndClosedAfterMs)} after the job ended; after it: ${s.afterEnd.join("/")}; cap ${s.cap.opened} open, next ${s.cap.next}, other tenant ${s.cap.otherTenant}`,
    ]);
    check(
      "SSE resume and stream cap",
      s.atEndEvents.at(-1) === "completed" &&
        s.pastEndEvents === 0 &&
        s.pastEndClosedAfterMs < 1_000 &&
        s.afterEnd.every((x) => x === 204) &&
        s.cap.next === "429 too_many_streams" &&
        s.cap.otherTenant === 200,
      `past the end closed ${ms(s.pastEndClosedAfterMs)} after the job; ${s.cap.next}`,
    );

    await idle(workers);
    const qr = await quotaRaceScenario(stack.edgeUrl, 10);
    const c = await cancelRaceScenario(stack.edgeUrl, workers, 6);
    if (qr.billedNfe !== qr.reportedNfe) billingMismatches++;
    billingMismatches += c.mismatches;
    rows.push([
      "money races",
      `quota ${qr.quota} NFE, 10 at once: ${json(qr.byStatus)}, billed ${qr.billedNfe}/${qr.reportedNfe} reported; cancel vs completion x${c.trials}: ${json(c.endings)}, ${c.mismatches} mismatches`,
    ]);
    check(
      "quota boundary and cancel races",
      qr.billedNfe === qr.reportedNfe &&
        qr.billedNfe <= qr.quota &&
        qr.reservedAfter === 0 &&
        c.mismatches === 0 &&
        c.reservedAfter === 0,
      `${json(qr.byStatus)} billed ${qr.billedNfe}; cancels ${json(c.endings)}`,
    );

    const v = await oddValidScenario(stack.edgeUrl);
    if (v.billedNfe !== v.reportedNfe) billingMismatches++;
    const p = await parserScenario(stack.edge.port, (await tenant("parser")).token);
    rows.push([
      "odd but valid / parser rejects",
      `${v.cases - v.failures.length}/${v.cases} odd requests right on a real worker; ${p.cases - p.failures.length}/${p.cases} parser-level rejects with the envelope, slowest 408 after ${ms(p.slowestMs)} (timeouts ${HOSTILE.headersTimeoutMs}/${HOSTILE.requestTimeoutMs} ms)`,
    ]);
    check(
      "valid-but-odd requests",
      v.failures.length === 0 && v.billedNfe === v.reportedNfe,
      v.failures.map((f) => `${f.name}: ${f.detail}`).join("; ") || `${v.cases} cases`,
    );
    check(
      "parser-level rejects and slow clients",
      p.failures.length === 0,
      p.failures.map((f) => `${f.name}: ${f.detail}`).join("; ") || `${p.cases} cases`,
    );
  } finally {
    await stopStack(stack);
    rmSync(dir, { recursive: true, force: true });
  }
  return { checks, rows, billingMismatches };
}
