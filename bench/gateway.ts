// `npm run bench:gateway`: what the gateway costs on the hot path, against a plain reverse proxy. In one run:
// a stand-in worker answering the internal protocol at once (bench/lib/gateway/stand-in.ts), nginx
// proxy_pass in front of it (Debian's package, installed when missing, skipped with a message where it
// cannot be) and the Node edge in front of it (SQLite ledger on disk in a temp dir, JWT verified). For
// each path: latency of a synchronous generation (p50/p99 over REQUESTS sequential requests on one
// connection) and generations/s at concurrency 1 and 16. Added latency is a path's quantile minus the
// stand-in's own, round by round; the table gives medians over ROUNDS interleaved rounds.
//   ROUNDS (3), REQUESTS (1500), DURATION_MS (3000, each concurrency-16 measurement),
//   PROFILE=<dir> (the edge writes a --cpu-prof profile there when the bench ends).
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { mintDevToken } from "../edge/src/auth/dev-token.ts";
import {
  type Concurrent,
  concurrent,
  median,
  quantile,
  type Sequential,
  sequential,
  type Target,
} from "./lib/gateway/load.ts";
import { startNginx } from "./lib/gateway/nginx.ts";
import { cpuMs, diskFlushMs, withChildren } from "./lib/gateway/probes.ts";
import { startEdge, startStandIn } from "./lib/gateway/services.ts";
import { STAND_IN_MODEL } from "./lib/gateway/stand-in.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const REQUESTS = Number(process.env.REQUESTS ?? 1500);
const DURATION_MS = Number(process.env.DURATION_MS ?? 3000);
const WARMUP = 300;
const CONCURRENCY = 16;
const TENANT = "bench-gateway";

interface Round {
  p50: number;
  p99: number;
  c1: number;
  c16: number;
  /** CPU µs the path's own processes spent per generation at c=16. */
  cpuUs: number;
  errors: number;
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
let jobSeq = 0;
const workerJob = () =>
  JSON.stringify({
    job_id: `job_bench${String(++jobSeq).padStart(12, "0")}`,
    tenant: TENANT,
    model: STAND_IN_MODEL,
    prompt: "a large red circle on a blue background",
    n: 1,
    width: 32,
    height: 32,
    steps: 20,
    seed: 7,
    guidance: { policy: "cfg", scale: 2 },
    max_nfe: 40,
    output_format: "png",
    response_format: "b64_json",
  });
const generation = JSON.stringify({
  prompt: "a large red circle on a blue background",
  model: STAND_IN_MODEL,
  size: "32x32",
  steps: 20,
  response_format: "b64_json",
});

function workerTarget(name: string, origin: string, pids: () => number[]): Target {
  return {
    name,
    pids,
    origin,
    path: "/internal/jobs",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: workerJob,
    ok: (status, text) => status === 200 && text.includes("event: completed"),
  };
}

/** Generations the gateway answered, to check against its ledger. */
let answered = 0;

function gatewayTarget(origin: string, token: string, pid: number): Target {
  return {
    name: "gateway → stand-in",
    pids: () => [pid],
    origin,
    path: "/v1/images/generations",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: () => generation,
    ok: (status, text) => {
      const good = status === 200 && text.includes('"b64_json"');
      if (good) answered++;
      return good;
    },
  };
}

/** `run`, and the CPU µs per finished generation that `t`'s own processes spent meanwhile. */
async function withCpu(t: Target, run: () => Promise<Concurrent>): Promise<Concurrent & { cpuUs: number }> {
  const pids = t.pids();
  const before = cpuMs(pids);
  const c = await run();
  return { ...c, cpuUs: ((cpuMs(pids) - before) * 1000) / Math.max(1, c.done) };
}

async function measure(targets: Target[]): Promise<Round[][]> {
  const rounds: Round[][] = targets.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    const before = load();
    const seq: Sequential[] = [];
    for (const t of targets) seq.push(await sequential(t, REQUESTS));
    const c16: (Concurrent & { cpuUs: number })[] = [];
    for (const t of targets) c16.push(await withCpu(t, () => concurrent(t, CONCURRENCY, DURATION_MS)));
    targets.forEach((_, i) => {
      const s = seq[i]!;
      const c = c16[i]!;
      const p = { p50: quantile(s.latenciesMs, 0.5), p99: quantile(s.latenciesMs, 0.99) };
      rounds[i]!.push({ ...p, c1: s.perSec, c16: c.perSec, cpuUs: c.cpuUs, errors: s.errors + c.errors });
    });
    const line = targets.map(
      (t, i) => `${t.name} p50 ${rounds[i]![r]!.p50.toFixed(3)} c16 ${rounds[i]![r]!.c16.toFixed(0)}/s`,
    );
    console.log(`  round ${r + 1}/${ROUNDS} (load ${before} → ${load()}): ${line.join("; ")}`);
  }
  return rounds;
}

