// The Deno edge keeps billing and jobs in Deno KV (GG_DENO_KV_PATH): a stack stopped and started again on the same
// data dir finds the tenant's usage, its finished job (record and replayable events) and its idempotency record,
// so a retry after the restart replays the first answer instead of running and billing again.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type Stack, startStack } from "@guidegate/stack";
import { readSse } from "../support/sse.ts";

let dir: string;
let stack: Stack | undefined;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gg-deno-restart-"));
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("finds usage, a finished job and an idempotency record after a restart, and bills the retry nothing", async () => {
  const headers = {
    authorization: `Bearer ${await mintDevToken({ sub: "deno-restart", tier: "standard" })}`,
    "content-type": "application/json",
  };
  const get = async (path: string) => (await fetch(`${stack!.edgeUrl}${path}`, { headers })).json();
  const generate = () =>
    fetch(`${stack!.edgeUrl}/v1/images/generations`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": "restart-1" },
      body: JSON.stringify({ prompt: "a large blue circle on a yellow background", steps: 6, seed: 3 }),
    });

  stack = await startStack({ dataDir: dir, edgeRuntime: "deno" });
  const first = await generate();
  expect(first.status).toBe(200);
  const answer = await first.text();
  const created = await fetch(`${stack.edgeUrl}/v1/jobs`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt: "a small red square on a white background", steps: 6, preview_every: 2 }),
  });
  expect(created.status).toBe(202);
  const job = (await created.json()) as { id: string };
  const events = await readSse(await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}/events`, { headers }));
  expect(events.at(-1)?.event).toBe("completed");
  const record = await get(`/v1/jobs/${job.id}`);
  const usage = (await get("/v1/usage")) as { used_nfe: number; reserved_nfe: number; by_day: { jobs: number }[] };
  expect(usage.used_nfe).toBeGreaterThan(0);
  expect(usage.reserved_nfe).toBe(0);
  expect(usage.by_day.reduce((n, d) => n + d.jobs, 0)).toBe(2);
  await stack.stop();

  stack = await startStack({ dataDir: dir, edgeRuntime: "deno" });
  expect(await get("/v1/usage")).toEqual(usage);
  expect(await get(`/v1/jobs/${job.id}`)).toEqual(record);
  // Every event again, same ids and data, and after a Last-Event-ID only the ones after it.
  expect(await readSse(await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}/events`, { headers }))).toEqual(events);
  const mid = events[1]!.id!;
  const tail = await readSse(
    await fetch(`${stack.edgeUrl}/v1/jobs/${job.id}/events`, { headers: { ...headers, "last-event-id": mid } }),
  );
  expect(tail).toEqual(events.slice(2));
  // The retry replays the first answer; nothing more is billed.
  const retry = await generate();
  expect(retry.status).toBe(200);
  expect(await retry.text()).toBe(answer);
  expect(await get("/v1/usage")).toEqual(usage);
});
