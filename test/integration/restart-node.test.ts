// The edge-restart suite with the edge on Node: its jobs and ledger in SQLite files under the stack's data
// directory, a real gpu-worker (the embedded model) behind it; the edge and the worker are SIGKILLed for real.
import { restartEdge } from "../../bench/lib/reliability/restart.ts";
import { stackHarness } from "../support/restart-harness.ts";
import { restartSuite } from "../support/restart-suite.ts";

restartSuite(
  "node",
  stackHarness("node", (dead) => restartEdge(dead)),
);
