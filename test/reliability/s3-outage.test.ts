// The object store (a real s3rver) stops mid-job and restarts: uploads retry, then the images wait
// in the worker's spool (GG_SPOOL_DIR) and go up when the store is back; no image is lost.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stopStack } from "../../bench/lib/reliability/restart.ts";
import { s3OutageScenario } from "../../bench/lib/reliability/s3-outage.ts";
import { type Stack, startStack } from "@guidegate/stack";

let dir: string;
let stack: Stack;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-rel-s3-"));
  stack = await startStack({ dataDir: dir, workers: 1 });
});
afterAll(async () => {
  await stopStack(stack);
  rmSync(dir, { recursive: true, force: true });
});

it("keeps finished images in the spool while S3 is down and completes the jobs once they are uploaded", async () => {
  const r = await s3OutageScenario(stack, { steps: 60, outageMs: 1_000 });
  expect(r.spooledPeak).toBe(2);
  expect(r.spoolFilesPeak).toBe(2);
  expect(r.completedDuringOutage).toBe(0); // `completed` carries a URL, so it waits for the upload
  expect(r.completed).toBe(2);
  expect(r.downloaded).toBe(2);
  expect(r.spooledAfter).toBe(0);
  expect(readdirSync(stack.workers[0]!.env.GG_SPOOL_DIR!)).toEqual([]);
  expect(r.reportedNfe).toBe(2 * 60 * 2);
  expect(r.billedNfe).toBe(r.reportedNfe);
  const log = stack.workers[0]!.output.join("");
  expect(log).toContain("upload failed after retries; spooling"); // the direct retries ran out first
  expect(log).toContain("spool drained");
});
