// The processes `npm run bench:gateway` measures: the stand-in worker and the Node edge in front of it
// (real SQLite ledger in `dir`, real JWT verification), each its own process, as in production.
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { DEV_INTERNAL_SECRET, DEV_JWT_SECRET, freePort, spawnTs } from "@guidegate/stack";

export interface Service {
  url: string;
  proc: ChildProcess;
  stop(): Promise<void>;
}

function stopper(proc: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once("exit", () => resolve());
      proc.kill("SIGTERM");
    });
}

async function until(what: string, proc: ChildProcess, output: string[], ready: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (proc.exitCode !== null) throw new Error(`${what} exited with ${proc.exitCode}:\n${output.join("")}`);
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start:\n${output.join("")}`);
}

export async function startStandIn(): Promise<Service> {
  const { proc, output } = spawnTs("bench/lib/gateway/stand-in.ts", { PORT: "0" }, "stand-in", true);
  let port = 0;
  await until("stand-in", proc, output, async () => {
    port = Number(/stand-in (\d+)/.exec(output.join(""))?.[1] ?? 0);
    return port > 0;
  });
  return { url: `http://127.0.0.1:${port}`, proc, stop: stopper(proc) };
}

/** Tiers that let one tenant run as fast as it can: the bench measures the gateway, not its limits. */
const UNLIMITED_TIERS = JSON.stringify({
  pro: { requests_per_minute: 1_000_000_000, monthly_quota_nfe: 1_000_000_000_000 },
});

/** The Node edge on a free port; `profileDir`: write a `--cpu-prof` profile there when it exits. */
export async function startEdge(dir: string, workerUrl: string, profileDir?: string): Promise<Service> {
  const port = await freePort();
  const env = {
    PORT: String(port),
    GG_WORKER_URLS: workerUrl,
    GG_JWT_SECRET: DEV_JWT_SECRET,
    GG_INTERNAL_SECRET: DEV_INTERNAL_SECRET,
    GG_LEDGER_PATH: join(dir, "ledger.sqlite"),
    GG_TIERS_JSON: UNLIMITED_TIERS,
  };
  const prof = profileDir ? ["--cpu-prof", "--cpu-prof-dir", profileDir] : [];
  const { proc, output } = spawnTs("edge/src/node.ts", env, "edge", true, prof);
  const url = `http://127.0.0.1:${port}`;
  await until(
    "edge",
    proc,
    output,
    async () => output.join("").includes("listening on http://") && (await fetch(`${url}/healthz`)).ok,
  );
  return { url, proc, stop: stopper(proc) };
}