function table(targets: Target[], rounds: Round[][]): string[] {
  const base = rounds[0]!;
  const added = (i: number, k: "p50" | "p99") => median(rounds[i]!.map((x, r) => x[k] - base[r]![k]));
  const m = (i: number, k: keyof Round) => median(rounds[i]!.map((x) => x[k]));
  const lines = [
    "| path | p50 ms | p99 ms | added p50 ms | added p99 ms | gen/s c=1 | gen/s c=16 | CPU µs/gen c=16 | errors |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  targets.forEach((t, i) => {
    const add = i === 0 ? "—" : added(i, "p50").toFixed(3);
    const add99 = i === 0 ? "—" : added(i, "p99").toFixed(3);
    const cells = [
      m(i, "p50").toFixed(3),
      m(i, "p99").toFixed(3),
      add,
      add99,
      m(i, "c1").toFixed(0),
      m(i, "c16").toFixed(0),
      m(i, "cpuUs").toFixed(0),
    ];
    lines.push(`| ${t.name} | ${cells.join(" | ")} | ${rounds[i]!.reduce((s, x) => s + x.errors, 0)} |`);
  });
  return lines;
}

function verdict(rounds: Round[][], gateway: number): string[] {
  const base = rounds[0]!;
  const g = rounds[gateway]!;
  const p50 = median(g.map((x, r) => x.p50 - base[r]!.p50));
  const p99 = median(g.map((x, r) => x.p99 - base[r]!.p99));
  const ratio = median(g.map((x, r) => x.c16 / base[r]!.c16));
  const ok = (b: boolean) => (b ? "holds" : "MISSED");
  return [
    `  gateway adds ${p50.toFixed(2)} ms at p50 (target <= 1.5): ${ok(p50 <= 1.5)}`,
    `  gateway adds ${p99.toFixed(2)} ms at p99 (target <= 4): ${ok(p99 <= 4)}`,
    `  gateway at c=16 serves ${(ratio * 100).toFixed(0)}% of the stand-in's generations/s (target >= 50%): ${ok(ratio >= 0.5)}`,
  ];
}

/** Every generation the gateway answered is settled at its 40 NFEs, and nothing is left reserved. */
async function checkBilling(edgeUrl: string, token: string): Promise<string> {
  const res = await fetch(`${edgeUrl}/v1/usage`, { headers: { authorization: `Bearer ${token}` } });
  const u = (await res.json()) as { used_nfe: number; reserved_nfe: number };
  const exact = u.used_nfe === 40 * answered && u.reserved_nfe === 0;
  const verdict = exact ? "exact" : "MISMATCH";
  return `  ledger: ${u.used_nfe} NFEs settled for ${answered} generations answered (40 each), ${u.reserved_nfe} still reserved: ${verdict}`;
}

const dir = mkdtempSync(join(tmpdir(), "gg-bench-gateway-"));
const profileDir = process.env.PROFILE ? resolve(process.env.PROFILE) : undefined;
const standIn = await startStandIn();
const nginx = await startNginx(join(dir, "nginx"), standIn.url.replace("http://", ""));
const edge = await startEdge(dir, standIn.url, profileDir);
try {
  const token = await mintDevToken({ sub: TENANT, tier: "pro", ttlSec: 6 * 3600 });
  const targets = [workerTarget("stand-in direct", standIn.url, () => [standIn.proc.pid!])];
  if ("skip" in nginx) console.log(`  nginx skipped: ${nginx.skip}`);
  else targets.push(workerTarget("nginx → stand-in", nginx.url, () => withChildren(nginx.pid)));
  targets.push(gatewayTarget(edge.url, token, edge.proc.pid!));
  console.log(
    `bench:gateway: ${ROUNDS} rounds of ${REQUESTS} sequential requests and ${DURATION_MS} ms at c=${CONCURRENCY} per path; ledger ${dir}`,
  );
  const flush = await diskFlushMs(dir);
  console.log(
    `  disk flush (4 KiB + fdatasync) beside the ledger: p50 ${flush.p50.toFixed(3)} ms, p99 ${flush.p99.toFixed(3)} ms (a durable settle waits for one)`,
  );
  for (const t of targets) await sequential(t, WARMUP);
  const rounds = await measure(targets);
  console.log("");
  for (const line of table(targets, rounds)) console.log(line);
  console.log("");
  for (const line of verdict(rounds, targets.length - 1)) console.log(line);
  console.log(await checkBilling(edge.url, token));
  console.log(`  load average at the end: ${load()} (${cpus().length} cores)`);
} finally {
  await edge.stop();
  if (!("skip" in nginx)) await nginx.stop();
  await standIn.stop();
  rmSync(dir, { recursive: true, force: true });
  if (profileDir) console.log(`  edge profile written to ${profileDir}`);
}
