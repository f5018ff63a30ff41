// The playground end to end: the real stack (s3rver, one CPU gpu-worker, the edge on Node) and
// headless Debian Chromium. The page fetches a development token, lists the tier's policies,
// runs a job whose previews arrive over EventSource, shows the final image, then compares two policies.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hasChromium, launchChromium } from "../../scripts/lib/chromium.ts";
import { type Stack, startStack } from "@guidegate/stack";

// CI installs the Debian chromium package (.ci/run); without it this suite is skipped, not failed.
const skip = !hasChromium();
if (skip) console.warn("[playground test] skipped: /usr/bin/chromium is missing (apt-get install -y chromium)");

let dir: string;
let stack: Stack | null = null;
let browser: Browser | null = null;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), "gg-playground-"));
  stack = await startStack({ dataDir: dir, quiet: true });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on("pageerror", (e) => pageErrors.push(e.message));
  page.on("console", (m) => {
    if (m.type() === "error") pageErrors.push(`${m.text()} ${m.location().url}`);
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const text = async (sel: string) => ((await page.locator(sel).first().textContent()) ?? "").trim();
const finalImageLoaded = (panel: number) =>
  page.waitForFunction((i) => {
    const img = document.querySelectorAll<HTMLImageElement>(".panel .image")[i];
    return !!img && img.dataset.kind === "final" && img.complete && img.naturalWidth > 0;
  }, panel);

describe.skipIf(skip)("playground in Chromium", () => {
  it("loads a development token and the tier's policies", async () => {
    await page.goto(stack!.edgeUrl);
    await page.waitForSelector("#generate:not([disabled])");
    expect(await text("#tier")).toBe("pro");
    expect(await text("#price")).toContain("50");
    const policies = await page.locator("#policy option").allInnerTexts();
    expect(policies).toEqual(expect.arrayContaining(["apg", "cfg", "pag", "linear_ag"]));
    expect(await page.locator("#policy").inputValue()).toBe("cfgpp");
  });

  it("generates: previews arrive over SSE, NFEs and cost grow, the final image shows", async () => {
    await page.fill("#steps", "40");
    await page.fill("#seed", "7");
    await page.click("#generate");
    await page.waitForFunction(() => Number(document.querySelector<HTMLElement>(".panel")?.dataset.previews) >= 1);
    await page.waitForSelector(".panel[data-state=completed]", { timeout: 60_000 });
    await finalImageLoaded(0);
    const panel = page.locator(".panel").first();
    expect(Number(await panel.getAttribute("data-previews"))).toBeGreaterThanOrEqual(2);
    expect(await panel.locator(".strip img").count()).toBeGreaterThanOrEqual(2);
    expect(await text(".panel .nfe")).toMatch(/^80 \/ 80$/); // apg: 2 NFEs a step, 40 steps
    expect(await text(".panel .cost")).toBe("$0.004000"); // 80 NFE x 50 µUSD
    expect(await text(".panel .step")).toBe("40 / 40");
    const rendering = await panel.locator(".image").evaluate((el) => getComputedStyle(el).imageRendering);
    expect(rendering).toBe("pixelated");
    expect(await text("#usage")).toMatch(/^80 \/ [\d,]+ NFE \(\$0\.004000\)$/); // what /v1/usage says was billed
  });

  it("side by side: two policies on the same seed, NFEs compared", async () => {
    await page.check("#compare");
    await page.selectOption("#policy-b", "none");
    await page.fill("#steps", "20");
    await page.click("#generate");
    await page.waitForFunction(() => document.querySelectorAll(".panel[data-state=completed]").length === 2, null, {
      timeout: 60_000,
    });
    await finalImageLoaded(0);
    await finalImageLoaded(1);
    const nfes = await page.locator(".panel .nfe").allInnerTexts();
    expect(nfes).toEqual(["40 / 40", "20 / 20"]);
    const seeds = await page.locator(".panel .status").allInnerTexts();
    expect(seeds.every((s) => s.includes("seed 7"))).toBe(true);
    expect(await text("#summary")).toBe(
      "seed 7: cfgpp 40 NFE ($0.002000) vs none 20 NFE ($0.001000), none used 50% fewer NFEs",
    );
    expect(pageErrors).toEqual([]);
  });

  it("a cancelled run shows no broken image and the step it reached", async () => {
    await page.uncheck("#compare");
    await page.selectOption("#policy", "cfg");
    await page.fill("#steps", "150");
    await page.fill("#seed", "3");
    await page.click("#generate");
    // Cancel as soon as the job exists: before its first preview, so the panel has no image to show.
    await page.waitForFunction(() => document.querySelector<HTMLElement>(".panel")?.dataset.state === "running");
    await page.click("#cancel");
    await page.waitForSelector(".panel[data-state=cancelled]", { timeout: 60_000 });
    const image = await page.locator(".panel .image").evaluate((el: HTMLImageElement) => ({
      src: el.getAttribute("src"),
      loaded: el.complete && el.naturalWidth > 0,
      hidden: getComputedStyle(el).visibility === "hidden" || getComputedStyle(el).display === "none",
    }));
    expect(image.loaded || image.hidden).toBe(true); // a preview, or nothing: never the broken-image icon
    expect(await text(".panel .step")).toMatch(/^\d+ \/ 150$/);
    expect(await text(".panel .status")).toMatch(/^cancelled after \d+ NFE/);
  });

  it("a rejected token clears the tier, price, limits and usage it replaced", async () => {
    expect(await text("#price")).toContain("50");
    await page.fill("#token", "not-a-token");
    await page.click("#load");
    await page.waitForFunction(() => document.querySelector("#error")?.textContent?.includes("Token rejected"));
    for (const id of ["#tier", "#price", "#max-steps", "#usage"]) expect(await text(id)).toBe("–");
    expect(await page.locator("#generate").isDisabled()).toBe(true);
  });

  it("the eco tier's step limit shows next to the steps field, and the value stays within it", async () => {
    await page.selectOption("#dev-tier", "eco");
    await page.waitForFunction(() => document.querySelector("#tier")?.textContent === "eco");
    await page.waitForSelector("#generate:not([disabled])");
    const limit = page.locator("#steps-limit");
    expect(await limit.isVisible()).toBe(true);
    expect((await limit.textContent())?.trim()).toBe("max 30 on eco");
    const [field, hint] = [await page.locator("#steps").boundingBox(), await limit.boundingBox()];
    const middle = (b: { y: number; height: number }) => b.y + b.height / 2;
    expect(Math.abs(middle(hint!) - middle(field!))).toBeLessThan(field!.height); // on the field's line
    expect(await page.locator("#steps").inputValue()).toBe("30"); // was 150 on pro
    await page.fill("#steps", "100");
    await page.locator("#steps").blur();
    expect(await page.locator("#steps").inputValue()).toBe("30");
    // Only the deliberately rejected token's 401 may have reached the console.
    expect(pageErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });
});
