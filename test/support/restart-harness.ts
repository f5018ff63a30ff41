// The edge-restart suite's harness over a real stack (s3rver, a gpu-worker, the edge on a given runtime), with the
// edge and the workers SIGKILLed for real; each runtime's test file gives how its edge comes back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type EdgeRuntime, type Service, type Stack, startStack } from "@guidegate/stack";
import { restartWorker, stopService, stopStack } from "../../bench/lib/reliability/restart.ts";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import type { RestartHarness } from "./restart-suite.ts";

async function sigkill(s: Service): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGKILL");
  await exited;
}

/** A RestartHarness over a real stack: the edge on `runtime`, brought back by `restartEdge` on the same state. */
export function stackHarness(runtime: EdgeRuntime, restartEdge: (dead: Service) => Promise<Service>): RestartHarness {
  let dir = "";
  let stack: Stack | undefined;
  let edge: Service | undefined;
  let workers: Service[] = [];
  const started: Service[] = []; // brought back here: stopped here, not by the stack
  return {
    async start() {
      dir = mkdtempSync(join(tmpdir(), `gg-restart-${runtime}-`));
      stack = await startStack({ dataDir: dir, edgeRuntime: runtime, edgeEnv: { GG_KEEPALIVE_MS: "1000" } });
      edge = stack.edge;
      workers = [...stack.workers];
    },
    baseUrl: () => stack!.edgeUrl,
    token: (sub) => mintDevToken({ sub, tier: "pro" }),
    async killEdge() {
      await sigkill(edge!);
    },
    async restartEdge() {
      edge = await restartEdge(edge!);
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
