// Hostile clients against a real stack (bench/lib/reliability/hostile.ts: one 4-slot worker a single
// tenant could fill): a noisy neighbour, one Idempotency-Key from many callers, event-stream resume at
// and past the end and the stream cap, a quota raced by concurrent requests, cancels racing completion,
// valid but odd requests run on the worker, and parser-level rejects and slow clients on the edge process.
// Billing is compared to the NFEs the responses reported throughout.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tenant } from "../../bench/lib/reliability/client.ts";
import { cancelRaceScenario, quotaRaceScenario } from "../../bench/lib/reliability/concurrency.ts";
import { HOSTILE, startHostileStack } from "../../bench/lib/reliability/hostile.ts";
import { idempotencyScenario } from "../../bench/lib/reliability/idempotency.ts";
import { noisyNeighbourScenario } from "../../bench/lib/reliability/noisy.ts";
import { oddValidScenario } from "../../bench/lib/reliability/odd-valid.ts";
import { parserScenario } from "../../bench/lib/reliability/parser.ts";
import { idle } from "../../bench/lib/reliability/probes.ts";
import { sseScenario } from "../../bench/lib/reliability/sse.ts";
import { stopStack } from "../../bench/lib/reliability/restart.ts";
import type { Stack } from "@guidegate/stack";

let dir: string;
let stack: Stack;
const workers = () => stack.workers.map((w) => w.url);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-rel-hostile-"));
  stack = await startHostileStack(dir);
});
afterAll(async () => {
  await stopStack(stack);
  rmSync(dir, { recursive: true, force: true });
});

describe("hostile clients", () => {
  it("a tenant flooding the pool leaves another tenant served: no 503, waits within twice its job time", async () => {
    const r = await noisyNeighbourScenario(stack.edgeUrl, workers(), {
      floodJobs: 40,
      floodSteps: 150,
      quietJobs: 3,
      quietSteps: 10,
    });
    console.log(
      `noisy neighbour: flood ${JSON.stringify(r.flood.byStatus)}; quiet p50/p99 wait ${r.quiet.p50WaitMs.toFixed(0)}/${r.quiet.p99WaitMs.toFixed(0)} ms, job ${r.quiet.p50JobMs.toFixed(0)} ms`,
    );
    expect(r.quiet.refused503).toBe(0);
    expect(r.quiet.completed).toBe(3);
    expect(r.quiet.syncStatus).toBe(200);
    expect(r.quiet.p99WaitMs).toBeLessThanOrEqual(2 * r.quiet.p50JobMs);
    // The flood itself: its own limit running, its own queue waiting, the rest 429 (never 503).
    expect(r.flood.byStatus).toEqual({ 202: 40 }); // 3 at once, 37 in its own queue of 40; never a 503
    expect(r.billingMismatches).toBe(0);
  });

  it("one Idempotency-Key from 20 callers at once: the first's true answer for all, billed once", async () => {
    const r = await idempotencyScenario(stack.edgeUrl, 20);
    expect(r.refused).toEqual({ "402 quota_exhausted": 20 });
    expect(r.admitted).toEqual({ statuses: { 202: 20 }, ids: 1, readable: 20 });
    expect(r.billedNfe).toBe(r.reportedNfe);
    expect(r.reportedNfe).toBeGreaterThan(0);
    expect(r.afterExpiry).toBe("404 job_expired");
  });

  it("event streams: resume at the end gets the rest, past the end ends with the job; capped per tenant", async () => {
    const r = await sseScenario(stack.edgeUrl);
    expect(r.atEndEvents.at(-1)).toBe("completed");
    expect(r.atEndEvents).not.toContain("started");
    expect(r.pastEndEvents).toBe(0);
    expect(r.pastEndClosedAfterMs).toBeLessThan(1_000); // not when the record expires (GG_JOB_TTL_MS)
    expect(r.afterEnd).toEqual([204, 204]);
    expect(r.cap).toEqual({ opened: HOSTILE.streamsPerTenant, next: "429 too_many_streams", otherTenant: 200 });
  });

  it("10 requests at once on a 100 NFE quota: the ones that fit run, the rest 402, never overspent", async () => {
    await idle(workers());
    const r = await quotaRaceScenario(stack.edgeUrl, 10);
    expect(r.byStatus).toEqual({ 200: 5, 402: 5 });
    expect(r.billedNfe).toBe(r.reportedNfe);
    expect(r.billedNfe).toBeLessThanOrEqual(r.quota);
    expect(r.reservedAfter).toBe(0);
  });

  it("cancels racing completion: one ending each, billed what it reported", async () => {
    const r = await cancelRaceScenario(stack.edgeUrl, workers(), 6);
    expect(r.mismatches).toBe(0);
    expect(r.reservedAfter).toBe(0);
    expect(Object.values(r.endings).reduce((a, b) => a + b, 0)).toBe(6);
    expect(r.endings.cancelled ?? 0).toBeGreaterThan(0); // the half-way cancels win; the late ones may not
  });

  it("valid but odd requests complete on the worker; the odd ones refused name the field sent", async () => {
    const r = await oddValidScenario(stack.edgeUrl);
    expect(r.failures).toEqual([]);
    expect(r.billedNfe).toBe(r.reportedNfe);
  });

  it("the edge process answers parser-level rejects and slow clients with the envelope, promptly", async () => {
    const t = await tenant("parser");
    const r = await parserScenario(stack.edge.port, t.token);
    expect(r.failures).toEqual([]);
    expect(r.slowestMs).toBeLessThan(HOSTILE.requestTimeoutMs + 2_000);
  });
});
