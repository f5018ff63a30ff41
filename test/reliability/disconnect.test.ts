// Clients and the gateway going away mid-job, on real processes. The worker holds the job's lease
// (its event stream to the edge) and counts the NFEs; billing equals what ran, whoever noticed what.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cutCancelScenario,
  edgeDeathScenario,
  streamDisconnectScenario,
  unwatchedJobScenario,
} from "../../bench/lib/reliability/disconnect.ts";
import { readEvents } from "../../bench/lib/reliability/events.ts";
import { stopService, stopStack } from "../../bench/lib/reliability/restart.ts";
import { type Service, type Stack, startStack } from "@guidegate/stack";
import { internalToken } from "../support/internal-token.ts";

let dir: string;
let stack: Stack;
let edge: Service | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-rel-disc-"));
  stack = await startStack({ dataDir: dir, workers: 1 });
});
afterAll(async () => {
  await stopService(edge);
  await stopStack(stack);
  rmSync(dir, { recursive: true, force: true });
});

describe("disconnects and a dying gateway", () => {
  it("a cancelled job stops within one step of the cancel and reports exactly what it ran", async () => {
    const w = stack.workers[0]!;
    const id = "job_cancel_one_step";
    const auth = { authorization: `Bearer ${await internalToken(id)}` };
    const job = {
      job_id: id,
      tenant: "t",
      model: "shapes-32",
      prompt: "a red circle",
      n: 1,
      width: 32,
      height: 32,
      steps: 500,
      seed: 3,
      guidance: { policy: "none" },
      max_nfe: 500,
    };
    const res = await fetch(`${w.url}/internal/jobs`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(job),
    });
    let at: { step: number; nfe: number } | null = null;
    const events = await readEvents(res, async (e) => {
      if (e.event === "progress" && Number(e.data.step) >= 3 && !at)
        at = (await (await fetch(`${w.url}/internal/jobs/${id}/cancel`, { method: "POST", headers: auth })).json()) as {
          step: number;
          nfe: number;
        };
    });
    const steps = events.filter((e) => e.event === "progress").map((e) => Number(e.data.step));
    const end = events.at(-1)!;
    expect(end.event).toBe("cancelled");
    expect(steps.at(-1)!).toBeLessThanOrEqual(at!.step + 1); // the step under way when told, no more
    expect((end.data.usage as { nfe: number }).nfe).toBe(events.filter((e) => e.event === "progress").at(-1)!.data.nfe);
  });

  it("a streaming client that disconnects stops the worker; usage equals the NFEs the worker ran", async () => {
    const r = await streamDisconnectScenario(stack, 120);
    expect(r.abortedAfterStep).toBe(30); // the first of 3 partial images, at a quarter of the run
    expect(r.workerNfe).toBeGreaterThanOrEqual(2 * r.abortedAfterStep);
    expect(r.workerNfe).toBeLessThan(r.fullNfe / 2); // stopped soon after, not run to the end
    expect(r.billedNfe).toBe(r.workerNfe);
    expect(r.reservedAfter).toBe(0);
  });

  it("a jobs-API job runs to the end after its only listener leaves, and is billed in full", async () => {
    const r = await unwatchedJobScenario(stack, 40);
    expect(r).toEqual({ status: "completed", reportedNfe: 80, billedNfe: 80, workerNfe: 80 });
  });

  it("when the edge dies mid-job the job goes on: the restarted edge re-attaches and bills it once", async () => {
    const r = await edgeDeathScenario(stack, 150, { GG_CANCEL_GRACE_MS: "0" }); // the next test wants no grace
    edge = r.edge;
    expect(r.status).toBe("completed");
    expect(r.workerNfe).toBe(r.fullNfe); // ran once, through the restart
    expect(r.reportedNfe).toBe(r.workerNfe);
    expect(r.billedNfe).toBe(r.workerNfe);
    expect(r.reservedAfter).toBe(0);
  });

  it("a cancel whose stream is cut before the worker's `cancelled` arrives settles from the worker's own count", async () => {
    const r = await cutCancelScenario(stack, edge!.url, 150);
    expect(r.status).toBe("cancelled");
    expect(r.workerNfe).toBeLessThan(300);
    expect(r.reportedNfe).toBe(r.workerNfe);
    expect(r.billedNfe).toBe(r.workerNfe);
  });
});
