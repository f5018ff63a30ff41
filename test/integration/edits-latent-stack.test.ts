// Latent edits through the real stack (s3rver, a CPU gpu-worker serving two tiny SD folders, the
// edge on Node): a latent model with a vae_encoder edits, billed for the steps that ran; one
// without refuses the image with a 400 naming `image`, nothing billed.
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintDevToken } from "../../edge/src/auth/dev-token.ts";
import { type Stack, startStack } from "@guidegate/stack";

let dir: string;
let stack: Stack;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gg-edits-latent-stack-"));
  const bare = join(dir, "tiny-sd-no-encoder");
  cpSync(resolve(import.meta.dirname, "../fixtures/tiny-sd"), bare, { recursive: true });
  rmSync(join(bare, "vae_encoder"), { recursive: true });
  stack = await startStack({
    dataDir: join(dir, "stack"),
    quiet: true,
    modelDirs: [resolve(import.meta.dirname, "../fixtures/tiny-sd"), bare],
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function edit(model: string, sub: string) {
  const image = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 40, b: 40 } } })
    .png()
    .toBuffer();
  const headers = {
    authorization: `Bearer ${await mintDevToken({ sub, tier: "pro" })}`,
    "content-type": "application/json",
  };
  const res = await fetch(`${stack.edgeUrl}/v1/images/edits`, {
    method: "POST",
    headers,
    body: JSON.stringify({
      model,
      prompt: "a photo of a cat",
      image: image.toString("base64"),
      strength: 0.5,
      steps: 10,
      size: "64x64",
      guidance: { policy: "cfg", scale: 2 },
      response_format: "b64_json",
    }),
  });
  const usage = async () =>
    (await (await fetch(`${stack.edgeUrl}/v1/usage`, { headers })).json()) as {
      used_nfe: number;
      reserved_nfe: number;
    };
  return { res, usage };
}

describe("latent edits through the stack", () => {
  it("a model with a vae_encoder edits, billing the half of the schedule that ran", async () => {
    const { res, usage } = await edit("tiny-sd", "latent-edits-a");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: Array<{ b64_json: string }>; usage: { nfe: number } };
    expect(body.usage.nfe).toBe(5 * 2);
    expect(await sharp(Buffer.from(body.data[0]!.b64_json, "base64")).metadata()).toMatchObject({ width: 64 });
    expect((await usage()).used_nfe).toBe(10);
  });

  it("a model without one refuses the image with a 400 naming image, nothing billed", async () => {
    const { res, usage } = await edit("tiny-sd-no-encoder", "latent-edits-b");
    expect(res.status).toBe(400);
    const err = ((await res.json()) as { error: { param: string; message: string } }).error;
    expect(err.param).toBe("image");
    expect(err.message).toMatch(/vae_encoder/);
    expect(await usage()).toMatchObject({ used_nfe: 0 });
  });
});
