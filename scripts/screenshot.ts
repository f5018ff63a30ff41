// `npx tsx scripts/screenshot.ts [--url http://127.0.0.1:8787] [--out docs/playground.png]`
// Captures the playground mid-generation (side by side, previews visible) for the README.
// Without --url it starts its own stack (s3rver, one CPU worker, the edge) in a temporary folder.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { launchChromium } from "./lib/chromium.ts";
import { ROOT, type Stack, startStack } from "@guidegate/stack";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    out: { type: "string", default: join(ROOT, "docs", "playground.png") },
    prompt: { type: "string", default: "a large yellow triangle on a purple background" },
    policy: { type: "string", default: "apg" },
    "policy-b": { type: "string", default: "linear_ag" },
    steps: { type: "string", default: "150" },
    seed: { type: "string", default: "7" },
  },
});

let dir: string | null = null;
let stack: Stack | null = null;
if (!values.url) {
  dir = mkdtempSync(join(tmpdir(), "gg-screenshot-"));
  stack = await startStack({ dataDir: dir, quiet: true });
}
const url = values.url ?? stack!.edgeUrl;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 860 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.waitForSelector("#generate:not([disabled])", { timeout: 30_000 });
  await page.fill("#prompt", values.prompt!);
  await page.fill("#steps", values.steps!);
  await page.fill("#seed", values.seed!);
  await page.selectOption("#policy", values.policy!);
  await page.check("#compare");
  await page.selectOption("#policy-b", values["policy-b"]!);
  // A 32x32 model finishes in about a second on CPU: slow the event streams down so that the
  // capture lands mid-generation. Everything shown is still what the real stack sent.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: 6 * 1024,
    uploadThroughput: -1,
  });
  await page.click("#generate");
  await page.waitForFunction(
    () => {
      const panels = [...document.querySelectorAll<HTMLElement>(".panel")];
      return (
        panels.length === 2 && panels.every((p) => Number(p.dataset.previews) >= 10 && p.dataset.state === "previewing")
      );
    },
    null,
    { timeout: 60_000 },
  );
  await page.screenshot({ path: values.out!, fullPage: false });
  console.log(`wrote ${values.out}`);
} finally {
  await browser.close();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}
