// The edge-restart suite with the edge on Deno: its jobs, ledger and idempotency records in a Deno KV file
// (GG_DENO_KV_PATH) under the stack's data directory, a real gpu-worker behind it; processes SIGKILLed for real.
import { type Service, spawnDenoEdge } from "@guidegate/stack";
import { until } from "../../bench/lib/reliability/probes.ts";
import { stackHarness } from "../support/restart-harness.ts";
import { restartSuite } from "../support/restart-suite.ts";

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

restartSuite("deno", stackHarness("deno", restartDenoEdge));
