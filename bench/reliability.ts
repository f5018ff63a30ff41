// `npm run bench:reliability`: the reliability issue's figures in one run on loopback. First the hostile
// clients on a small stack of their own (a noisy neighbour, one Idempotency-Key from 20 callers, SSE resume
// at and past the end, money races, odd-but-valid requests, parser-level rejects); then faults (worker
// SIGKILL, client disconnects, S3 outage, edge SIGKILL, a cut cancel), 200 concurrent event streams,
// 1,000 + 100 hostile requests, autocannon on the non-streaming endpoints; then one summary table.
//   STREAMS (default 200), FUZZ (1000), FUZZ_HTTP (100), CANNON_S (3 seconds per endpoint), GG_FUZZ_SEED,
//   FLOOD (40 jobs from the noisy tenant), QUIET (10 jobs from the quiet one), QUEUE_JOBS (8 jobs behind one busy slot).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "@guidegate/stack";
import { type CannonResult, cannon } from "./lib/reliability/cannon.ts";
import { tenant } from "./lib/reliability/client.ts";
import {
  cutCancelScenario,
  edgeDeathScenario,
  streamDisconnectScenario,
  unwatchedJobScenario,
} from "./lib/reliability/disconnect.ts";
import { failoverScenario } from "./lib/reliability/failover.ts";
import { fuzzOverHttp } from "./lib/reliability/fuzz/http.ts";
import { fuzzInProcess } from "./lib/reliability/fuzz/in-process.ts";
import { lateSettleScenario } from "./lib/reliability/late-settle.ts";
import { holdStreams } from "./lib/reliability/load.ts";
import { idle, until } from "./lib/reliability/probes.ts";
import { runHostile } from "./lib/reliability/hostile-run.ts";
import { queueingScenario } from "./lib/reliability/queueing.ts";
import { restartWorker, stopService, stopStack } from "./lib/reliability/restart.ts";
import { s3OutageScenario } from "./lib/reliability/s3-outage.ts";
import { type Check, printSummary } from "./lib/reliability/summary.ts";

const env = process.env;
const STREAMS = Number(env.STREAMS ?? 200);
const FUZZ = Number(env.FUZZ ?? 1000);
const FUZZ_HTTP = Number(env.FUZZ_HTTP ?? 100);
const CANNON_S = Number(env.CANNON_S ?? 3);
const seed = Number(env.GG_FUZZ_SEED ?? Date.now() % 2 ** 31);
const FLOOD = Number(env.FLOOD ?? 40);
const QUEUE_JOBS = Number(env.QUEUE_JOBS ?? 8);
const QUIET = Number(env.QUIET ?? 10);

const dir = mkdtempSync(join(tmpdir(), "gg-bench-rel-"));
const log = (msg: string) => console.error(`[bench:reliability] ${msg}`);
const checks: Check[] = [];
const check = (name: string, ok: boolean, detail: string) => {
  checks.push({ name, ok, detail });
  log(`${ok ? "ok  " : "FAIL"} ${name}: ${detail}`);
};
const live = () =>
  stack.workers.filter((w) => w.proc.exitCode === null && w.proc.signalCode === null).map((w) => w.url);

log("hostile clients: starting a small stack (one 4-slot worker)");
const hostile = await runHostile(log, { floodJobs: FLOOD, quietJobs: QUIET });
checks.push(...hostile.checks);

log(`queueing: ${QUEUE_JOBS} jobs on a stack whose one worker has one slot and no queue`);
const qs = await queueingScenario(QUEUE_JOBS);
check(
  "queueing with every worker busy",
  qs.completed === qs.jobs &&
    qs.queuedAtEdge >= qs.jobs - 1 &&
    qs.billedNfe === qs.jobNfe &&
    qs.workerNfe === qs.jobNfe &&
    qs.reservedAfter === 0,
  `${qs.jobs} jobs, ${qs.queuedAtEdge} queued at the edge (deepest position ${qs.maxPosition}), ${qs.completed} completed in ${(qs.durationMs / 1000).toFixed(1)} s; job NFEs ${qs.jobNfe}, billed ${qs.billedNfe}, workers ran ${qs.workerNfe}; ${qs.reservedAfter} still held`,
);

