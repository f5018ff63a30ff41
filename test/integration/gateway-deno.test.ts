// Smoke test of the edge on Deno (npm `deno`): Deno.serve in front of a real worker and s3rver.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import sharp from "sharp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type Stack, startStack } from "@guidegate/stack";
import { readSse } from "../support/sse.ts";

let dir: string;
let stack: Stack;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-deno-"));
  stack = await startStack({ dataDir: dir, edgeRuntime: "deno" });
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it("serves generations, streams and auth errors on Deno", async () => {
  const headers = {
    authorization: `Bearer ${await mintDevToken({ sub: "deno-tenant", tier: "standard" })}`,
    "content-type": "application/json",
  };
  const res = await fetch(`${stack.edgeUrl}/v1/images/generations`, {
    method: "POST",
    headers,
    body: JSON.stringify({ prompt: "a large blue circle on a yellow background", steps: 6 }),
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { data: { url: string }[]; usage: { nfe: number } };
  expect(body.usage.nfe).toBeGreaterThan(0);
  const png = await sharp(Buffer.from(await (await fetch(body.data[0]!.url)).arrayBuffer())).metadata();
  expect(png.format).toBe("png");
  const stream = await fetch(`${stack.edgeUrl}/v1/images/generations`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      prompt: "a small red square on a white background",
      steps: 6,
      stream: true,
      partial_images: 1,
    }),
  });
  const events = await readSse(stream);
  expect(events.at(-1)!.data.type).toBe("image_generation.completed");
  expect((await fetch(`${stack.edgeUrl}/v1/usage`, { headers: { authorization: "Bearer x.y.z" } })).status).toBe(401);
  // The CSV export on Deno: both jobs, their cost column summing to what usage reports.
  const usage = (await (await fetch(`${stack.edgeUrl}/v1/usage`, { headers })).json()) as { cost_micro_usd: number };
  const [, ...rows] = parse(
    await (await fetch(`${stack.edgeUrl}/v1/usage/export.csv`, { headers })).text(),
  ) as string[][];
  expect(rows).toHaveLength(2);
  expect(rows.reduce((n, r) => n + Number(r[6]), 0)).toBe(usage.cost_micro_usd);
});
