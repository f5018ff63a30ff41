// Load on loopback, reduced for CI (`npm run bench:reliability` holds 200 streams): 40 concurrent
// job event streams through the gateway to completion, then autocannon on the non-streaming endpoints.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cannon } from "../../bench/lib/reliability/cannon.ts";
import { tenant } from "../../bench/lib/reliability/client.ts";
import { holdStreams } from "../../bench/lib/reliability/load.ts";
import { stopStack } from "../../bench/lib/reliability/restart.ts";
import { type Stack, startStack } from "@guidegate/stack";

let dir: string;
let stack: Stack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-rel-load-"));
  // 8 slots: the other jobs queue, so their streams stay open (and see `queued`) until their turn.
  stack = await startStack({ dataDir: dir, workers: 1, workerEnv: { GG_CAPACITY: "8", GG_MAX_QUEUE: "256" } });
});
afterAll(async () => {
  await stopStack(stack);
  rmSync(dir, { recursive: true, force: true });
});

it("holds 40 concurrent event streams to completion: nothing lost, reordered or billed wrong", async () => {
  const r = await holdStreams(stack, { streams: 40, steps: 10, previewEvery: 5 });
  console.log(
    `load: ${r.streams} streams, peak ${r.peakOpen} open, ${r.events} events in ${r.durationMs.toFixed(0)} ms, edge RSS ${r.rssBeforeKiB} -> ${r.rssAfterKiB} KiB (peak ${r.rssPeakKiB})`,
  );
  expect(r).toMatchObject({
    completed: 40,
    failed: 0,
    lostEvents: 0,
    reordered: 0,
    terminalViolations: 0,
    billingMismatches: 0,
  });
  expect(r.peakOpen).toBeGreaterThan(1);
  expect(r.rssAfterKiB - r.rssBeforeKiB).toBeLessThan(128 * 1024); // bounded: no per-stream leak of any size
});

it("serves /healthz, /v1/policies and /v1/usage under autocannon without errors", async () => {
  const t = await tenant("cannon");
  for (const path of ["/healthz", "/v1/policies", "/v1/usage"]) {
    const r = await cannon(stack.edgeUrl, path, { seconds: 1, connections: 8, token: t.token });
    console.log(`autocannon ${path}: ${r.requests} requests, p50 ${r.p50} ms, p99 ${r.p99} ms`);
    expect(r.requests).toBeGreaterThan(50);
    expect(r).toMatchObject({ non2xx: 0, errors: 0, fiveXx: 0 });
  }
});