log("starting s3rver, 2 gpu-workers and the edge");
// 32 slots per worker: the rest of the 200 jobs queue, so every stream stays open until its job's turn.
const stack = await startStack({ dataDir: dir, workers: 2, workerEnv: { GG_CAPACITY: "32", GG_MAX_QUEUE: "512" } });
const extra = [];
let billingMismatches = hostile.billingMismatches + (qs.billedNfe === qs.jobNfe && qs.workerNfe === qs.jobNfe ? 0 : 1);
let lostEvents = 0;
let faults = 0;
try {
  const workersUp = () =>
    until(
      "2 workers up",
      async () => ((await (await fetch(`${stack.edgeUrl}/healthz`)).json()) as { workers_up: number }).workers_up >= 2,
      30_000,
    );

  // Fault 1: SIGKILL the worker running a job.
  faults++;
  const f = await failoverScenario(stack, { steps: 60, killAtStep: 5 });
  lostEvents += f.check.lost + f.check.reordered;
  if (f.billedNfe !== f.reportedNfe || f.survivorNfe !== f.billedNfe || f.reservedAfter !== 0) billingMismatches++;
  check(
    "worker SIGKILL mid-job",
    f.terminal === "completed" &&
      f.retrying.length === 1 &&
      f.check.lost === 0 &&
      f.seed === 4242 &&
      (f.image?.maxPixelDiff ?? 255) <= 2 &&
      f.billedNfe === 120,
    `killed ${f.killedWorker} at step ${f.killedAtStep}; retrying ${JSON.stringify(f.retrying.map((r) => r.attempt))}; ${f.terminal}; billed ${f.billedNfe} NFE (survivor ran ${f.survivorNfe}); image ${f.image?.identicalBytes ? "identical bytes" : `max diff ${f.image?.maxPixelDiff}/255`}`,
  );
  const dead = stack.workers.find((w) => w.proc.signalCode === "SIGKILL")!;
  const back = await restartWorker(dead);
  extra.push(back);
  stack.workers.push(back);
  await workersUp();

  // Fault 2: a streaming client disconnects.
  faults++;
  const d = await streamDisconnectScenario(stack, 120);
  if (d.billedNfe !== d.workerNfe || d.reservedAfter !== 0) billingMismatches++;
  check(
    "streaming client disconnect",
    d.workerNfe < d.fullNfe / 2 && d.billedNfe === d.workerNfe,
    `left after step ${d.abortedAfterStep}; worker ran ${d.workerNfe} of ${d.fullNfe} NFE; billed ${d.billedNfe}`,
  );

  // Fault 3: a jobs-API client leaves; the job must finish anyway.
  faults++;
  const u = await unwatchedJobScenario(stack, 40);
  if (u.billedNfe !== u.workerNfe || u.billedNfe !== u.reportedNfe) billingMismatches++;
  check(
    "jobs-API listener leaves",
    u.status === "completed" && u.billedNfe === 80,
    `${u.status}; billed ${u.billedNfe}, worker ran ${u.workerNfe}`,
  );

  // Fault 4: S3 down mid-job, back after a while.
  faults++;
  const s = await s3OutageScenario(stack, { steps: 60, outageMs: 2_000 });
  if (s.billedNfe !== s.reportedNfe) billingMismatches++;
  check(
    "S3 outage",
    s.completedDuringOutage === 0 && s.completed === s.jobs && s.downloaded === s.jobs && s.spooledAfter === 0,
    `${s.spooledPeak} images spooled during ${s.outageMs} ms down; ${s.completedDuringOutage} completed while down; ${s.downloaded}/${s.jobs} downloadable after`,
  );

  // Load: concurrent event streams, then autocannon on non-streaming endpoints.
  await idle(live());
  log(`holding ${STREAMS} event streams`);
  // Jobs long enough (40 steps) that the last stream opens before the first ends on a 2-core machine.
  const l = await holdStreams(stack, { streams: STREAMS, steps: 40, previewEvery: 10, tenants: 20 });
  lostEvents += l.lostEvents + l.reordered;
  billingMismatches += l.billingMismatches;
  check(
    `${STREAMS} concurrent streams`,
    l.completed === STREAMS && l.lostEvents + l.reordered + l.terminalViolations + l.billingMismatches === 0,
    `${l.completed} completed, peak ${l.peakOpen} open, ${l.events} events in ${(l.durationMs / 1000).toFixed(1)} s; lost ${l.lostEvents}, reordered ${l.reordered}, terminal violations ${l.terminalViolations}`,
  );

  log(`fuzzing the edge process over HTTP (${FUZZ_HTTP} cases, seed ${seed})`);
  const fh = await fuzzOverHttp(stack.edgeUrl, live(), FUZZ_HTTP, seed);
  check(
    "HTTP fuzz",
    fh.stats.violations.length === 0 && fh.ledgerChanged.length === 0 && fh.workerNfe === 0 && fh.edgeAlive,
    `${fh.stats.cases} cases: ${fh.stats.rejected} 4xx, ${fh.stats.closedOversize} over-limit closed, ${fh.stats.violations.length} violations; ledger changed for ${fh.ledgerChanged.length}; worker NFEs ${fh.workerNfe}`,
  );

  const t = await tenant("cannon");
  const cannons: CannonResult[] = [];
  for (const path of ["/healthz", "/v1/policies", "/v1/usage"]) {
    log(`autocannon ${path} for ${CANNON_S} s`);
    cannons.push(await cannon(stack.edgeUrl, path, { seconds: CANNON_S, connections: 16, token: t.token }));
  }
  check(
    "autocannon",
    cannons.every((c) => c.errors === 0 && c.non2xx === 0),
    cannons.map((c) => `${c.path} ${c.requests} req`).join(", "),
  );

  log(`fuzzing the edge app in process (${FUZZ} cases, seed ${seed})`);
  const fi = await fuzzInProcess(FUZZ, seed);
  check(
    "in-process fuzz",
    fi.stats.violations.length === 0 && fi.ledgerChanged.length === 0 && fi.dispatched.length === fi.stats.admitted,
    `${fi.stats.cases} cases: ${fi.stats.rejected} 4xx, ${fi.stats.admitted} acceptable -> 503, ${fi.stats.violations.length} violations`,
  );
  for (const v of [...fh.stats.violations, ...fi.stats.violations].slice(0, 10))
    log(`  violation ${v.defect} ${v.method} ${v.path}: ${v.detail}`);

  // Fault 5: SIGKILL the edge mid-job (last: the stack's edge is gone afterwards), then a cut cancel.
  faults++;
  const e = await edgeDeathScenario(stack, 150, { GG_CANCEL_GRACE_MS: "0" });
  extra.push(e.edge);
  if (e.billedNfe !== e.workerNfe || e.reservedAfter !== 0) billingMismatches++;
  check(
    "edge SIGKILL mid-job, re-attached",
    e.status === "completed" && e.workerNfe === e.fullNfe && e.billedNfe === e.workerNfe && e.reservedAfter === 0,
    `killed at step ${e.killedAtStep}, back in ${e.downMs} ms; ${e.status}; worker ran ${e.workerNfe} of ${e.fullNfe} NFE; billed ${e.billedNfe}, ${e.reservedAfter} NFE still held`,
  );
  faults++;
  const c = await cutCancelScenario(stack, e.edge.url, 150);
  if (c.billedNfe !== c.workerNfe) billingMismatches++;
  check(
    "cancel with the stream cut",
    c.status === "cancelled" && c.billedNfe === c.workerNfe,
    `worker ran ${c.workerNfe} NFE, billed ${c.billedNfe}`,
  );

  // Fault 7: every job outlives its reservation's lease; the late settle must still be billed, once.
  faults++;
  const ls = await lateSettleScenario(stack, e.edge);
  extra.push(ls.edge);
  if (ls.billedNfe !== ls.workerNfe || ls.csvCostMicroUsd !== ls.costMicroUsd) billingMismatches++;
  check(
    "settle after the lease expired",
    ls.status === "completed" && ls.billedNfe === ls.workerNfe && ls.lateNfe === ls.billedNfe && ls.csvLateRows === 1,
    `worker ran ${ls.workerNfe} NFE, billed ${ls.billedNfe}, late ${ls.lateNfe}; CSV cost ${ls.csvCostMicroUsd} of ${ls.costMicroUsd} µUSD`,
  );

  const fiveXx =
    cannons.reduce((n, x) => n + x.fiveXx, 0) +
    [...fh.stats.violations, ...fi.stats.violations].filter((v) => /HTTP 5\d\d/.test(v.detail)).length;
  printSummary({
    faults,
    streams: l.streams,
    peakOpen: l.peakOpen,
    fuzzCases: fi.stats.cases + fh.stats.cases,
    fuzzAdmitted: fi.stats.admitted,
    lostEvents,
    billingMismatches,
    lateSettledNfe: ls.lateNfe,
    fiveXx,
    cannons,
    rssBeforeKiB: l.rssBeforeKiB,
    rssPeakKiB: l.rssPeakKiB,
    rssAfterKiB: l.rssAfterKiB,
    seed,
    hostile: hostile.rows,
    checks,
  });
} finally {
  for (const s of extra) await stopService(s);
  await stopStack(stack);
  rmSync(dir, { recursive: true, force: true });
}
process.exit(checks.every((c) => c.ok) ? 0 : 1);
