// The playground's edit controls end to end: the real stack (s3rver, one CPU gpu-worker, the edge
// on Node) and headless Debian Chromium. Upload a source, paint a brush mask, set the strength, get
// the edited result through the jobs API; the unpainted pixels come back as sent, and a result can
// become the next edit's source.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium } from "../../scripts/lib/chromium.ts";
import { type Stack, startStack } from "@guidegate/stack";

const skip = !hasChromium();
if (skip) console.warn("[playground edits test] skipped: /usr/bin/chromium is missing (apt-get install -y chromium)");

let dir: string;
let stack: Stack | null = null;
let browser: Browser | null = null;
let page: Page;
const pageErrors: string[] = [];
const jobBodies: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "gg-playground-edits-"));
  stack = await startStack({ dataDir: dir, quiet: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`${m.text()} ${m.location().url}`);
  });
  page.on("request", (r) => {
    if (r.method() === "POST" && new URL(r.url()).pathname === "/v1/jobs") jobBodies.push(r.postDataJSON());
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// 32 x 32 (shapes-32's size, so nothing is resized): blue, a red square on the left.
const SOURCE_RGB = Buffer.from(
  Array.from({ length: 32 * 32 * 3 }, (_, k) => {
    const p = Math.floor(k / 3);
    const [x, y] = [p % 32, Math.floor(p / 32)];
    const red = x >= 4 && x < 12 && y >= 12 && y < 20;
    return (red ? [220, 40, 40] : [40, 70, 220])[k % 3]!;
  }),
);
const rgbOf = async (png: Buffer) => sharp(png).removeAlpha().raw().toBuffer();

describe.skipIf(skip)("playground edits in Chromium", () => {
  it("uploads an image, paints a mask, sets the strength and gets the edit", async () => {
    await page.goto(stack!.edgeUrl);
    await page.waitForSelector("#generate:not([disabled])");
    expect(await page.locator("#source-area").isVisible()).toBe(false);
    const png = await sharp(SOURCE_RGB, { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toBuffer();
    await page.setInputFiles("#image", { name: "source.png", mimeType: "image/png", buffer: png });
    await page.waitForSelector("#source-area:not([hidden])");
    expect(await page.locator("#strength").isEnabled()).toBe(true);

    // Paint the right half of the 256-px view: source columns 16..31.
    const box = (await page.locator("#source-canvas").boundingBox())!;
    await page.mouse.move(box.x + 150, box.y + 10);
    await page.mouse.down();
    for (let y = 10; y <= 250; y += 8) {
      await page.mouse.move(box.x + 150, box.y + y);
      await page.mouse.move(box.x + 250, box.y + y, { steps: 12 }); // a pointermove every ~8 px
    }
    await page.mouse.up();
    expect(await page.locator("#source-canvas").getAttribute("data-painted")).toBe("1");

    await page.locator("#strength").fill("0.5");
    expect(await page.locator("#strength-value").textContent()).toBe("0.50");
    await page.selectOption("#policy", "cfg");
    await page.fill("#prompt", "a small yellow circle on a blue background");
    await page.fill("#steps", "10");
    await page.fill("#seed", "4");
    await page.click("#generate");
    await page.waitForSelector(".panel[data-state=completed]", { timeout: 60_000 });
    expect(await page.locator(".panel .nfe").first().textContent()).toBe("10 / 10"); // 5 of 10 steps, 2 branches

    const body = jobBodies.at(-1)!;
    expect(body).toMatchObject({ strength: 0.5, steps: 10, response_format: "b64_json" });
    expect(await rgbOf(Buffer.from(body.image as string, "base64"))).toEqual(SOURCE_RGB);
    const alpha = await sharp(Buffer.from(body.mask as string, "base64"))
      .ensureAlpha()
      .extractChannel(3)
      .raw()
      .toBuffer();
    expect(alpha).toHaveLength(32 * 32);
    const painted = (p: number) => alpha[p] === 0;
    expect(painted(5 * 32 + 28)).toBe(true); // right half painted
    expect(painted(16 * 32 + 8)).toBe(false); // the red square kept

    const src = await page.locator(".panel .image").first().getAttribute("src");
    expect(src).toMatch(/^data:image\/png;base64,/);
    const out = await rgbOf(Buffer.from(src!.split(",")[1]!, "base64"));
    let changed = 0;
    for (let p = 0; p < 32 * 32; p++) {
      const same = out.subarray(p * 3, p * 3 + 3).equals(SOURCE_RGB.subarray(p * 3, p * 3 + 3));
      if (!painted(p)) expect(same, `kept pixel ${p}`).toBe(true);
      else if (!same) changed++;
    }
    expect(changed).toBeGreaterThan(0);
  });

  it("uses a result as the next edit's source, the mask cleared", async () => {
    await page.click(".panel .use");
    await page.waitForFunction(
      () => document.querySelector<HTMLElement>("#source-canvas")?.dataset.origin === "result",
    );
    expect(await page.locator("#source-canvas").getAttribute("data-painted")).toBe("0");
    const previous = (await page.locator(".panel .image").first().getAttribute("src"))!.split(",")[1]!;
    await page.click("#generate");
    await page.waitForSelector(".panel[data-state=completed]", { timeout: 60_000 });
    const body = jobBodies.at(-1)!;
    expect(await rgbOf(Buffer.from(body.image as string, "base64"))).toEqual(
      await rgbOf(Buffer.from(previous, "base64")),
    );
    expect(body.mask).toBeUndefined();
    await page.click("#drop-image");
    expect(await page.locator("#source-area").isVisible()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
