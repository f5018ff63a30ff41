// The edge-restart suite with the edge on Deno: its jobs, ledger and idempotency records in a Deno KV file
// (GG_DENO_KV_PATH) under the stack's data directory, a real gpu-worker behind it; processes SIGKILLed for real.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Service, type Stack, spawnDenoEdge, startStack } from "@guidegate/stack";
import { restartWorker, stopService, stopStack } from "../../bench/lib/reliability/restart.ts";
import { until } from "../../bench/lib/reliability/probes.ts";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type RestartHarness, restartSuite } from "../support/restart-suite.ts";

async function sigkill(s: Service): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGKILL");
  await exited;
}

/** The Deno edge again on the dead one's port and KV file. */
async function restartDenoEdge(dead: Service): Promise<Service> {
  const { proc, output } = spawnDenoEdge(dead.env, true);
  await until(
    `deno edge back on ${dead.url}`,
    async () => {
      if (proc.exitCode !== null) throw new Error(`deno edge exited: ${output.join("")}`);
      return (await fetch(`${dead.url}/healthz`, { signal: AbortSignal.timeout(2_000) })).ok;
    },
    120_000,
  );
  return { ...dead, proc, output };
}

function denoHarness(): RestartHarness {
  let dir = "";
  let stack: Stack | undefined;
  let edge: Service | undefined;
  let workers: Service[] = [];
  const started: Service[] = [];
  return {
    async start() {
      dir = mkdtempSync(join(tmpdir(), "gg-restart-deno-"));
      stack = await startStack({ dataDir: dir, edgeRuntime: "deno", edgeEnv: { GG_KEEPALIVE_MS: "1000" } });
      edge = stack.edge;
      workers = [...stack.workers];
    },
    baseUrl: () => stack!.edgeUrl,
    token: (sub) => mintDevToken({ sub, tier: "pro" }),
    async killEdge() {
      await sigkill(edge!);
    },
    async restartEdge() {
      edge = await restartDenoEdge(edge!);
      started.push(edge);
    },
    async restartWorkers() {
      const back: Service[] = [];
      for (const w of workers) {
        await sigkill(w);
        const s = await restartWorker(w);
        started.push(s);
        back.push(s);
      }
      workers = back;
    },
    edgeLog: () => edge!.output.join(""),
    async stop() {
      for (const s of started) await stopService(s);
      started.length = 0;
      await stopStack(stack);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

restartSuite("deno", denoHarness());
